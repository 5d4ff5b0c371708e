"""What a resolution leaves behind for the next one: learned model parameters, each record's
fingerprint, and the settings it ran under.

* ``identity.model_params``: the Fellegi-Sunter parameters (λ, m, u) each probabilistic rule
  learned on the last full run. Incremental runs score with them instead of re-learning, so
  a record's links do not depend on which batch it arrived in.
* ``identity.record_features``: per live record, its match features when last resolved, a
  fingerprint of its staging row and its number (``rid``). Comparing fingerprints finds the
  records that are new, changed or deleted since; the others' features, identifiers
  (``identity.record_keys``), first names (``identity.record_names``) and profiles
  (``identity.kept_profiles``) are read back instead of computed again.
* ``identity.kept_links``: the passing links of the fuzzy and probabilistic rules, by record
  number. A pair neither of whose records changed scores as it did, so an incremental run
  blocks and scores only the changed records' pairs and reads the others' links here.
* ``identity.resolver_state``: a fingerprint of the identity config and of the overrides
  the last run saw. A change of either (or ``--full-refresh``) makes the next run a full one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from identity.blocking import SHARED_DDL
from identity.features import FEATURES_DDL, KEPT_DDL, KEY_HASH, PROFILE_HASH

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from identity.config import IdentityConfig

__all__ = [
    "RESOLVER_VERSION",
    "STATE_DDL",
    "RunMode",
    "config_hash",
    "decide_mode",
    "load_params",
    "overrides_hash",
    "save_state",
]

STATE_DDL = (
    FEATURES_DDL
    + ";\n"
    + KEPT_DDL
    + ";\n"
    + SHARED_DDL
    + """;
CREATE TABLE IF NOT EXISTS identity.model_params (
    rule VARCHAR NOT NULL, params JSON NOT NULL, learned_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS identity.resolver_state (
    config_hash VARCHAR, overrides_hash VARCHAR, resolved_at TIMESTAMPTZ
);
"""
)


@dataclass(frozen=True)
class RunMode:
    full: bool
    reason: str
    params: dict[str, dict[str, object]] | None
    """Stored model parameters per rule name (scoring re-uses them when not None)."""


#: Bumped whenever a change of the resolver itself (its guards, comparisons or clustering) can
#: change which records link, or what a run keeps for the next changes shape: the first run
#: of a new version is a full one, so every profile is resolved by the same rules, not only
#: those new records reach. (3: kept identifiers and names; 4: their hashes; 5: profiles kept
#: apart from the features, passing fuzzy links kept.)
RESOLVER_VERSION = 5


def config_hash(config: IdentityConfig) -> str:
    """A fingerprint of the identity config and the resolver version it runs under, with
    DuckDB's version: the kept rows hold DuckDB's hashes, which a new DuckDB may compute
    differently, so its first run is a full one."""
    import duckdb

    text = f"{RESOLVER_VERSION}\x1f{duckdb.__version__}\x1f{config.model_dump_json()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def overrides_hash(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        "SELECT kind, source_a, record_id_a, source_b, record_id_b FROM identity.overrides "
        "ORDER BY ALL"
    ).fetchall()
    return hashlib.sha256(json.dumps(rows).encode("utf-8")).hexdigest()[:32]


def load_params(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, object]]:
    return {
        rule: json.loads(params)
        for rule, params in con.execute("SELECT rule, params FROM identity.model_params").fetchall()
    }


def decide_mode(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig, *, full_refresh: bool, plan: bool
) -> RunMode:
    """Full when asked, for a plan, on the first run, or when the config or overrides changed."""
    if full_refresh:
        return RunMode(True, "full refresh asked", None)
    if plan:
        return RunMode(True, "plan", None)
    state = con.execute(
        "SELECT config_hash, overrides_hash FROM identity.resolver_state"
    ).fetchall()
    if not state:
        return RunMode(True, "first run", None)
    if state[0][0] != config_hash(config):
        return RunMode(True, "identity config, resolver or DuckDB version changed", None)
    if state[0][1] != overrides_hash(con):
        return RunMode(True, "overrides changed", None)
    probabilistic = {r.name for r in config.rules if r.kind == "probabilistic"}
    params = load_params(con)
    if not probabilistic <= set(params):
        return RunMode(True, "no stored model parameters", None)
    return RunMode(False, "incremental", params)


def save_state(
    con: duckdb.DuckDBPyConnection,
    config: IdentityConfig,
    *,
    full: bool,
    learned: dict[str, dict[str, object]],
    now: object,
    links: pa.Table | None = None,
) -> None:
    """Keep features, identifiers, names, fingerprints, settings and (after learning)
    parameters; inside the run's transaction, ``id_mapping(rid, profile_id)`` holding the
    resolved records' profiles. A full run keeps ``links`` (``rule, a, b, score,
    evidence``): the passing links of its fuzzy and probabilistic rules."""
    if full:
        for kept, select in (
            ("record_features", "SELECT * FROM id_features"),
            ("kept_profiles", f"SELECT rid, profile_id, {PROFILE_HASH} FROM id_mapping"),
            ("record_keys", f"SELECT *, {KEY_HASH} FROM id_keys_base"),
            ("record_names", "SELECT * FROM id_names"),
        ):
            con.execute(f"DELETE FROM identity.{kept}")
            con.execute(f"INSERT INTO identity.{kept} BY NAME {select}")
        con.execute("DELETE FROM identity.kept_links")
        if links is not None:
            con.register("id_kept_links", links)
            con.execute("INSERT INTO identity.kept_links BY NAME SELECT * FROM id_kept_links")
            con.unregister("id_kept_links")
    else:
        # The resolver put the changed rows in place; records whose profile changed get a
        # new row (an UPDATE of a few rows spread over the table made the checkpoint after
        # the run rewrite that column of every row group they were in). The scope's rows
        # (``id_scope_rank``) hold the profiles the records had.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE id_moved AS SELECT rid, profile_id, {PROFILE_HASH}
            FROM (SELECT m.rid, m.profile_id FROM id_mapping m JOIN id_scope_rank s USING (rid)
                  WHERE s.profile_id IS DISTINCT FROM m.profile_id)"""
        )
        con.execute("DELETE FROM identity.kept_profiles WHERE rid IN (SELECT rid FROM id_moved)")
        con.execute("INSERT INTO identity.kept_profiles SELECT * FROM id_moved")
        con.execute("DROP TABLE id_moved")
    con.execute("DELETE FROM identity.shared_identifiers")
    con.execute("INSERT INTO identity.shared_identifiers SELECT identifier, value FROM id_shared")
    if learned:
        con.execute(
            "DELETE FROM identity.model_params WHERE rule IN (SELECT unnest(?))", [list(learned)]
        )
        for rule, params in learned.items():
            con.execute(
                "INSERT INTO identity.model_params VALUES (?, ?, ?)",
                [rule, json.dumps(params), now],
            )
    con.execute("DELETE FROM identity.resolver_state")
    con.execute(
        "INSERT INTO identity.resolver_state VALUES (?, ?, ?)",
        [config_hash(config), overrides_hash(con), now],
    )
