"""The ``sources`` stage: load every source through dlt, then rebuild the canonical model.

Each source loads in its own dlt pipeline into ``raw_<source>``. A source that fails (a bad
file, an authentication error) is reported and skipped; the others still load, and the
staging tables are rebuilt from whatever every source has loaded so far.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import replace
from typing import Any

from cdp.connector import REJECTED_TABLE, SourceConnector, SourceContext
from cdp.errors import CdpError, ConnectorError, root_cause
from cdp.progress import NullProgress, Progress
from cdp.run import StageContext, StageResult
from cdp.secrets import mask
from warehouse.staging import MappedSource, rebuild_staging

__all__ = ["run"]


def _dlt_defaults() -> None:
    """dlt quiet, and without the files of packages it has loaded: every load would otherwise
    leave a copy of its rows under ``.cdp/pipelines`` (the package's state stays)."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
    os.environ.setdefault("LOAD__DELETE_COMPLETED_JOBS", "true")
    logging.getLogger("dlt").setLevel(logging.ERROR)


def pipeline_name(project_name: str, source: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", f"cdp_{project_name.lower()}_{source}")


def run_pipeline(
    con: Any,
    connector: SourceConnector,
    sctx: SourceContext,
    *,
    pipeline_name: str,
    pipelines_dir: str,
    progress: Progress | None = None,
) -> tuple[dict[str, int], Any]:
    """Load one source through dlt into ``sctx.dataset`` of the DuckDB connection ``con``.

    Packages a killed run left behind are loaded first (nothing is lost), then the source is
    extracted (Parquet), normalized and loaded, and the connector's ``reconcile`` runs. Returns
    the rows loaded per table and the dlt pipeline. Raises the connector's CdpError, or a
    ConnectorError naming the source (secrets masked).
    """
    import dlt

    _dlt_defaults()
    progress = progress or NullProgress()
    pipeline = dlt.pipeline(
        pipeline_name=pipeline_name,
        pipelines_dir=pipelines_dir,
        destination=dlt.destinations.duckdb(con),
        dataset_name=sctx.dataset,
    )
    name = sctx.name
    _drop_half_created_packages(pipeline)
    try:
        if pipeline.list_extracted_load_packages():
            pipeline.normalize()
        if pipeline.list_normalized_load_packages():
            pipeline.load()
        with progress.task(f"source {name}: reading") as task:
            sctx = replace(sctx, progress=task.advance)
            if connector.check is not None:
                connector.check(sctx)
            pipeline.extract(
                connector.build(sctx),
                loader_file_format="parquet",
                refresh="drop_sources" if sctx.full_refresh else None,
            )
        with progress.task(f"source {name}: loading into {sctx.dataset}"):
            normalized = pipeline.normalize()
            pipeline.load()
            if connector.reconcile is not None:
                connector.reconcile(sctx, con)
    except Exception as exc:
        inner = root_cause(exc)
        if isinstance(inner, CdpError):
            raise inner from None
        raise ConnectorError(f"source '{name}'", mask(f"{type(inner).__name__}: {inner}")) from None
    finally:
        # dlt keeps the last pipeline (and so ``con``) alive in its context otherwise.
        pipeline.deactivate()
    return (dict(normalized.row_counts) if normalized else {}), pipeline


def _drop_half_created_packages(pipeline: Any) -> None:
    """Remove extracted load packages that a kill cut off while dlt was creating their folders
    (no ``new_jobs`` yet): they hold no data, and dlt would fail to normalize them. Their
    files are read again, as the source state they carried was never committed."""
    import shutil
    from pathlib import Path

    extracted = Path(pipeline.working_dir) / "normalize" / "extracted"
    for load_id in pipeline.list_extracted_load_packages():
        package = extracted / load_id
        if package.is_dir() and not (package / "new_jobs").is_dir():
            shutil.rmtree(package)


def load_source(
    ctx: StageContext, name: str, connector: SourceConnector, config: Any
) -> dict[str, int]:
    """Run one source's dlt pipeline into ``raw_<name>``; returns rows loaded per table."""
    project = ctx.project
    sctx = project.source_context(name, config, full_refresh=ctx.full_refresh)
    counts, _ = run_pipeline(
        ctx.con,
        connector,
        sctx,
        pipeline_name=pipeline_name(project.name, name),
        pipelines_dir=str(project.state_dir / "pipelines"),
        progress=ctx.progress,
    )
    return counts


def run(ctx: StageContext) -> StageResult:
    from cdp.plugins import get_registry

    result = StageResult()
    registry = get_registry()
    project = ctx.project
    per_source: dict[str, dict[str, int]] = {}
    mapped: list[MappedSource] = []
    for name, entry in project.config.sources.items():
        connector = registry.sources[entry.connector]
        config = project.source_configs[name]
        mapped.append(MappedSource(name, connector, config))
        if not entry.enabled or ctx.plan:
            continue
        try:
            counts = load_source(ctx, name, connector, config)
        except CdpError as exc:
            result.status = "partial"
            result.errors.append(str(exc))
            continue
        loaded = sum(v for t, v in counts.items() if not t.startswith("_"))
        rejected = counts.get(REJECTED_TABLE, 0)
        per_source[name] = {"loaded": loaded, "rejected": rejected}
    if ctx.plan:
        ctx.echo("  sources: --plan loads nothing; staging is left as it is")
        return result
    with ctx.progress.task("staging: rebuilding customer_records and events"):
        staged = rebuild_staging(ctx.con, mapped, force=ctx.full_refresh)
    result.counts = {
        "rows_loaded": sum(s["loaded"] for s in per_source.values()),
        "rows_rejected": sum(s["rejected"] for s in per_source.values()),
        **staged,
        "sources": per_source,
    }
    if result.errors and not per_source:
        result.status = "failed"
    return result
