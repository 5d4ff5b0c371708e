"""Candidate links, as SQL over the feature tables (built with sqlglot).

* Shared identifiers: an email or phone seen with more clearly different people than
  ``shared_identifier_max_people`` (a household inbox, an office line) stops being identity on
  its own: its key is qualified by the first name, so only records of the same person link.
* Exact edges: records sharing an identifier (every pair in small groups, a star around the
  first record in large ones).
* Fuzzy candidates: pairs sharing a blocking key (e.g. last name + postcode), blocks capped so
  a common value cannot explode into millions of pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from identity.compare import first_names_compatible
from identity.config import FUZZY_FIELDS

if TYPE_CHECKING:
    import duckdb

    from identity.config import IdentityConfig

__all__ = [
    "BLOCKABLE",
    "MAX_BLOCK",
    "block_columns",
    "cap_crossings_sql",
    "candidate_pairs_sql",
    "exact_edges",
    "mark_shared_identifiers",
    "qualified_keys_sql",
]

#: Records sharing one blocking key beyond this many are not compared (a junk-like key).
MAX_BLOCK = 50
#: Groups of records sharing an identifier up to this size are linked pairwise.
CLIQUE_MAX = 12
#: Blocking on "first_name" uses the nickname-folded name.
_BLOCK_COLUMN = {"first_name": "first_canon"}


def _people(names: list[tuple[str, str]]) -> int:
    """How many clearly different people a list of (written, folded) first names stands for."""
    groups: list[tuple[str, str]] = []
    for name in sorted(names):
        if not any(first_names_compatible(name, g) for g in groups):
            groups.append(name)
    return len(groups)


#: The shared emails/phones of the last run (an incremental run re-checks only the values
#: its new, changed or deleted records hold or held).
SHARED_DDL = """CREATE TABLE IF NOT EXISTS identity.shared_identifiers (
    identifier VARCHAR, value VARCHAR)"""

#: The emails and phones new, changed or deleted records hold or held.
_AFFECTED_VALUES = """CREATE OR REPLACE TEMP TABLE id_affected_values AS
    WITH v AS (
        SELECT email, phone FROM id_features_delta UNION ALL SELECT email, phone FROM id_dirty)
    SELECT 'email' AS identifier, email AS value FROM v WHERE email IS NOT NULL
    UNION SELECT 'phone', phone FROM v WHERE phone IS NOT NULL"""


def mark_shared_identifiers(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig, *, incremental: bool = False
) -> int:
    """Find the shared emails/phones (``id_shared``) and qualify them by first name: the
    table ``id_keys`` from ``id_keys_base`` (an incremental run reads the kept
    ``identity.record_keys`` through :func:`qualified_keys_sql` where it needs them); returns
    how many are shared.

    Incremental: only the values new, changed or deleted records hold or held can change
    status; the others keep the last run's (``identity.shared_identifiers``).
    """
    keys, names = (
        ("identity.record_keys", "identity.record_names")
        if incremental
        else ("id_keys_base", "id_names")
    )
    only = ""
    if incremental:
        con.execute(_AFFECTED_VALUES)
        only = (
            "AND EXISTS (SELECT 1 FROM id_affected_values a "
            "WHERE a.identifier = k.identifier AND a.value = k.value)"
        )
    rows = con.execute(
        f"""SELECT k.identifier, k.value, list(DISTINCT [f.written, f.canon])
        FROM {keys} k JOIN {names} f USING (rid)
        WHERE k.identifier IN ('email', 'phone') {only}
        GROUP BY ALL HAVING count(DISTINCT f.canon) > 1"""
    ).fetchall()
    shared = [
        (i, v) for i, v, names in rows if _people(names) > config.shared_identifier_max_people
    ]
    import pyarrow as pa

    con.execute("CREATE OR REPLACE TEMP TABLE id_shared (identifier VARCHAR, value VARCHAR)")
    if incremental:
        con.execute(
            """INSERT INTO id_shared SELECT identifier, value FROM identity.shared_identifiers s
            WHERE NOT EXISTS (SELECT 1 FROM id_affected_values a
                              WHERE a.identifier = s.identifier AND a.value = s.value)"""
        )
    if shared:
        con.register(
            "id_shared_new",
            pa.table({"identifier": [s[0] for s in shared], "value": [s[1] for s in shared]}),
        )
        con.execute("INSERT INTO id_shared SELECT * FROM id_shared_new")
        con.unregister("id_shared_new")
    if not incremental:
        con.execute(f"CREATE OR REPLACE TEMP TABLE id_keys AS {qualified_keys_sql(keys, names)}")
    return int(con.execute("SELECT count(*) FROM id_shared").fetchall()[0][0])


def qualified_keys_sql(keys: str, names: str) -> str:
    """The rows ``(rid, identifier, value)`` of ``keys`` as they identify: a shared value
    (``id_shared``) only together with the first name (records without one drop it), the
    others as they are."""
    return f"""SELECT rid, identifier, value FROM {keys} k WHERE NOT EXISTS (
            SELECT 1 FROM id_shared s WHERE s.identifier = k.identifier AND s.value = k.value)
        UNION ALL
        SELECT k.rid, k.identifier, k.value || ' & first_name=' || f.canon
        FROM {keys} k SEMI JOIN id_shared s ON s.identifier = k.identifier AND s.value = k.value
        JOIN {names} f USING (rid)"""


def exact_edges(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``id_exact_edges(a, b, identifier, value)`` with a < b, of ``id_keys``."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE id_exact_edges AS
        WITH g AS (
            SELECT rid, identifier, value,
                count(*) OVER (PARTITION BY identifier, value) AS n,
                min(rid) OVER (PARTITION BY identifier, value) AS first_rid
            FROM id_keys
        )
        SELECT l.rid AS a, r.rid AS b, l.identifier, l.value
        FROM g l JOIN g r ON l.identifier = r.identifier AND l.value = r.value AND l.rid < r.rid
        WHERE l.n BETWEEN 2 AND {CLIQUE_MAX}
        UNION
        SELECT first_rid AS a, rid AS b, identifier, value
        FROM g WHERE n > {CLIQUE_MAX} AND rid <> first_rid"""
    )


