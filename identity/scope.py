"""The records an incremental run must re-cluster: what new, changed or deleted records can
reach.

Seeds: changed records (new, or a different staging row than last resolved), every record
sharing an email or phone with a changed or deleted record (old or new value: a value's
"shared by a household" status may have flipped), every record of a block whose size the
changes took across the cap (its pairs came or went), and the records of the profiles of
all of those. Then, until nothing is added, the scope grows by every record that

* shares an identifier with a record in it (an exact link),
* is linked to one by a fuzzy or probabilistic rule's passing link, or is an always-merge
  override partner, or
* was in the same profile as one of them.

Fuzzy links are searched (blocking, scoring with the stored model parameters) only from the
records whose pairs may have changed: the changed records and those of blocks that crossed
the cap. Every other pair is as the last run scored it, so its passing links are read from
``identity.kept_links`` (which the search brings up to date: links of changed, deleted or
searched records out, the search's in).

The scope is therefore closed: no link a full resolution would consider leaves it, and it
holds whole previous profiles, so re-clustering it with the same parameters gives what a full
resolution would, while everything outside it is left untouched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from identity.blocking import block_columns, cap_crossings_sql, frontier_pairs_sql
from identity.config import ExactRule
from identity.scoring import FeatureArrays, ScoredEdges, links_table, score_rule

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
        SELECT rid FROM identity.record_features
            WHERE email IN (SELECT email FROM id_seed_values WHERE email IS NOT NULL)
        UNION ALL SELECT rid FROM identity.record_features
            WHERE phone IN (SELECT phone FROM id_seed_values WHERE phone IS NOT NULL)
        UNION ALL SELECT rid FROM identity.kept_profiles WHERE profile_hash IN (
            SELECT hash(profile_id) FROM id_gone WHERE profile_id IS NOT NULL)"""
    )
    # The records whose pairs may differ from last run's, searched for links: the changed
    # ones, and those of blocks whose size crossed the cap (their pairs came or went).
    keys = {
        tuple(fields)
        for rule in config.rules
        if not isinstance(rule, ExactRule)
        for fields in rule.block_on
    }
    con.execute("CREATE OR REPLACE TEMP TABLE id_searched AS SELECT rid FROM id_changed")
    for fields in sorted(keys):
        con.execute(
            "INSERT INTO id_searched "
            + cap_crossings_sql(fields, "identity.record_features", "id_features_delta", "id_dirty")
        )
    con.execute("INSERT INTO id_next SELECT rid FROM id_searched")
    con.execute("CREATE OR REPLACE TEMP TABLE id_scope (rid BIGINT)")


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


def _search_links(
    con: duckdb.DuckDBPyConnection,
    config: IdentityConfig,
    params: dict[str, dict[str, object]],
) -> dict[str, int]:
    """Score every candidate pair of a record of ``id_searched`` under each fuzzy or
    probabilistic rule; put their passing links in ``identity.kept_links`` in place of every
    link of a changed, deleted or searched record, and their records in ``id_next``.
    Returns how many pairs each rule scored."""
    con.execute(
        """DELETE FROM identity.kept_links WHERE a IN (SELECT rid FROM id_stale)
        OR b IN (SELECT rid FROM id_stale)"""
    )
    fuzzy = [rule for rule in config.rules if not isinstance(rule, ExactRule)]
    if not fuzzy:
        return {}
    columns = sorted(
        {c for rule in fuzzy for fields in rule.block_on for c in block_columns(fields)}
    )
    # (The searched records' blocking values, read once for every key.)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE id_searched_rows AS SELECT rid, {', '.join(columns)} "
        "FROM identity.record_features WHERE rid IN (SELECT rid FROM id_searched)"
    )
    scored_pairs: dict[str, int] = {}
    for rule in fuzzy:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE id_searched_pairs AS "
            + " UNION ".join(
                f"({frontier_pairs_sql(fields, 'identity.record_features', 'id_searched_rows')})"
                for fields in rule.block_on
            )
        )
        if not _count(con, "id_searched_pairs"):
            continue
        features = FeatureArrays(
            con,
            "SELECT a FROM id_searched_pairs UNION SELECT b FROM id_searched_pairs",
            "identity.record_features",
        )
        scored = score_rule(
            con,
            features,
            rule,
            pairs_sql="SELECT a, b FROM id_searched_pairs",
            params=params.get(rule.name),
        )
        scored_pairs[rule.name] = scored.pairs_scored
        con.register(
            "id_passing",
            links_table(
                [rule.name] * len(scored.a), scored.a, scored.b, scored.score, scored.evidence
            ),
        )
        con.execute("INSERT INTO identity.kept_links SELECT * FROM id_passing")
        con.execute(
            "INSERT INTO id_next SELECT a FROM id_passing UNION ALL SELECT b FROM id_passing"
        )
        con.unregister("id_passing")
    return scored_pairs


def _links_in_scope(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig, scored_pairs: dict[str, int]
) -> dict[int, ScoredEdges]:
    """Per fuzzy or probabilistic rule (by number), its passing links inside the scope (with
    the number of pairs the search scored)."""
    found: dict[int, ScoredEdges] = {}
    for r, rule in enumerate(config.rules):
        if isinstance(rule, ExactRule):
            continue
        table = con.sql(
            """SELECT a, b, score, evidence FROM identity.kept_links WHERE rule = ?
            AND a IN (SELECT rid FROM id_scope) AND b IN (SELECT rid FROM id_scope)""",
            params=[rule.name],
        ).to_arrow_table()
        found[r] = ScoredEdges(
            table.column("a").to_numpy(),
            table.column("b").to_numpy(),
            table.column("score").to_numpy(),
            table.column("evidence").to_pylist(),
            scored_pairs.get(rule.name, 0),
            {},
        )
    return found


def compute_scope(
    con: duckdb.DuckDBPyConnection,
    config: IdentityConfig,
    params: dict[str, dict[str, object]],
) -> tuple[dict[str, object], dict[int, ScoredEdges]]:
    """Create ``id_scope(rid)`` (and ``id_changed``) from what
    :func:`identity.features.build_features` found changed; returns counts and, per fuzzy
    or probabilistic rule (by number), its passing links inside the scope (kept numbers
    ``rid``)."""
    _seed(con, config)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE id_stale AS "
        "SELECT rid FROM id_searched UNION SELECT rid FROM id_dirty"
    )
    pairs_scored = _search_links(con, config, params)
    _next_frontier(con)
    changed, gone = _count(con, "id_changed"), _count(con, "id_gone")
    rounds = 0
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
            SELECT b FROM identity.kept_links WHERE a IN (SELECT rid FROM id_frontier)
            UNION ALL
            SELECT a FROM identity.kept_links WHERE b IN (SELECT rid FROM id_frontier)
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
        _next_frontier(con)
    return {
        "changed_records": changed,
        "deleted_records": gone,
        "scope_records": _count(con, "id_scope"),
        "scope_rounds": rounds,
        "searched_records": _count(con, "id_searched"),
    }, _links_in_scope(con, config, pairs_scored)
