"""The records an incremental run must re-cluster: what new, changed or deleted records can
reach.

Seeds: changed records (new, or a different staging row than last resolved), every record
sharing an email or phone with a changed or deleted record (old or new value: a value's
"shared by a household" status may have flipped), every record of a block whose size the
changes took across the cap (its pairs came or went), and the records of the profiles of
all of those. Then, until nothing is added, the scope grows by every record that

* shares an identifier with a record in it (an exact link),
* is a candidate pair of one whose match passes a fuzzy or probabilistic rule (scored with
  the stored model parameters), or an always-merge override partner, or
* was in the same profile as one of them.

The scope is therefore closed: no link a full resolution would consider leaves it, and it
holds whole previous profiles, so re-clustering it with the same parameters gives what a full
resolution would, while everything outside it is left untouched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from identity.blocking import block_columns, cap_crossings_sql, frontier_pairs_sql
from identity.config import ExactRule
from identity.scoring import FeatureArrays, ScoredEdges, score_rule

if TYPE_CHECKING:
    import duckdb

    from identity.config import IdentityConfig

__all__ = ["compute_scope"]


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _seed(con: duckdb.DuckDBPyConnection, config: IdentityConfig) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE id_changed AS SELECT rid FROM id_changed_keys")
    # (Old values: those changed and deleted records held.)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE id_seed_values AS
        SELECT email, phone FROM id_features_delta
        UNION ALL SELECT email, phone FROM id_dirty"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE id_next AS
        SELECT rid FROM id_changed
        UNION ALL SELECT rid FROM identity.record_features
            WHERE email IN (SELECT email FROM id_seed_values WHERE email IS NOT NULL)
        UNION ALL SELECT rid FROM identity.record_features
            WHERE phone IN (SELECT phone FROM id_seed_values WHERE phone IS NOT NULL)
        UNION ALL SELECT rid FROM identity.kept_profiles WHERE profile_hash IN (
            SELECT hash(profile_id) FROM id_gone WHERE profile_id IS NOT NULL)"""
    )
    # (Blocks whose size crossed the cap: their records' pairs came or went.)
    keys = {
        tuple(fields)
        for rule in config.rules
        if not isinstance(rule, ExactRule)
        for fields in rule.block_on
    }
    for fields in sorted(keys):
        con.execute(
            "INSERT INTO id_next "
            + cap_crossings_sql(fields, "identity.record_features", "id_features_delta", "id_dirty")
        )
    con.execute("CREATE OR REPLACE TEMP TABLE id_scope (rid BIGINT)")
    _next_frontier(con)


def _next_frontier(con: duckdb.DuckDBPyConnection) -> None:
    """``id_frontier``: the records of ``id_next`` not in the scope yet, with every record of
    their previous profiles (so a record's profile joins in the round it is reached, not one
    round later: each round scans the kept tables)."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE id_frontier AS
        WITH n AS (SELECT DISTINCT rid FROM id_next)
        SELECT rid FROM n
        UNION SELECT rid FROM identity.kept_profiles WHERE profile_hash IN (
            SELECT profile_hash FROM identity.kept_profiles SEMI JOIN n USING (rid))
        EXCEPT SELECT rid FROM id_scope"""
    )