def _in(column: exp.Column, table: str) -> exp.Expression:
    return exp.In(this=column, query=sqlglot.select("rid").from_(table).subquery())


def block_columns(fields: Sequence[str]) -> list[str]:
    """The feature columns a blocking key reads."""
    return [_BLOCK_COLUMN.get(f, f) for f in fields]


#: Every feature column a blocking key can read.
BLOCKABLE = block_columns(FUZZY_FIELDS)


def cap_crossings_sql(fields: Sequence[str], features: str, added: str, removed: str) -> str:
    """The ``rid`` of the records of ``features`` in the blocks of one key whose size crossed
    the cap (:data:`MAX_BLOCK`) when the rows of ``added`` came into ``features`` and those of
    ``removed`` left it: a block growing past it no longer pairs its records, one shrinking
    under it pairs them, though nothing else about them changed."""
    cols = block_columns(fields)
    complete = _complete(cols).sql(dialect="duckdb")
    key = ", ".join(cols)
    return f"""WITH touched AS (
            SELECT {key}, sum(n) AS grew FROM (
                SELECT {key}, 1 AS n FROM {added} WHERE {complete}
                UNION ALL SELECT {key}, -1 FROM {removed} WHERE {complete})
            GROUP BY ALL),
        sized AS (
            SELECT {key}, count(*) AS size FROM {features} SEMI JOIN touched USING ({key})
            GROUP BY ALL)
        SELECT f.rid FROM {features} f SEMI JOIN (
            SELECT {key} FROM touched LEFT JOIN sized USING ({key})
            WHERE (coalesce(size, 0) <= {MAX_BLOCK}) <> (coalesce(size, 0) - grew <= {MAX_BLOCK})
        ) x USING ({key})"""


