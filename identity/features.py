"""Match features of every live customer record, computed in DuckDB.

Normalizing in Python is the slow part, so it runs once per *distinct raw value*, and the
results persist in ``identity.normalized_values`` (kind, raw, region -> value): a later run
normalizes only values it has never seen. The features table then is one SQL join.

Output of a full run: the temp table ``id_features`` with a dense, deterministic ``rid`` (rank
of ``source, record_id``) and the normalized fields, ``id_keys_base(rid, identifier, value)``
with every exact identifier (email, phone, external ids), junk removed, and ``id_names``.

They are kept between runs (``identity.record_features``, ``record_keys``, ``record_names``),
each record under its ``rid``, which stays its number for as long as it lives (new records
are numbered after the last). An incremental run computes these rows only for new and changed
records (the ``*_delta`` tables), puts them in place of the kept rows of changed and deleted
records (``id_dirty``), and reads every record's from the kept tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from identity import normalize as nz
from identity.blocking import BLOCKABLE
from identity.compare import first_names_compatible
from identity.golden import GOLDEN_RAW
from identity.junk import is_junk, junk_id_sql

if TYPE_CHECKING:
    import duckdb

    from identity.config import IdentityConfig

__all__ = [
    "CACHE_TABLE",
    "FEATURES_DDL",
    "KEPT_DDL",
    "FEATURES_TABLE",
    "KEY_HASH",
    "PROFILE_HASH",
    "build_features",
    "build_names",
    "cache_kind",
]

CACHE_TABLE = "identity.normalized_values"

CACHE_DDL = f"""
CREATE TABLE IF NOT EXISTS {CACHE_TABLE} (
    kind VARCHAR NOT NULL, raw VARCHAR NOT NULL, region VARCHAR NOT NULL, value VARCHAR
)"""
FEATURES_DDL = """
CREATE TABLE IF NOT EXISTS identity.record_features (
    source VARCHAR, record_id VARCHAR, email VARCHAR, email_clean VARCHAR, phone VARCHAR,
    first_name VARCHAR, first_canon VARCHAR, last_name VARCHAR, date_of_birth DATE,
    street VARCHAR, postcode VARCHAR, city VARCHAR, country VARCHAR, email_local VARCHAR,
    external_ids MAP(VARCHAR, VARCHAR), updated_at TIMESTAMPTZ, created_at TIMESTAMPTZ,
    fp UBIGINT, rid BIGINT
)"""
#: What a run keeps besides the features (``record_features`` of an older cdp gains or loses
#: columns; the resolver version makes its first run a full one, which fills them). The
#: hashes let an incremental run's scope search join on integers instead of reading a
#: million strings per step (``profile_hash`` of ``profile_id``, ``key_hash`` of
#: ``identifier, value``); two values sharing a hash only widen the scope, never narrow it.
#: Each record's profile is kept apart from its features (``identity.kept_profiles``): a
#: run that moves records between profiles rewrites only those narrow rows. The passing
#: links of the fuzzy and probabilistic rules are kept by number (``identity.kept_links``,
#: ``a < b``): a pair neither of whose records changed scores as it did.
KEPT_DDL = """
ALTER TABLE identity.record_features ADD COLUMN IF NOT EXISTS rid BIGINT;
ALTER TABLE identity.record_features DROP COLUMN IF EXISTS profile_id;
ALTER TABLE identity.record_features DROP COLUMN IF EXISTS profile_hash;
CREATE TABLE IF NOT EXISTS identity.kept_profiles (
    rid BIGINT, profile_id VARCHAR, profile_hash UBIGINT);
CREATE TABLE IF NOT EXISTS identity.kept_links (
    rule VARCHAR, a BIGINT, b BIGINT, score DOUBLE, evidence VARCHAR);
