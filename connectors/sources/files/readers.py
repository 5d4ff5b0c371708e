"""Reading one export file into Arrow batches, keeping every unreadable row aside.

Each reader yields ``("rows", pyarrow.Table)`` batches whose columns are the file's columns
(renamed with :func:`column_key`), then one ``("rejected", pyarrow.Table)`` with a row per bad
line: ``line`` (1-based, counting the header), ``reason`` and ``raw`` (the line's text).
Typed columns (timestamps, dates, numbers) are parsed while reading; a value that does not
parse rejects its row instead of becoming NULL.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdp.errors import SourceFileError
from connectors.sources.files.config import FileSpec, column_key

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["BATCH_ROWS", "detect_format", "read_file", "with_version"]

BATCH_ROWS = 200_000
DUCKDB_TYPES = {"timestamp": "TIMESTAMP", "date": "DATE", "number": "DOUBLE", "integer": "BIGINT"}
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}

Batch = tuple[str, Any]


def detect_format(source: str, path: Path, spec: FileSpec) -> str:
    if spec.format:
        return spec.format
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in (".gz", ".zst")]
    if suffixes and suffixes[-1] in EXTENSIONS:
        return EXTENSIONS[suffixes[-1]]
    raise SourceFileError(
        source,
        path,
        "cannot tell the file format from its name; set format: csv, jsonl or parquet",
    )


def read_file(
    source: str, path: Path, spec: FileSpec, version: tuple[str, str], workdir: Path
) -> Iterator[Batch]:
    """Batches of ``path``: ``("rows", table)``, ``("parquet", (file, rows))`` (a Parquet file
    written in ``workdir``), then one ``("rejected", table)``.

    Rows carry the file's ``version`` (``_cdp_file``, ``_cdp_sha256``) and ``_cdp_row``, their
    1-based position among the file's loaded rows: together a key for every row ever loaded.
    A CSV's Parquet file leaves ``_cdp_row`` NULL: its rows are numbered once loaded, in the
    file's order (``source.reconcile``).
    """
    fmt = detect_format(source, path, spec)
    if fmt == "csv":
        yield from _read_csv(source, path, spec, version, workdir)
        return
    import pyarrow as pa

    reader = _read_jsonl if fmt == "jsonl" else _read_parquet
    position = 0
    for kind, table in reader(source, path, spec):
        if kind == "rows":
            n = table.num_rows
            table = with_version(table, version)
            table = table.append_column(
                "_cdp_row", pa.array(range(position + 1, position + n + 1), pa.int64())
            )
            position += n
        yield kind, table


def with_version(table: pa.Table, version: tuple[str, str]) -> pa.Table:
    """``table`` with its file's version: ``_cdp_file`` and ``_cdp_sha256`` on every row."""
    import pyarrow as pa

    for name, value in zip(("_cdp_file", "_cdp_sha256"), version, strict=True):
        table = table.append_column(name, pa.array([value] * table.num_rows, pa.string()))
    return table


def _check_columns(source: str, path: Path, spec: FileSpec, found: list[str]) -> None:
    missing = [
        c for c in spec.required if c not in found and column_key(c) not in map(column_key, found)
    ]
    if missing:
        what = f"not a {spec.description}" if spec.preset else "does not have the mapped columns"
        raise SourceFileError(
            source,
            path,
            f"{what}: missing column(s) {', '.join(repr(m) for m in missing)} "
            f"(the file has: {', '.join(found[:20])}{', ...' if len(found) > 20 else ''}); "
            "check the file, or the preset/columns in cdp.yml",
        )


def _rejected(rows: list[tuple[int | None, str, str | None]]) -> pa.Table:
    import pyarrow as pa

    lines, reasons, raws = zip(*rows, strict=True) if rows else ((), (), ())
    return pa.table(
        {
            "line": pa.array(lines, pa.int64()),
            "reason": pa.array(reasons, pa.string()),
            "raw": pa.array(raws, pa.string()),
        }
    )


