"""The dlt source of a ``files`` source: only new or changed files are read.

Three tables land in ``raw_<source>``:

* ``<table>``: the file's rows, one column per file column;
* ``_cdp_rejected_rows``: rows that could not be read (``line``, ``reason``, ``raw``);
* ``_cdp_files``: one row per loaded file (size, sha256, rows, rejected, loaded_at).

Every row carries its file's version (``_cdp_file``, ``_cdp_sha256``) and data rows their
position in it (``_cdp_row``). The tables are *appended* to, which lets dlt write each row once
(a merge would write every row twice, through a staging table); :func:`reconcile` then makes
them exact after every load: a changed file's earlier rows are removed, rows that came without
their position (a CSV's) are numbered, and the copies a load job replayed after a crash
appended a second time are removed.

Which files were loaded (and at what size, mtime and content hash) is kept in the resource's
dlt state, which dlt commits together with the data.
"""

from __future__ import annotations

import glob
import hashlib
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdp.connector import FILES_TABLE, REJECTED_TABLE, SourceContext
from cdp.errors import ConfigError
from connectors.sources.files.config import FilesConfig
from connectors.sources.files.readers import read_file, with_version
from warehouse.connection import table_columns

__all__ = ["build_source", "check_paths", "matching_files", "reconcile"]


def matching_files(project_dir: Path, config: FilesConfig) -> list[Path]:
    """Every file the config's path(s) or glob(s) match, sorted."""
    patterns = [config.path] if isinstance(config.path, str) else config.path
    found: set[Path] = set()
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(project_dir / pattern)
        found.update(Path(p) for p in glob.glob(full, recursive=True) if Path(p).is_file())
    return sorted(found)