CREATE TABLE IF NOT EXISTS identity.record_keys (rid BIGINT, identifier VARCHAR, value VARCHAR);
ALTER TABLE identity.record_keys ADD COLUMN IF NOT EXISTS key_hash UBIGINT;
CREATE TABLE IF NOT EXISTS identity.record_names (rid BIGINT, written VARCHAR, canon VARCHAR)"""
#: The hash columns of the kept rows, computed as they are written.
PROFILE_HASH = "hash(profile_id) AS profile_hash"
KEY_HASH = "hash(identifier, value) AS key_hash"


def _first(raw: str, region: str) -> str | None:
    name = nz.normalize_name(raw)
    return None if is_junk("name", name) else name


def _first_canon(raw: str, region: str) -> str | None:
    name = _first(raw, region)
    return nz.canonical_first_name(name) if name else None


def _email(raw: str, region: str) -> str | None:
    email = nz.normalize_email(raw)
    return None if email is None or is_junk("email", email) else nz.email_match_key(email)


def _phone(raw: str, region: str) -> str | None:
    phone = nz.normalize_phone(raw, region.lstrip("@") or None)
    return None if is_junk("phone", phone) else phone


#: Bumped whenever a normalizer's output changes (nicknames, email folding): cached values of
#: an older version are stale, so the cache keys each kind with it.
NORMALIZERS_VERSION = 2


def cache_kind(kind: str) -> str:
    """The cache's key of normalized values of ``kind`` (kinds of KINDS)."""
    return f"{kind}/v{NORMALIZERS_VERSION}"


#: kind -> (raw column, region column or None, normalizer(raw, region))
KINDS: dict[str, tuple[str, str | None, Callable[[str, str], str | None]]] = {
    "email": ("email", None, _email),
    "email_clean": ("email", None, lambda raw, _: nz.normalize_email(raw)),
    "phone": ("phone", "country", _phone),
    "first_name": ("first_name", None, _first),
    "first_canon": ("first_name", None, _first_canon),
    "last_name": ("last_name", None, _first),
    "street": ("street", None, lambda raw, _: nz.normalize_street(raw)),
    "postcode": (
        "postcode",
        "country",
        lambda raw, region: nz.normalize_postcode(raw, region.lstrip("@") or None),
    ),
    "city": ("city", None, lambda raw, _: nz.normalize_city(raw)),
    "country": ("country", None, lambda raw, _: nz.normalize_country(raw)),
}


def _region_sql(column: str | None, default: str) -> str:
    if column is None:
        return "''"
    return f"coalesce(c.\"{column}\", '@{default}')"


def _fill_cache(
    con: duckdb.DuckDBPyConnection,
    cache: str,
    config: IdentityConfig,
    rows_table: str,
    hits: str | None = None,
) -> int:
    """Normalize the raw values the cache has not seen; returns how many were new. ``hits``
    names a table holding every cache entry of these rows' raw values (looked up there
    instead of in the whole cache), which receives the new entries too."""
    with _Normalizer() as normalize:
        return sum(
            _fill_kind(con, cache, config, rows_table, kind, normalize, hits) for kind in KINDS
        )


def _fill_kind(
    con: duckdb.DuckDBPyConnection,
    cache: str,
    config: IdentityConfig,
    rows_table: str,
    kind: str,
    normalize: _Normalizer,
    hits: str | None = None,
) -> int:
    import pyarrow as pa

    column, region_col, _ = KINDS[kind]
    region = _region_sql(region_col, config.default_region)
    rows = con.execute(
        f"""SELECT DISTINCT CAST(c."{column}" AS VARCHAR) AS raw, {region} AS region
        FROM {rows_table} c
        WHERE c."{column}" IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM {hits or cache} n WHERE n.kind = ? AND n.raw = CAST(c."{column}" AS VARCHAR)
            AND n.region = {region})""",
        [cache_kind(kind)],
    ).fetchall()
    if not rows:
        return 0
    if kind == "phone" and len(rows) < PARALLEL_FROM:
        # The prefixes of North American numbers normalized before are valid (this process
        # checks them then without libphonenumber).
        nz.learn_nanp_prefixes(
            p
            for (p,) in con.execute(
                f"SELECT DISTINCT substr(value, 3, 6) FROM {cache} WHERE kind = ? "
                "AND value LIKE '+1%' AND length(value) = 12",
                [cache_kind(kind)],
            ).fetchall()
        )
    extra = frozenset(config.blocklist.get(kind, ()))
    values = [None if v in extra else v for v in normalize(kind, rows)]
    batch = pa.table(
        {
            "kind": pa.array([cache_kind(kind)] * len(rows), pa.string()),
            "raw": pa.array([r[0] for r in rows], pa.string()),
            "region": pa.array([r[1] for r in rows], pa.string()),
            "value": pa.array(values, pa.string()),
        }
    )
    con.register("id_new_values", batch)
    for table in (cache, hits) if hits else (cache,):
        con.execute(f"INSERT INTO {table} SELECT * FROM id_new_values")
    con.unregister("id_new_values")
    return len(rows)


