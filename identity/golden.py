"""Golden records: one row per profile, each field chosen by its survivorship rule.

Strategies (``identity.survivorship`` in cdp.yml, per field or as the default):
``most_recent`` (the value of the most recently updated record), ``most_frequent``,
``first_non_null`` (the earliest created record's), ``source_priority`` (the first source
of a list that has a value). Empty values never win. ``field_sources`` records which
source (and record) gave each value.

How: the profiles' records are written once into a table sorted most recent first, so a
record's position there (its rowid) is its recency rank; each field's pick is then an
``arg_min`` over integers, which DuckDB computes far faster than an ordered aggregate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

if TYPE_CHECKING:
    import duckdb

    from identity.config import Survivorship

__all__ = ["GOLDEN_FIELDS", "GOLDEN_HASHES_DDL", "GOLDEN_RAW", "refresh_golden"]

#: golden field -> SQL expression over a record's raw staging values ``r`` and features ``f``
GOLDEN_FIELDS: dict[str, str] = {
    "email": "f.email_clean",
    "phone": "f.phone",
    "first_name": "nullif(trim(r.first_name), '')",
    "last_name": "nullif(trim(r.last_name), '')",
    "street": "nullif(trim(r.street), '')",
    "city": "nullif(trim(r.city), '')",
    "postcode": "nullif(trim(r.postcode), '')",
    "region": "nullif(trim(r.region), '')",
    "country": "upper(f.country)",
    "date_of_birth": "f.date_of_birth",
    "consent_email": "r.consent_email",
    "consent_sms": "r.consent_sms",
}
#: The raw staging columns those expressions read (a full run keeps them in ``id_golden_raw``).
GOLDEN_RAW = (
    "first_name",
    "last_name",
    "street",
    "city",
    "postcode",
    "region",
    "consent_email",
    "consent_sms",
)
#: Records summarized into golden records at a time (see :func:`refresh_golden`).
GOLDEN_SLICE = 500_000
#: The order of ``id_golden_base``: a record's rowid there is its recency rank (ties: source,
#: record_id); ``__first`` ranks by age, for ``first_non_null``.
_RECENT = "coalesce(updated_at, created_at) DESC NULLS LAST, source, record_id"
_FIRST = "coalesce(created_at, updated_at) ASC NULLS LAST, source, record_id"
_COLUMNS = [
    *GOLDEN_FIELDS,
    "external_ids",
    "sources",
    "record_count",
    "field_sources",
    "first_seen_at",
]
#: A hash of each golden record's content (every column but ``updated_at``): a run compares
#: its new golden records with these, not with every column of the kept ones (a read of the
#: whole golden table). (Two contents sharing a 64-bit hash would leave a change unwritten.)
GOLDEN_HASHES_DDL = """CREATE TABLE IF NOT EXISTS identity.golden_hashes (
    profile_id VARCHAR NOT NULL, content_hash UBIGINT NOT NULL)"""
_CONTENT_HASH = f"hash({', '.join(_COLUMNS)})"


def _order(field: str, survivorship: Survivorship) -> tuple[str, str | None]:
    """A key (over ``id_golden_base``) whose smallest value is the surviving record's, and
    the extra column of the base that key needs, if any."""
    spec = survivorship.for_field(field)
    if spec.strategy == "most_recent":
        return "__recent", None
    if spec.strategy == "first_non_null":
        return "__first", f"row_number() OVER (ORDER BY {_FIRST}) AS __first"
    if spec.strategy == "most_frequent":
        freq = f"count(*) OVER (PARTITION BY profile_id, {field}__v) AS {field}__freq"
        return f"[-{field}__freq, __recent]", freq
    cases = " ".join(
        f"WHEN {exp.Literal.string(s).sql('duckdb')} THEN {i}" for i, s in enumerate(spec.sources)
    )
    rank = f"CASE source {cases} ELSE {len(spec.sources)} END" if cases else "0"
    return f"[{rank}, __recent]", None


def _records_sql(members: str, *, numbered: bool) -> str:
    """Each member record with its field values. ``numbered``: ``members`` carries the
    ``rid`` of this run's ``id_features`` and ``id_golden_raw`` (a full run); otherwise the
    records are matched by key and their latest staging rows read."""
    values = ", ".join(f"{expr} AS {field}__v" for field, expr in GOLDEN_FIELDS.items())
    if numbered:
        return f"""SELECT m.profile_id, f.source, f.record_id, f.created_at, f.updated_at,
            f.external_ids, {values}
        FROM {members} m JOIN id_features f USING (rid) JOIN id_golden_raw r USING (rid)"""
    return f"""SELECT m.profile_id, r.source, r.record_id, r.created_at, r.updated_at,
            r.external_ids, {values}
        FROM {members} m
        JOIN id_features f ON f.source = m.source AND f.record_id = m.record_id
        JOIN (SELECT * FROM staging.customer_records c WHERE EXISTS (
                SELECT 1 FROM {members} x WHERE x.source = c.source AND x.record_id = c.record_id)
              QUALIFY row_number() OVER (PARTITION BY source, record_id
                                         ORDER BY updated_at DESC NULLS LAST) = 1) r
          ON r.source = m.source AND r.record_id = m.record_id"""


def _summary_sql(survivorship: Survivorship, where: str) -> str:
    """Golden record rows (``updated_at`` left NULL) of the base's records ``where`` holds."""
    picks = []
    for field in GOLDEN_FIELDS:
        key, _ = _order(field, survivorship)
        picks.append(
            f"arg_min({field}__v, {key}) AS {field}, "
            f"arg_min(src, {key}) FILTER (WHERE {field}__v IS NOT NULL) AS {field}__src"
        )
    sources_json = ", ".join(f"'{field}', {field}__src" for field in GOLDEN_FIELDS)
    return f"""
    WITH b AS (SELECT rowid AS __recent, * FROM id_golden_base {where}),
    picked AS (
        SELECT profile_id, {", ".join(picks)},
            list(DISTINCT source ORDER BY source) AS sources, count(*)::INTEGER AS record_count,
            min(coalesce(created_at, updated_at)) AS first_seen_at
        FROM b GROUP BY profile_id
    ),
    ext AS (
        SELECT profile_id, map_from_entries(list_sort(list(struct_pack(k := k, v := v)))) AS external_ids
        FROM (
            SELECT profile_id, k, arg_min(v, __recent) AS v
            FROM (SELECT profile_id, __recent, unnest(map_keys(external_ids)) AS k,
                         unnest(map_values(external_ids)) AS v
                  FROM b WHERE external_ids IS NOT NULL)
            WHERE trim(v) <> ''
            GROUP BY ALL
        ) GROUP BY profile_id
    )
    SELECT p.profile_id, {", ".join(GOLDEN_FIELDS)}, e.external_ids, p.sources, p.record_count,
        json_object({sources_json}) AS field_sources, p.first_seen_at,
        CAST(NULL AS TIMESTAMPTZ) AS updated_at
    FROM picked p LEFT JOIN ext e USING (profile_id)
    """


