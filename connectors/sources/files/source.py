"""The dlt source of a ``files`` source: only new or changed files are read.

Three tables land in ``raw_<source>``, each merged on ``_cdp_file`` so that a changed file's
rows replace its earlier rows (and a re-run after a crash replaces, never duplicates):

* ``<table>``: the file's rows, one column per file column;
* ``_cdp_rejected_rows``: rows that could not be read (``line``, ``reason``, ``raw``);
* ``_cdp_files``: one row per loaded file (size, sha256, rows, rejected, loaded_at).

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
from connectors.sources.files.readers import read_file

__all__ = ["build_source", "check_paths", "matching_files"]


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


def _with_file(table: Any, rel: str, sha: str | None = None) -> Any:
    import pyarrow as pa

    table = table.append_column("_cdp_file", pa.array([rel] * table.num_rows, pa.string()))
    if sha is not None:
        table = table.append_column("_cdp_sha256", pa.array([sha] * table.num_rows, pa.string()))
    return table


def build_source(ctx: SourceContext) -> Any:
    import dlt
    import pyarrow as pa
    import pyarrow.parquet as pq

    config: FilesConfig = ctx.config
    spec = config.spec()
    project_dir = ctx.project_dir
    workdir = project_dir / ".cdp" / "tmp" / ctx.name

    @dlt.resource(
        name=spec.table,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        merge_key="_cdp_file",
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
            for kind, item in read_file(ctx.name, path, spec, rel, workdir):
                if kind == "rows":
                    rows += item.num_rows
                    ctx.progress(item.num_rows)
                    yield item
                elif kind == "parquet":
                    file, count = item
                    rows += count
                    ctx.progress(count)
                    # dlt hard-links the file into its load package: no copy, no rewrite.
                    yield dlt.mark.with_file_import(
                        str(file), "parquet", count, hints=pq.read_schema(file).empty_table()
                    )
                    file.unlink()
                else:
                    rejected += item.num_rows
                    yield dlt.mark.with_table_name(_with_file(item, rel, sha), REJECTED_TABLE)
            manifest = pa.table(
                {
                    "size": [stat.st_size],
                    "rows": [rows],
                    "rejected": [rejected],
                    "loaded_at": pa.array([datetime.now(UTC)], pa.timestamp("us", tz="UTC")),
                }
            )
            yield dlt.mark.with_table_name(_with_file(manifest, rel, sha), FILES_TABLE)
            state[rel] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha}

    return files()