#: Below this many new values, starting worker processes costs more than it saves.
PARALLEL_FROM = 100_000


def _normalize_chunk(kind: str, rows: list[tuple[str, str]]) -> list[str | None]:
    fn = KINDS[kind][2]
    return [fn(raw, region) for raw, region in rows]


class _Normalizer:
    """Normalizes batches of ``(raw, region)``: a large batch (a first run over a million
    records) on every core, in worker processes started once and only when needed."""

    def __init__(self) -> None:
        self.pool: Any = None

    def __enter__(self) -> _Normalizer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def __call__(self, kind: str, rows: list[tuple[str, str]]) -> list[str | None]:
        import os

        workers = min(os.cpu_count() or 1, 8)
        if len(rows) < PARALLEL_FROM or workers < 2:
            return _normalize_chunk(kind, rows)
        if self.pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn, not fork: this process holds DuckDB's threads and connection.
            context = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(workers, mp_context=context)
        size = -(-len(rows) // (workers * 4))
        chunks = [rows[i : i + size] for i in range(0, len(rows), size)]
        parts = self.pool.map(_normalize_chunk, [kind] * len(chunks), chunks)
        return [value for part in parts for value in part]


def _join(kind: str, config: IdentityConfig) -> str:
    column, region_col, _ = KINDS[kind]
    region = _region_sql(region_col, config.default_region)
    return (
        f"LEFT JOIN {{cache}} n_{kind} ON n_{kind}.kind = '{cache_kind(kind)}' "
        f'AND n_{kind}.raw = CAST(c."{column}" AS VARCHAR) AND n_{kind}.region = {region}'
    )


def _joins(config: IdentityConfig, cache: str) -> str:
    """The cache lookups of every kind, from the cache table ``cache``."""
    return "\n".join(_join(kind, config) for kind in KINDS).replace("{cache}", cache)


_LIVE_WHERE = "NOT coalesce(deleted, false) AND source IS NOT NULL AND record_id IS NOT NULL"
_LATEST = """QUALIFY row_number() OVER (PARTITION BY source, record_id
                               ORDER BY updated_at DESC NULLS LAST) = 1"""
_LIVE = f"SELECT * FROM staging.customer_records WHERE {_LIVE_WHERE} {_LATEST}"


def _held_twice(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether some live record has more than one staging row."""
    return bool(
        con.execute(
            f"SELECT 1 FROM staging.customer_records WHERE {_LIVE_WHERE} "
            "GROUP BY source, record_id HAVING count(*) > 1 LIMIT 1"
        ).fetchall()
    )


#: The features of the records as last resolved (kept for incremental runs).
FEATURES_TABLE = "identity.record_features"


def _features_sql(source: str, joins: str, *, rid: bool = False) -> str:
    """Feature rows of the staging rows of ``source`` (aliased ``c``), with its ``rid``
    column first when ``rid``."""
    dob_junk = "', '".join(["1900-01-01", "1901-01-01", "1970-01-01"])
    return f"""SELECT {"c.rid, " if rid else ""}c.source, c.record_id,
            n_email.value AS email, n_email_clean.value AS email_clean, n_phone.value AS phone,
            n_first_name.value AS first_name, n_first_canon.value AS first_canon,
            n_last_name.value AS last_name,
            CASE WHEN c.date_of_birth BETWEEN DATE '1900-01-02' AND current_date
                 AND CAST(c.date_of_birth AS VARCHAR) NOT IN ('{dob_junk}')
                 THEN c.date_of_birth END AS date_of_birth,
            n_street.value AS street, n_postcode.value AS postcode, n_city.value AS city,
            n_country.value AS country,
            nullif(split_part(n_email.value, '@', 1), '') AS email_local,
            c.external_ids, c.updated_at, c.created_at, c.fp
        FROM {source} c
        {joins}"""


def _numbered(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """``table``, a table just written in key order, with each row's position as ``rid``:
    its rowid counted from the first (rows written inside a transaction are numbered from a
    large offset). Should the rowids not be one contiguous range, a window ranks them."""
    first, last, count = con.execute(
        f"SELECT min(rowid), max(rowid), count(*) FROM {table}"
    ).fetchall()[0]
    rank = (
        f"rowid - {first or 0}"
        if not count or last - first + 1 == count
        else "row_number() OVER (ORDER BY source, record_id) - 1"
    )
    return f"(SELECT CAST({rank} AS BIGINT) AS rid, * FROM {table})"


def build_features(
    con: duckdb.DuckDBPyConnection,
    config: IdentityConfig,
    *,
    plan: bool,
    incremental: bool = False,
) -> int:
    """Create the temp tables ``id_features``, ``id_keys_base`` and ``id_names``; returns the
    number of live records.

    Incremental (inside a transaction): only staging rows whose fingerprint differs from the
    kept one are read (``id_changed_keys``); their ``*_delta`` rows replace the kept ones
    (see the module's docstring).
    """
    con.execute(CACHE_DDL)
    cache = CACHE_TABLE
    if plan:  # compute, but leave the warehouse as it is
        con.execute(f"CREATE OR REPLACE TEMP TABLE id_cache AS SELECT * FROM {CACHE_TABLE}")
        cache = "id_cache"
    else:  # values an older normalizer wrote
        con.execute(f"DELETE FROM {CACHE_TABLE} WHERE kind NOT LIKE '%/v{NORMALIZERS_VERSION}'")
    if not incremental:
        # The live rows in key order, each numbered by its position: DuckDB sorts on every
        # core and stores the sorted rows in order, so a row's rowid is its rank (a numbering
        # window over the whole table ran on one core: 2.6 s -> 1.1 s at 1M). The cache
        # lookups are joined onto this narrow table afterwards. The latest-row window runs
        # only when some record has two rows.
        live = (
            _LIVE
            if _held_twice(con)
            else f"SELECT * FROM staging.customer_records WHERE {_LIVE_WHERE}"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE id_rows AS SELECT c.* EXCLUDE (deleted, attributes), "
            f"hash(c) AS fp FROM ({live}) c ORDER BY source, record_id"
        )
        _fill_cache(con, cache, config, "id_rows")
        numbered = _numbered(con, "id_rows")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE id_features AS "
            f"{_features_sql(numbered, _joins(config, cache), rid=True)} ORDER BY c.rid"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE id_golden_raw AS SELECT rid, {', '.join(GOLDEN_RAW)} "
            f"FROM {numbered}"
        )
        con.execute("DROP TABLE id_rows")
        _build_keys(con, config, "id_features", "id_keys_base")
        build_names(con, cache, features="id_features", keys="id_keys_base", names="id_names")
        return int(con.execute("SELECT count(*) FROM id_features").fetchall()[0][0])
    _build_delta(con, config, cache)
    _build_keys(con, config, "id_features_delta", "id_keys_delta")
    build_names(
        con, cache, features="id_features_delta", keys="id_keys_delta", names="id_names_delta"
    )
    # The kept rows become the current ones (in the run's transaction, which the resolver
    # opened for an incremental run): every later step reads them as they are.
    for kept, delta in (
        (FEATURES_TABLE, "SELECT * FROM id_features_delta"),
        ("identity.record_keys", f"SELECT *, {KEY_HASH} FROM id_keys_delta"),
        ("identity.record_names", "SELECT * FROM id_names_delta"),
        (
            "identity.kept_profiles",
            f"SELECT rid, profile_id, {PROFILE_HASH} FROM id_changed_keys "
            "WHERE profile_id IS NOT NULL",
        ),
    ):
        con.execute(f"DELETE FROM {kept} WHERE rid IN (SELECT rid FROM id_dirty)")
        con.execute(f"INSERT INTO {kept} BY NAME {delta}")
    return int(con.execute(f"SELECT count(*) FROM {FEATURES_TABLE}").fetchall()[0][0])


def _build_delta(con: duckdb.DuckDBPyConnection, config: IdentityConfig, cache: str) -> None:
    """``id_features_delta``: the features of the new and changed records, numbered (``rid``);
    ``id_changed_keys(source, record_id, rid, profile_id)`` of those, with the profile they
    had (None for new records);
    ``id_gone(source, record_id, profile_id)`` of the kept records no longer live;
    ``id_dirty(rid, email, phone, ...)``: the kept rows that no longer hold (changed and
    deleted records), with the values they held that identify or block (``BLOCKABLE``)."""
    # A row's fingerprint hashes the whole row, its key included, so a live row whose
    # fingerprint a kept row has is that record as last resolved. One outer join on the
    # fingerprints alone (no strings to hash) finds the rows on one side only: new records,
    # new versions and the kept rows of changed or deleted records. (A record held twice is
    # told by its latest row: an older version finds no kept row, though its record may not
    # have changed, so the latest rows of the keys found decide.)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE id_delta_keys AS
        SELECT DISTINCT coalesce(l.source, s.source) AS source,
            coalesce(l.record_id, s.record_id) AS record_id
        FROM (SELECT c.source, c.record_id, hash(c) AS fp
              FROM staging.customer_records c WHERE {_LIVE_WHERE}) l
        FULL JOIN (SELECT source, record_id, fp FROM {FEATURES_TABLE}) s ON s.fp = l.fp
        WHERE l.fp IS NULL OR s.fp IS NULL"""
    )
    # (Keeping only those keys before the latest-row window keeps whole partitions.)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE id_latest AS SELECT c.*, hash(c) AS fp FROM (
            SELECT * FROM staging.customer_records c WHERE EXISTS (SELECT 1 FROM
            id_delta_keys k WHERE k.source = c.source AND k.record_id = c.record_id)
            AND {_LIVE_WHERE} {_LATEST}) c"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE id_delta AS
        SELECT k.source, k.record_id, s.rid, l.fp IS NULL AS gone, p.profile_id,
            {", ".join(f"s.{c}" for c in BLOCKABLE)}
        FROM id_delta_keys k
        LEFT JOIN {FEATURES_TABLE} s USING (source, record_id)
        LEFT JOIN identity.kept_profiles p ON p.rid = s.rid
        LEFT JOIN id_latest l USING (source, record_id)
        WHERE l.fp IS DISTINCT FROM s.fp"""
    )
    con.execute("DROP TABLE id_delta_keys")
    # A changed record keeps its number; new ones are numbered after the last, in key order.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE id_changed_keys AS
        SELECT source, record_id, coalesce(rid,
            (SELECT coalesce(max(rid), -1) FROM {FEATURES_TABLE})
            + row_number() OVER (PARTITION BY rid IS NULL ORDER BY source, record_id)) AS rid,
            profile_id
        FROM id_delta WHERE NOT gone"""
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE id_gone AS "
        "SELECT source, record_id, profile_id FROM id_delta WHERE gone"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE id_dirty AS SELECT rid, {', '.join(BLOCKABLE)} "
        "FROM id_delta WHERE rid IS NOT NULL"
    )
    con.execute("DROP TABLE id_delta")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE id_rows AS SELECT k.rid, c.*
        FROM id_latest c JOIN id_changed_keys k USING (source, record_id)"""
    )
    con.execute("DROP TABLE id_latest")
    # The changed rows look up only the cache entries of their raw values (joining the
    # whole cache, millions of values, cost more than the few rows themselves).
    raws = " UNION ".join(
        f'SELECT CAST("{column}" AS VARCHAR) FROM id_rows'
        for column in sorted({column for column, _, _ in KINDS.values()})
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE id_cache_hits AS SELECT * FROM {cache} WHERE raw IN ({raws})"
    )
    _fill_cache(con, cache, config, "id_rows", hits="id_cache_hits")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE id_features_delta AS "
        + _features_sql("id_rows", _joins(config, "id_cache_hits"), rid=True)
    )
    con.execute("DROP TABLE id_rows")
    con.execute("DROP TABLE id_cache_hits")


def _build_keys(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig, features: str, keys: str
) -> None:
    """``keys(rid, identifier, value)``: every email, phone and external id of the records of
    ``features``, junk removed (placeholders and the project's blocklist never identify
    anybody)."""
    import pyarrow as pa

    extra = [(i, v) for i, values in config.blocklist.items() if i not in KINDS for v in values]
    con.register(
        "id_junk",
        pa.table(
            {"identifier": [i for i, _ in extra], "value": [v for _, v in extra]},
            schema=pa.schema([("identifier", pa.string()), ("value", pa.string())]),
        ),
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {keys} AS
        SELECT rid, 'email' AS identifier, email AS value FROM {features} WHERE email IS NOT NULL
        UNION ALL
        SELECT rid, 'phone', phone FROM {features} WHERE phone IS NOT NULL
        UNION ALL
        SELECT rid, k AS identifier, trim(v) AS value FROM (
            SELECT rid, unnest(map_keys(external_ids)) AS k, unnest(map_values(external_ids)) AS v
            FROM {features} WHERE external_ids IS NOT NULL) e
        WHERE v IS NOT NULL AND NOT {junk_id_sql("v")} AND NOT EXISTS (
            SELECT 1 FROM id_junk j WHERE j.identifier = e.k AND j.value = trim(e.v))"""
    )
    con.unregister("id_junk")