def check_paths(ctx: SourceContext) -> None:
    """Pre-flight: the path matches at least one file."""
    if not matching_files(ctx.project_dir, ctx.config):
        raise ConfigError(
            f"no file matches {ctx.config.path!r} (relative to {ctx.project_dir}); "
            "check the path, or export the file there",
            key="path",
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hints(parquet: Path) -> Any:
    """The columns of ``parquet`` for dlt, the version columns nullable: a table an earlier
    cdp wrote gains them on its next load, and NOT NULL cannot be added to a filled table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(parquet)
    return pa.schema(
        [f.with_nullable(True) if f.name in ("_cdp_sha256", "_cdp_row") else f for f in schema]
    ).empty_table()


def build_source(ctx: SourceContext) -> Any:
    import dlt
    import pyarrow as pa

    config: FilesConfig = ctx.config
    spec = config.spec()
    project_dir = ctx.project_dir
    workdir = project_dir / ".cdp" / "tmp" / ctx.name

    @dlt.resource(
        name=spec.table,
        write_disposition="append",
        columns={"_cdp_file": {"data_type": "text", "nullable": False}},
    )
    def files() -> Iterator[Any]:
        shutil.rmtree(workdir, ignore_errors=True)  # leftovers of a killed run
        state = dlt.current.resource_state().setdefault("files", {})
        for path in matching_files(project_dir, config):
            try:
                rel = str(path.relative_to(project_dir))
            except ValueError:
                rel = str(path)
            stat = path.stat()
            seen = state.get(rel)
            if (
                not ctx.full_refresh
                and seen
                and seen["size"] == stat.st_size
                and seen["mtime_ns"] == stat.st_mtime_ns
            ):
                continue
            sha = _sha256(path)
            if not ctx.full_refresh and seen and seen["sha256"] == sha:
                seen["mtime_ns"] = stat.st_mtime_ns  # touched, not changed
                continue
            rows = rejected = 0
            version = (rel, sha)
            for kind, item in read_file(ctx.name, path, spec, version, workdir):
                if kind == "rows":
                    rows += item.num_rows
                    ctx.progress(item.num_rows)
                    yield item
                elif kind == "parquet":
                    file, count = item
                    rows += count
                    ctx.progress(count)
                    # dlt hard-links the file into its load package: no copy, no rewrite.
                    yield dlt.mark.with_file_import(str(file), "parquet", count, hints=_hints(file))
                    file.unlink()
                else:
                    rejected += item.num_rows
                    yield dlt.mark.with_table_name(with_version(item, version), REJECTED_TABLE)
            manifest = pa.table(
                {
                    "size": [stat.st_size],
                    "rows": [rows],
                    "rejected": [rejected],
                    "loaded_at": pa.array([datetime.now(UTC)], pa.timestamp("us", tz="UTC")),
                }
            )
            yield dlt.mark.with_table_name(with_version(manifest, version), FILES_TABLE)
            state[rel] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha}

    return files()


def reconcile(ctx: SourceContext, con: Any) -> None:
    """Make the appended tables of the source's dataset exact; idempotent, and cheap when all
    is well (two narrow scans).

    * ``_cdp_files`` keeps each file's latest load only;
    * data and rejected rows of any other version of a file (it changed since) are removed;
    * data rows that arrive without their position (a CSV's rows: numbering them while reading
      would keep DuckDB's parse on one thread) are numbered here, in the order they were
      appended, which is the file's order (see :func:`_number_rows`);
    * a version holding more rows than its manifest counted was appended twice (dlt replays a
      load job that a crash interrupted before it was marked done): the extra copies go.
    """
    dataset, table = ctx.dataset, ctx.config.spec().table
    files = f'"{dataset}"."{FILES_TABLE}"'
    columns = table_columns(con, dataset)
    if FILES_TABLE not in columns:
        return
    # A table without file versions was written by an earlier cdp (merged on the file, so it
    # is exact as it stands) and has not been appended to since: nothing to reconcile.
    targets = {
        f'"{dataset}"."{name}"': key_and_count
        for name, key_and_count in (
            (table, ("_cdp_row", "rows")),
            (REJECTED_TABLE, ("line", "rejected")),
        )
        if "_cdp_sha256" in columns.get(name, ())
    }
    con.execute("BEGIN TRANSACTION")
    try:
        for target in targets:
            # Rows an earlier cdp wrote carry no version: they are the file's first version
            # on record (later loads append later manifest rows).
            con.execute(
                f"UPDATE {target} t SET _cdp_sha256 = f.sha FROM (SELECT _cdp_file, "
                f"arg_min(_cdp_sha256, loaded_at) AS sha FROM {files} GROUP BY _cdp_file) f "
                "WHERE t._cdp_sha256 IS NULL AND t._cdp_file = f._cdp_file"
            )
        con.execute(
            f"DELETE FROM {files} WHERE rowid NOT IN "
            f"(SELECT arg_max(rowid, loaded_at) FROM {files} GROUP BY _cdp_file)"
        )
        for target, (key, count) in targets.items():
            con.execute(
                f"DELETE FROM {target} t WHERE NOT EXISTS (SELECT 1 FROM {files} f "
                "WHERE f._cdp_file = t._cdp_file AND f._cdp_sha256 = t._cdp_sha256)"
            )
            copy = f"row_number() OVER (PARTITION BY _cdp_file, {key} ORDER BY t.rowid) > 1"
            if key == "_cdp_row" and key in columns[table]:  # (an early cdp wrote none)
                _number_rows(con, target)
                # A replayed copy of rows numbered here follows the first copy: its numbers
                # come after the manifest's count instead of repeating the first copy's.
                copy += f" OR t._cdp_row > f.{count}"
            replayed = con.execute(
                f"SELECT t._cdp_file FROM (SELECT _cdp_file, count(*) AS n FROM {target} "
                f"GROUP BY _cdp_file) t JOIN {files} f USING (_cdp_file) WHERE t.n > f.{count}"
            ).fetchall()
            if replayed:
                con.execute(
                    f"DELETE FROM {target} WHERE rowid IN (SELECT t.rowid FROM {target} t "
                    f"JOIN {files} f USING (_cdp_file) WHERE _cdp_file IN (SELECT unnest($files)) "
                    f"QUALIFY {copy})",
                    {"files": [f for (f,) in replayed]},
                )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _number_rows(con: Any, target: str) -> None:
    """Number the rows of ``target`` that arrived without ``_cdp_row``, per file, after the
    file's numbered rows, in ``rowid`` order.

    One load job appends one file's rows in the file's order (DuckDB keeps insertion order),
    so ``rowid`` order is file order. When a file's unnumbered rows hold a contiguous range of
    rowids (always, unless a replay interleaved two files' copies), a row's number is its
    offset in that range: no sort, no join. Otherwise the rows are ranked.
    """
    pending = con.execute(
        "SELECT _cdp_file, min(rowid), max(rowid) - min(rowid) + 1 = count(*), "
        f"(SELECT coalesce(max(n._cdp_row), 0) FROM {target} n WHERE n._cdp_file = u._cdp_file) "
        f"FROM {target} u WHERE _cdp_row IS NULL GROUP BY _cdp_file"
    ).fetchall()
    for file, first, dense, base in pending:
        if dense:
            con.execute(
                f"UPDATE {target} SET _cdp_row = $base + rowid - $first + 1 "
                "WHERE _cdp_row IS NULL AND _cdp_file = $file",
                {"file": file, "base": base, "first": first},
            )
        else:
            con.execute(
                f"UPDATE {target} t SET _cdp_row = r.n FROM (SELECT rowid AS id, $base + "
                f"row_number() OVER (ORDER BY rowid) AS n FROM {target} "
                "WHERE _cdp_row IS NULL AND _cdp_file = $file) r WHERE t.rowid = r.id",
                {"file": file, "base": base},
            )