def refresh_golden(
    con: duckdb.DuckDBPyConnection,
    survivorship: Survivorship,
    members: str,
    now: object,
    scope: str | None = None,
    *,
    numbered: bool = False,
) -> tuple[int, int]:
    """Write golden records for the profiles of ``members(source, record_id, profile_id)``
    (every profile, or only those of the ``scope`` table of profile ids), touching only rows
    whose content changed. ``numbered``: see :func:`_records_sql`.

    Returns (rows inserted or updated, rows deleted).
    """
    extra = sorted({col for f in GOLDEN_FIELDS if (col := _order(f, survivorship)[1])})
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE id_golden_base AS
        SELECT *, source || ':' || record_id AS src{"".join(", " + c for c in extra)}
        FROM ({_records_sql(members, numbered=numbered)}) ORDER BY {_RECENT}"""
    )
    # Profiles are summarized in slices (by a hash of their id) of about GOLDEN_SLICE records
    # each, so memory stays bounded however many records there are.
    records = int(con.execute("SELECT count(*) FROM id_golden_base").fetchall()[0][0])
    slices = max(1, -(-records // GOLDEN_SLICE))
    for i in range(slices):
        where = f"WHERE hash(profile_id) % {slices} = {i}" if slices > 1 else ""
        sql = _summary_sql(survivorship, where)
        if i == 0:
            con.execute(f"CREATE OR REPLACE TEMP TABLE id_golden AS {sql}")
        else:
            con.execute(f"INSERT INTO id_golden {sql}")
    con.execute("DROP TABLE id_golden_base")
    _hash_kept_golden(con)
    in_scope = f"profile_id IN (SELECT profile_id FROM {scope}) AND " if scope else ""
    gone = f"{in_scope}profile_id NOT IN (SELECT profile_id FROM id_golden)"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE id_golden_changed AS
        SELECT * FROM (SELECT profile_id, {_CONTENT_HASH} AS content_hash FROM id_golden)
        ANTI JOIN identity.golden_hashes USING (profile_id, content_hash)"""
    )
    changed = con.execute("SELECT count(*) FROM id_golden_changed").fetchall()[0][0]
    counted = con.execute(f"SELECT count(*) FROM identity.golden_hashes WHERE {gone}")
    deleted = counted.fetchall()[0][0]
    for table in ("identity.golden_records", "identity.golden_hashes"):
        con.execute(
            f"DELETE FROM {table} WHERE ({gone}) "
            "OR profile_id IN (SELECT profile_id FROM id_golden_changed)"
        )
    all_cols = ", ".join(["profile_id", *_COLUMNS])
    con.execute(
        f"INSERT INTO identity.golden_records ({all_cols}, updated_at) "
        f"SELECT {all_cols}, ? FROM id_golden SEMI JOIN id_golden_changed USING (profile_id)",
        [now],
    )
    con.execute("INSERT INTO identity.golden_hashes SELECT * FROM id_golden_changed")
    return int(changed), int(deleted)


def _hash_kept_golden(con: duckdb.DuckDBPyConnection) -> None:
    """Hash the kept golden records again when their hashes are not all there (a warehouse
    from before they were kept)."""
    counts = con.execute(
        "SELECT (SELECT count(*) FROM identity.golden_records), "
        "(SELECT count(*) FROM identity.golden_hashes)"
    ).fetchall()[0]
    if counts[0] != counts[1]:
        con.execute("DELETE FROM identity.golden_hashes")
        con.execute(
            "INSERT INTO identity.golden_hashes "
            f"SELECT profile_id, {_CONTENT_HASH} FROM identity.golden_records"
        )