def _spelt(con: duckdb.DuckDBPyConnection, cache: str, rows_sql: str, *, strict: bool) -> str:
    """The given name each (``email_local``, ``last_name``) of ``rows_sql`` spells, as a
    join over the cache (kind ``spelt``): only pairs never seen before are read in Python."""
    import pyarrow as pa

    kind, region = cache_kind("spelt"), "strict" if strict else ""
    raw = "concat_ws(chr(31), r.email_local, coalesce(r.last_name, ''))"
    new = con.execute(
        f"""SELECT DISTINCT r.email_local, r.last_name, {raw} FROM ({rows_sql}) r
        WHERE NOT EXISTS (SELECT 1 FROM {cache} n
            WHERE n.kind = ? AND n.region = ? AND n.raw = {raw})""",
        [kind, region],
    ).fetchall()
    if new:
        con.register(
            "id_spelt_new",
            pa.table(
                {
                    "kind": pa.array([kind] * len(new), pa.string()),
                    "raw": pa.array([r[2] for r in new], pa.string()),
                    "region": pa.array([region] * len(new), pa.string()),
                    "value": pa.array(
                        [nz.first_name_from_email(r[0], r[1], strict=strict) for r in new],
                        pa.string(),
                    ),
                }
            ),
        )
        con.execute(f"INSERT INTO {cache} SELECT * FROM id_spelt_new")
        con.unregister("id_spelt_new")
    return (
        f"JOIN {cache} spelt ON spelt.kind = '{kind}' AND spelt.region = '{region}' "
        f"AND spelt.raw = {raw.replace('r.', 'f.')}"
    )