def _csv_header(source: str, path: Path, spec: FileSpec) -> list[str]:
    import csv

    try:
        with path.open("rb") as handle:
            # Only the header line is decoded here: a bad byte further down is a row problem.
            raw = handle.readline()
            while raw.count(b'"') % 2 and (more := handle.readline()):
                raw += more
        header = next(csv.reader([raw.decode(spec.encoding)], delimiter=spec.delimiter), None)
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            source,
            path,
            f"the header line is not {spec.encoding} text ({exc.reason}); set encoding",
        ) from None
    if not header or not any(h.strip() for h in header):
        raise SourceFileError(source, path, "the file is empty or has no header line")
    header[0] = header[0].lstrip("\ufeff")  # a byte-order mark from Excel
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise SourceFileError(
            source, path, f"the header repeats column(s) {', '.join(map(repr, duplicates))}"
        )
    return header


def _read_csv(
    source: str, path: Path, spec: FileSpec, version: tuple[str, str], workdir: Path
) -> Iterator[Batch]:
    """DuckDB reads the CSV and writes Parquet in one pass; dlt imports that file as is."""
    import duckdb

    header = _csv_header(source, path, spec)
    _check_columns(source, path, spec, header)
    # The columns and their types are given, so DuckDB does not sniff: a value that does not
    # fit its type, a row with too few or too many fields, or bytes that are not valid text
    # go to the rejects table with their line number.
    columns = {
        col: DUCKDB_TYPES[spec.types[col]] if col in spec.types else "VARCHAR" for col in header
    }
    options: dict[str, object] = {
        "header": True,
        "auto_detect": False,
        "columns": columns,
        "delim": spec.delimiter,
        "quote": '"',
        "escape": '"',
        "encoding": spec.encoding,
        "store_rejects": True,
        "rejects_table": "cdp_rejects",
        "rejects_scan": "cdp_scans",
    }
    if spec.timestamp_format:
        options["timestampformat"] = spec.timestamp_format
    if spec.date_format:
        options["dateformat"] = spec.date_format
    args = ", ".join(f"{k} := ${k}" for k in options)
    select = ", ".join(
        f'"{col.replace(chr(34), chr(34) * 2)}" AS "{column_key(col)}"' for col in header
    )
    first_column = '"' + header[0].replace('"', '""') + '"'
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / f"{path.stem}-{os.getpid()}-{time.monotonic_ns()}.parquet"
    con = duckdb.connect(config={"memory_limit": "1GB"})
    try:
        # Numbering the rows here (row_number() OVER ()) would keep the parse and the Parquet
        # write on one thread; the rows keep the file's order (DuckDB preserves insertion
        # order), and are numbered once loaded.
        # The Parquet columns' nullability must match the hints dlt gets (source._hints: the
        # version columns nullable), or dlt rewrites the whole file at normalize. DuckDB marks
        # a constant NOT NULL, so the sha256 is written through an expression it cannot fold.
        (count,) = con.execute(
            f"COPY (SELECT {select}, $file AS _cdp_file, "
            f"if({first_column} IS NULL AND {first_column} IS NOT NULL, NULL, $sha) "
            "AS _cdp_sha256, CAST(NULL AS BIGINT) AS _cdp_row "
            f"FROM read_csv($path, {args})) "
            f"TO '{target}' (FORMAT parquet, ROW_GROUP_SIZE {BATCH_ROWS})",
            {"path": str(path), "file": version[0], "sha": version[1], **options},
        ).fetchall()[0]
        yield "parquet", (target, int(count))
        rows = con.execute(
            # One reason per kind of problem and line (a short row reports each missing field).
            "SELECT line, string_agg(message, '; ' ORDER BY message), any_value(raw) FROM ("
            "  SELECT line, error_type, arg_min(error_message, column_idx) AS message, any_value(csv_line) AS raw"
            "  FROM cdp_rejects GROUP BY line, error_type"
            ") GROUP BY line ORDER BY line"
        ).fetchall()
        yield "rejected", _rejected([(int(line), reason, raw) for line, reason, raw in rows])
    except duckdb.Error as exc:
        raise SourceFileError(
            source, path, f"cannot be read as CSV: {str(exc).splitlines()[0]}"
        ) from None
    finally:
        con.close()


def _parse_expr(column: str, kind: str, spec: FileSpec) -> str:
    """DuckDB SQL parsing text column ``column`` as ``kind``: NULL when it does not parse."""
    value = f"nullif(trim(\"{column}\"), '')"
    fmt = (
        spec.timestamp_format
        if kind == "timestamp"
        else spec.date_format
        if kind == "date"
        else None
    )
    if fmt:
        return f"try_strptime({value}, '{fmt.replace(chr(39), chr(39) * 2)}')"
    if kind == "timestamp":
        return f"CAST(TRY_CAST({value} AS TIMESTAMPTZ) AS TIMESTAMP)"
    return f"TRY_CAST({value} AS {DUCKDB_TYPES[kind]})"


