"""Golden records: one row per profile, each field chosen by its survivorship rule.

Strategies (``identity.survivorship`` in cdp.yml, per field or as the default):
``most_recent`` (the value of the most recently updated record), ``most_frequent``,
``first_non_null`` (the earliest created record's), ``source_priority`` (the first source
of a list that has a value). Empty values never win. ``field_sources`` records which
source (and record) gave each value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

if TYPE_CHECKING:
    import duckdb

    from identity.config import Survivorship

__all__ = ["GOLDEN_FIELDS", "build_golden_sql"]

#: golden field -> SQL expression over the joined record row ``r`` (raw) and features ``f``
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

_TS = "coalesce(updated_at, created_at)"
#: Records summarized into golden records at a time (see :func:`refresh_golden`).
GOLDEN_SLICE = 500_000
#: Each record's rank among all records by recency (ties: source, record_id), and by age: the
#: fields' picks are ``arg_min`` over these integers, far cheaper than an ordered aggregate.
_RANKS = {
    "__recent": "coalesce(r.updated_at, r.created_at) DESC NULLS LAST, r.source, r.record_id",
    "__first": "coalesce(r.created_at, r.updated_at) ASC NULLS LAST, r.source, r.record_id",
}


def _order(field: str, survivorship: Survivorship) -> tuple[str, str | None]:
    """A key (over the ``base`` CTE) whose smallest value is the surviving record's, and the
    extra ``base`` column that key needs, if any."""
    spec = survivorship.for_field(field)
    if spec.strategy == "most_recent":
        return "__recent", None
    if spec.strategy == "first_non_null":
        return "__first", None
    if spec.strategy == "most_frequent":
        freq = (
            f"count(*) OVER (PARTITION BY rp.profile_id, {GOLDEN_FIELDS[field]}) AS {field}__freq"
        )
        return f"[-{field}__freq, __recent]", freq
    cases = " ".join(
        f"WHEN {exp.Literal.string(s).sql('duckdb')} THEN {i}" for i, s in enumerate(spec.sources)
    )
    rank = f"CASE source {cases} ELSE {len(spec.sources)} END" if cases else "0"
    return f"[{rank}, __recent]", None


def build_golden_sql(
    survivorship: Survivorship, record_profiles: str, *, scoped: bool = False
) -> str:
    """A query producing ``identity.golden_records`` rows (``updated_at`` left NULL);
    ``scoped`` when ``record_profiles`` holds a few profiles: only their records' staging
    rows are read."""
    only = (
        f"WHERE EXISTS (SELECT 1 FROM {record_profiles} x WHERE x.source = customer_records.source "
        "AND x.record_id = customer_records.record_id)"
        if scoped
        else ""
    )
    ranked_cols = []
    picks = []
    keys = []
    for field in GOLDEN_FIELDS:
        key, extra_col = _order(field, survivorship)
        keys.append(key)
        if extra_col:
            ranked_cols.append(extra_col)
        picks.append(
            f"arg_min(struct_pack(v := {field}__v, s := source, id := record_id), {key}) "
            f"FILTER (WHERE {field}__v IS NOT NULL) AS {field}__pick"
        )
    ranked_cols += [
        f"row_number() OVER (ORDER BY {order}) AS {name}"
        for name, order in _RANKS.items()
        if any(name in key for key in keys)
    ]
    base_cols = ", ".join(f"{expr} AS {field}__v" for field, expr in GOLDEN_FIELDS.items())
    extra = (", " + ", ".join(ranked_cols)) if ranked_cols else ""
    selects = ", ".join(f"{field}__pick.v AS {field}" for field in GOLDEN_FIELDS)
    sources_json = ", ".join(
        f"'{field}', CASE WHEN {field}__pick IS NULL THEN NULL ELSE "
        f"{field}__pick.s || ':' || {field}__pick.id END"
        for field in GOLDEN_FIELDS
    )
    return f"""
    WITH base AS (
        SELECT rp.profile_id, r.source, r.record_id, r.created_at, r.updated_at, r.external_ids,
               {base_cols}{extra}
        FROM {record_profiles} rp
        JOIN id_features f ON f.source = rp.source AND f.record_id = rp.record_id
        JOIN (SELECT * FROM staging.customer_records {only}
              QUALIFY row_number() OVER (PARTITION BY source, record_id
                                         ORDER BY updated_at DESC NULLS LAST) = 1) r
          ON r.source = rp.source AND r.record_id = rp.record_id
    ),
    ext AS (
        SELECT profile_id, map_from_entries(list_sort(list(struct_pack(k := k, v := v)))) AS external_ids
        FROM (
            SELECT profile_id, k, first(v ORDER BY coalesce(updated_at, created_at) DESC NULLS LAST, source, record_id) AS v
            FROM (SELECT profile_id, source, record_id, created_at, updated_at,
                         unnest(map_keys(external_ids)) AS k, unnest(map_values(external_ids)) AS v
                  FROM base WHERE external_ids IS NOT NULL)
            WHERE v IS NOT NULL AND trim(v) <> ''
            GROUP BY ALL
        ) GROUP BY profile_id
    ),
    picked AS (
        SELECT profile_id, {", ".join(picks)},
            list(DISTINCT source ORDER BY source) AS sources, count(*)::INTEGER AS record_count,
            min(coalesce(created_at, updated_at)) AS first_seen_at
        FROM base GROUP BY profile_id
    )
    SELECT p.profile_id, {selects}, e.external_ids, p.sources, p.record_count,
        json_object({sources_json}) AS field_sources, p.first_seen_at,
        CAST(NULL AS TIMESTAMPTZ) AS updated_at
    FROM picked p LEFT JOIN ext e USING (profile_id)
    """


def refresh_golden(
    con: duckdb.DuckDBPyConnection,
    survivorship: Survivorship,
    record_profiles: str,
    now: object,
    scope: str | None = None,
) -> tuple[int, int]:
    """Write golden records for every profile (or only those of the ``scope`` table of
    profile ids), touching only rows whose content changed.

    Returns (rows inserted or updated, rows deleted).
    """
    # Profiles are summarized in slices (by a hash of their id) of about GOLDEN_SLICE records
    # each, so memory stays bounded however many records there are.
    records = int(con.execute(f"SELECT count(*) FROM {record_profiles}").fetchall()[0][0])
    slices = max(1, -(-records // GOLDEN_SLICE))
    for i in range(slices):
        part = record_profiles
        if slices > 1:
            part = f"(SELECT * FROM {record_profiles} WHERE hash(profile_id) % {slices} = {i})"
        sql = build_golden_sql(survivorship, part, scoped=scope is not None or slices > 1)
        if i == 0:
            con.execute(f"CREATE OR REPLACE TEMP TABLE id_golden AS {sql}")
        else:
            con.execute(f"INSERT INTO id_golden {sql}")
    cols = [c for c in GOLDEN_FIELDS] + [
        "external_ids",
        "sources",
        "record_count",
        "field_sources",
        "first_seen_at",
    ]
    same = " AND ".join(f"g.{c} IS NOT DISTINCT FROM n.{c}" for c in cols)
    in_scope = f"g.profile_id IN (SELECT profile_id FROM {scope}) AND " if scope else ""
    gone = con.execute(
        f"SELECT count(*) FROM identity.golden_records g WHERE {in_scope}g.profile_id NOT IN (SELECT profile_id FROM id_golden)"
    ).fetchall()[0][0]
    # (A join on the id with the comparison after it: as NOT EXISTS over every column, the
    # whole golden table was hashed.)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE id_golden_changed AS SELECT n.profile_id FROM id_golden n
        LEFT JOIN identity.golden_records g USING (profile_id)
        WHERE g.profile_id IS NULL OR NOT ({same})"""
    )
    changed = con.execute("SELECT count(*) FROM id_golden_changed").fetchall()[0][0]
    con.execute(
        f"DELETE FROM identity.golden_records g WHERE ({in_scope}g.profile_id NOT IN (SELECT profile_id FROM id_golden)) "
        "OR g.profile_id IN (SELECT profile_id FROM id_golden_changed)"
    )
    all_cols = ", ".join(["profile_id", *cols])
    con.execute(
        f"INSERT INTO identity.golden_records ({all_cols}, updated_at) "
        f"SELECT {all_cols}, ? FROM id_golden WHERE profile_id IN (SELECT profile_id FROM id_golden_changed)",
        [now],
    )
    return int(changed), int(gone)