def _register_names(con: duckdb.DuckDBPyConnection, view: str, names: list[str]) -> None:
    """``view(written, canon)``: the given ``names`` nickname-folded."""
    import pyarrow as pa

    con.register(
        view,
        pa.table(
            {
                "written": pa.array(names, pa.string()),
                "canon": pa.array([nz.canonical_first_name(n) or n for n in names], pa.string()),
            }
        ),
    )


def build_names(
    con: duckdb.DuckDBPyConnection, cache: str, *, features: str, keys: str, names: str
) -> None:
    """Create ``names(rid, written, canon)``: the first name of each record of ``features``
    the guards compare (as written and nickname-folded), for a record without one the given
    name its email address spells (:func:`identity.normalize.first_name_from_email`), so that
    a nameless newsletter signup on ``mary.vanburen@`` cannot join Thomas Van Buren. A record
    on somebody else's address gets that name on its email in ``keys``. What an address
    spells is cached with the normalized values: a run reads only new addresses."""
    import pyarrow as pa

    nameless = (
        f"SELECT rid, email_local, last_name FROM {features} "
        "WHERE first_canon IS NULL AND email_local IS NOT NULL"
    )
    spelt = _spelt(con, cache, nameless, strict=False)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE id_name_guesses AS
        SELECT f.rid, spelt.value AS written FROM ({nameless}) f
        {spelt} WHERE spelt.value IS NOT NULL"""
    )
    guessed = [w for (w,) in con.execute("SELECT DISTINCT written FROM id_name_guesses").fetchall()]
    _register_names(con, "id_guessed_names", guessed)
    # A record on an address that spells somebody else's name (Sarah Perez ordering with
    # kenneth.perez@) is on a household inbox: its email identifies it only with that name.
    # (Only addresses that do not contain the record's own first name need a look.)
    elsewhere = f"""SELECT rid, email_local, last_name, split_part(first_name, ' ', 1) AS written,
        first_canon FROM {features} WHERE first_canon IS NOT NULL AND email_local IS NOT NULL
        AND NOT contains(email_local, first_canon)
        AND NOT contains(email_local, split_part(first_name, ' ', 1))"""
    spelt = _spelt(con, cache, elsewhere, strict=True)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE id_elsewhere AS
        SELECT f.rid, f.written, f.first_canon, spelt.value AS spelt FROM ({elsewhere}) f
        {spelt} WHERE spelt.value IS NOT NULL"""
    )
    pairs = con.execute("SELECT DISTINCT written, first_canon, spelt FROM id_elsewhere").fetchall()
    foreign = [
        (written, canon, other)
        for written, canon, other in pairs
        if not first_names_compatible(
            (written, canon), (other, nz.canonical_first_name(other) or other)
        )
    ]
    if foreign:
        con.register(
            "id_foreign_names",
            pa.table(
                {c: pa.array([f[i] for f in foreign], pa.string())
                 for i, c in enumerate(("written", "first_canon", "spelt"))}
            ),
        )  # fmt: skip
        con.execute(
            f"""UPDATE {keys} SET value = {keys}.value || ' & first_name=' || e.first_canon
            FROM (SELECT rid, first_canon FROM id_elsewhere
                  SEMI JOIN id_foreign_names USING (written, first_canon, spelt)) e
            WHERE {keys}.identifier = 'email' AND {keys}.rid = e.rid"""
        )
        con.unregister("id_foreign_names")
    con.execute("DROP TABLE id_elsewhere")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {names} AS
        SELECT rid, split_part(first_name, ' ', 1) AS written, first_canon AS canon
        FROM {features} WHERE first_canon IS NOT NULL
        UNION ALL
        SELECT g.rid, g.written, n.canon FROM id_name_guesses g JOIN id_guessed_names n USING (written)"""
    )
    con.unregister("id_guessed_names")
    con.execute("DROP TABLE id_name_guesses")