def _parse_chunk(columns: dict[str, list], spec: FileSpec) -> tuple[pa.Table, dict[int, str]]:
    """The chunk as a table with its typed columns parsed, and row index -> reason for the
    rows whose typed values do not parse (those rows are left out of the table)."""
    import duckdb
    import pyarrow as pa

    size = len(next(iter(columns.values()))) if columns else 0
    table = pa.table(
        {"_i": pa.array(range(size), pa.int64())}
        | {n: pa.array(v, pa.string()) for n, v in columns.items()}
    )
    typed = {n: spec.types[n] for n in columns if n in spec.types}
    if not typed:
        return table.drop_columns(["_i"]).rename_columns([column_key(n) for n in columns]), {}
    con = duckdb.connect()
    try:
        con.register("chunk", table)
        bad: dict[int, str] = {}
        for name, kind in typed.items():
            for i, v in con.execute(
                f'SELECT _i, "{name}" FROM chunk WHERE nullif(trim("{name}"), \'\') IS NOT NULL '
                f"AND {_parse_expr(name, kind, spec)} IS NULL"
            ).fetchall():
                bad.setdefault(i, f'column "{name}": cannot read {v!r} as a {kind}')
        select = ", ".join(
            f'{_parse_expr(n, typed[n], spec) if n in typed else chr(34) + n + chr(34)} AS "{column_key(n)}"'
            for n in columns
        )
        where = f"WHERE _i NOT IN ({', '.join(map(str, bad))})" if bad else ""
        return con.sql(f"SELECT {select} FROM chunk {where} ORDER BY _i").to_arrow_table(), bad
    finally:
        con.close()


def _flatten(record: dict, prefix: str = "") -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False)
        else:
            out[name] = (
                None
                if value is None
                else str(value)
                if not isinstance(value, bool)
                else str(value).lower()
            )
    return out


def _read_jsonl(source: str, path: Path, spec: FileSpec) -> Iterator[Batch]:
    rejected: list[tuple[int | None, str, str | None]] = []
    checked_header = False
    chunk: list[dict[str, str | None]] = []
    lines: list[int] = []
    raws: list[str] = []

    def flush() -> Iterator[Batch]:
        columns: dict[str, list] = {}
        for name in dict.fromkeys(k for row in chunk for k in row):
            columns[name] = [row.get(name) for row in chunk]
        table, bad = _parse_chunk(columns, spec)
        for i in sorted(bad):
            rejected.append((lines[i], bad[i], raws[i]))
        if table.num_rows:
            yield "rows", table
        chunk.clear()
        lines.clear()
        raws.clear()

    with path.open("rb") as handle:
        for number, raw_bytes in enumerate(handle, start=1):
            if not raw_bytes.strip():
                continue
            try:
                text = raw_bytes.decode(spec.encoding)
            except UnicodeDecodeError as exc:
                rejected.append(
                    (
                        number,
                        f"not valid {spec.encoding} text ({exc.reason})",
                        raw_bytes.decode("utf-8", "replace").rstrip("\n"),
                    )
                )
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                rejected.append(
                    (number, f"not valid JSON: {exc.msg} at column {exc.colno}", text.rstrip("\n"))
                )
                continue
            if not isinstance(record, dict):
                rejected.append((number, "not a JSON object", text.rstrip("\n")))
                continue
            flat = _flatten(record)
            if not checked_header:
                _check_columns(source, path, spec, list(flat) + [k for k in record])
                checked_header = True
            chunk.append(flat)
            lines.append(number)
            raws.append(text.rstrip("\n"))
            if len(chunk) >= 50_000:
                yield from flush()
    if chunk:
        yield from flush()
    yield "rejected", _rejected(rejected)


def _read_parquet(source: str, path: Path, spec: FileSpec) -> Iterator[Batch]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
    except Exception as exc:
        raise SourceFileError(source, path, f"cannot be read as Parquet: {exc}") from None
    _check_columns(source, path, spec, file.schema_arrow.names)
    for batch in file.iter_batches(batch_size=BATCH_ROWS):
        table = pa.Table.from_batches([batch])
        yield "rows", table.rename_columns([column_key(n) for n in table.column_names])
    yield "rejected", _rejected([])