def _fuzzy_partners(
    con: duckdb.DuckDBPyConnection,
    config: IdentityConfig,
    params: dict[str, dict[str, object]],
    found: dict[int, list[ScoredEdges]],
) -> None:
    """Insert into ``id_next`` the partners of frontier records along passing fuzzy links,
    and append the passing links (kept numbers) to ``found[rule number]``."""
    import pyarrow as pa

    fuzzy = [(r, rule) for r, rule in enumerate(config.rules) if not isinstance(rule, ExactRule)]
    if not fuzzy:
        return
    columns = sorted(
        {c for _, rule in fuzzy for fields in rule.block_on for c in block_columns(fields)}
    )
    # (The frontier's blocking values, read once for every key.)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE id_frontier_rows AS SELECT rid, {', '.join(columns)} "
        "FROM identity.record_features WHERE rid IN (SELECT rid FROM id_frontier)"
    )
    for r, rule in fuzzy:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE id_frontier_pairs AS "
            + " UNION ".join(
                f"({frontier_pairs_sql(fields, 'identity.record_features', 'id_frontier_rows')})"
                for fields in rule.block_on
            )
        )
        if not _count(con, "id_frontier_pairs"):
            continue
        features = FeatureArrays(
            con,
            "SELECT a FROM id_frontier_pairs UNION SELECT b FROM id_frontier_pairs",
            "identity.record_features",
        )
        scored = score_rule(
            con,
            features,
            rule,
            pairs_sql="SELECT a, b FROM id_frontier_pairs",
            params=params.get(rule.name),
        )
        found.setdefault(r, []).append(scored)
        if len(scored.a):
            con.register("id_passing", pa.table({"a": scored.a, "b": scored.b}))
            con.execute(
                "INSERT INTO id_next SELECT a FROM id_passing UNION ALL SELECT b FROM id_passing"
            )
            con.unregister("id_passing")


def compute_scope(
    con: duckdb.DuckDBPyConnection,
    config: IdentityConfig,
    params: dict[str, dict[str, object]],
) -> tuple[dict[str, int], dict[int, list[ScoredEdges]]]:
    """Create ``id_scope(rid)`` (and ``id_changed``) from what
    :func:`identity.features.build_features` found changed; returns counts and, per fuzzy
    or probabilistic rule (by number), the links it scored on the way: every candidate pair
    with a record in the scope was scored in the round that record entered it, so these
    are all the rule's links inside the scope (kept numbers ``rid``; a pair may repeat)."""
    _seed(con, config)
    changed, gone = _count(con, "id_changed"), _count(con, "id_gone")
    rounds = 0
    found: dict[int, list[ScoredEdges]] = {}
    while _count(con, "id_frontier"):
        rounds += 1
        con.execute("INSERT INTO id_scope SELECT rid FROM id_frontier")
        # (Records holding the frontier's identifiers: found by their hashes, which may
        # bring in a record holding another value of the same hash, never leave one out.)
        con.execute(
            """CREATE OR REPLACE TEMP TABLE id_next AS
            WITH k1 AS (
                SELECT k.rid, k.key_hash, s.value IS NOT NULL AS shared FROM identity.record_keys k
                LEFT JOIN id_shared s ON s.identifier = k.identifier AND s.value = k.value
                WHERE k.rid IN (SELECT rid FROM id_frontier))
            SELECT k2.rid FROM k1 JOIN identity.record_keys k2 USING (key_hash)
            WHERE NOT k1.shared
            UNION ALL
            SELECT k2.rid FROM k1 JOIN identity.record_names n1 ON n1.rid = k1.rid
            JOIN identity.record_keys k2 USING (key_hash)
            JOIN identity.record_names n2 ON n2.rid = k2.rid AND n2.canon = n1.canon
            WHERE k1.shared
            UNION ALL
            SELECT f2.rid FROM identity.overrides o
            JOIN identity.record_features f1 ON f1.source = o.source_a AND f1.record_id = o.record_id_a
            JOIN identity.record_features f2 ON f2.source = o.source_b AND f2.record_id = o.record_id_b
            WHERE o.kind = 'always_merge' AND f1.rid IN (SELECT rid FROM id_frontier)
            UNION ALL
            SELECT f1.rid FROM identity.overrides o
            JOIN identity.record_features f1 ON f1.source = o.source_a AND f1.record_id = o.record_id_a
            JOIN identity.record_features f2 ON f2.source = o.source_b AND f2.record_id = o.record_id_b
            WHERE o.kind = 'always_merge' AND f2.rid IN (SELECT rid FROM id_frontier)"""
        )
        _fuzzy_partners(con, config, params, found)
        _next_frontier(con)
    return {
        "changed_records": changed,
        "deleted_records": gone,
        "scope_records": _count(con, "id_scope"),
        "scope_rounds": rounds,
    }, found