def _complete(cols: list[str]) -> exp.Condition:
    """A record has a blocking key only when every column of it is filled (the same test
    for a full run's blocks and an incremental run's)."""
    return exp.and_(*[exp.column(c).is_(exp.null()).not_() for c in cols])


def frontier_pairs_sql(fields: Sequence[str], features: str, frontier: str) -> str:
    """Pairs ``(a, b)``, a < b, of one blocking key with at least one record of
    ``frontier`` (its ``rid`` and key columns): only the blocks the frontier's key values
    name are read from ``features``, and they are whole there, so the cap on a block's size
    holds as over every record."""
    return _frontier_pairs_sql(tuple(fields), features, frontier, MAX_BLOCK)


# (An incremental run asks for the same statements in every scope round: sqlglot builds
# each once.)
@lru_cache(maxsize=256)
def _frontier_pairs_sql(fields: tuple[str, ...], features: str, frontier: str, cap: int) -> str:
    cols = block_columns(fields)
    keys = sqlglot.select(*cols).from_(frontier).where(_complete(cols)).distinct()
    members = (
        sqlglot.select(exp.column("rid", "f"), *[exp.column(c, "f") for c in cols])
        .from_(exp.to_table(features).as_("f"))
        .join(
            keys.subquery("x"),
            on=exp.and_(*[exp.column(c, "f").eq(exp.column(c, "x")) for c in cols]),
            join_type="semi",
        )
        .qualify(
            exp.LTE(
                this=exp.Window(
                    this=exp.Count(this=exp.Star()),
                    partition_by=[exp.column(c, "f") for c in cols],
                ),
                expression=exp.Literal.number(cap),
            )
        )
    )
    lrid, rrid = exp.column("rid", "l"), exp.column("rid", "r")
    on = exp.and_(*[exp.column(c, "l").eq(exp.column(c, "r")) for c in cols], lrid.neq(rrid))
    return (
        sqlglot.select(
            exp.Least(this=lrid, expressions=[rrid]).as_("a"),
            exp.Greatest(this=lrid, expressions=[rrid]).as_("b"),
        )
        .with_("m", members)
        .from_(exp.to_table("m").as_("l"))
        .join(exp.to_table("m").as_("r"), on=on)
        .where(_in(lrid, frontier))
        .sql(dialect="duckdb")
    )


def _block(fields: Sequence[str]) -> exp.Select:
    cols = block_columns(fields)
    return (
        sqlglot.select("rid", *cols)
        .from_("id_features")
        .where(_complete(cols))
        .qualify(  # (a record alone in its block pairs with nobody)
            exp.Between(
                this=exp.Window(
                    this=exp.Count(this=exp.Star()),
                    partition_by=[exp.column(c) for c in cols],
                ),
                low=exp.Literal.number(2),
                high=exp.Literal.number(MAX_BLOCK),
            )
        )
    )


def _block_query(fields: Sequence[str]) -> exp.Select:
    cols = block_columns(fields)
    block = _block(fields)
    on = exp.and_(
        *[exp.EQ(this=exp.column(c, "l"), expression=exp.column(c, "r")) for c in cols],
        exp.LT(this=exp.column("rid", "l"), expression=exp.column("rid", "r")),
    )
    return (
        sqlglot.select(exp.column("rid", "l").as_("a"), exp.column("rid", "r").as_("b"))
        .from_(block.subquery("l"))
        .join(block.subquery("r"), on=on)
    )


def candidate_pairs_sql(block_on: Sequence[Sequence[str]]) -> str:
    """One DuckDB query returning the distinct candidate pairs ``(a, b)``, a < b, of
    ``id_features``."""
    queries = [_block_query(fields) for fields in block_on]
    union: exp.Query = queries[0]
    for query in queries[1:]:
        union = exp.union(union, query, distinct=True)
    if len(queries) == 1:
        union = sqlglot.select("a", "b").from_(union.subquery("p")).distinct()
    return union.sql(dialect="duckdb")
