"""Running one source connector the way the sources stage does, into a DuckDB file.

:func:`run_source` validates the config, builds the dlt source, and runs a dlt pipeline into
``raw_<name>`` of a DuckDB file (state kept under ``<workdir>/.cdp/pipelines`` so a second call
is an incremental run). :func:`canonical_rows` runs the connector's mapping SQL over what was
loaded and casts every column to its canonical type, exactly as staging does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from cdp.connector import (
    CUSTOMER_RECORD_COLUMNS,
    EVENT_COLUMNS,
    MappingContext,
    SourceConnector,
    SourceContext,
)
from cdp.errors import CdpError, root_cause

__all__ = ["LoadResult", "SourceCase", "canonical_rows", "run_source", "unwrap_error"]

WAREHOUSE_FILE = "warehouse.duckdb"


@dataclass
class SourceCase:
    """How to reach a working instance of a source (usually a local fake of its API)."""

    name: str
    config: dict[str, Any]
    secrets: dict[str, str] = field(default_factory=dict)
    invalid_configs: list[dict[str, Any]] = field(default_factory=list)
    """Configs the connector must reject before running (beyond an unknown key)."""
    expect_customer_records: bool = True
    expect_events: bool = False
    broken_secrets: dict[str, str] | None = None
    """Secrets that the (fake) service rejects: the run must fail with one clear ConnectorError.
    Default: every required secret replaced by a wrong value."""


@dataclass
class LoadResult:
    database: Path
    dataset: str
    rows: dict[str, int]
    """Rows loaded per table in this run (dlt's own tables left out)."""
    dispositions: dict[str, str]


def unwrap_error(exc: BaseException) -> BaseException:
    """The CdpError inside a dlt PipelineStepFailed chain, or ``exc`` itself."""
    cause = root_cause(exc)
    return cause if isinstance(cause, CdpError) else exc


def run_source(
    connector: SourceConnector,
    case: SourceCase,
    workdir: Path,
    *,
    secrets: Mapping[str, str] | None = None,
) -> LoadResult:
    """Load ``case`` with ``connector`` into ``workdir/warehouse.duckdb`` (raises CdpError),
    through the same dlt pipeline code as ``cdp sync``."""
    import duckdb

    from connectors.sources.stage import run_pipeline

    config = connector.config_model.model_validate(case.config)
    ctx = SourceContext(
        name=case.name,
        config=config,
        secrets={
            k: SecretStr(v) for k, v in (case.secrets if secrets is None else secrets).items()
        },
        project_dir=workdir,
        dataset=f"raw_{case.name}",
    )
    database = workdir / WAREHOUSE_FILE
    con = duckdb.connect(str(database))
    try:
        counts, pipeline = run_pipeline(
            con,
            connector,
            ctx,
            pipeline_name=f"cdp_{case.name}",
            pipelines_dir=str(workdir / ".cdp" / "pipelines"),
        )
    finally:
        con.close()
    schema = pipeline.default_schema
    rows = {t: n for t, n in counts.items() if not t.startswith("_dlt")}
    dispositions = {
        t: str(schema.tables[t].get("write_disposition", "append"))
        for t in schema.data_table_names()
    }
    return LoadResult(database, ctx.dataset, rows, dispositions)


def canonical_rows(
    connector: SourceConnector, case: SourceCase, database: Path
) -> dict[str, list[dict[str, Any]]]:
    """``{"customer_records": [...], "events": [...]}`` as staging would hold them.

    Raises AssertionError naming the statement when it selects a non-canonical column or a
    value that does not cast to the canonical type.
    """
    import duckdb

    from warehouse.connection import table_columns

    schema = f"raw_{case.name}"
    con = duckdb.connect(str(database), read_only=True)
    try:
        ctx = MappingContext(
            source=case.name,
            schema=schema,
            config=connector.config_model.model_validate(case.config),
            tables=table_columns(con, schema),
        )
        mapping = connector.mapping(ctx)
        out: dict[str, list[dict[str, Any]]] = {"customer_records": [], "events": []}
        for target, statements, columns in (
            ("customer_records", mapping.customer_records, CUSTOMER_RECORD_COLUMNS),
            ("events", mapping.events, EVENT_COLUMNS),
        ):
            for sql in statements:
                cur = con.cursor()
                cur.execute(f"SELECT * FROM ({sql}) LIMIT 0")
                names = [d[0] for d in cur.description]
                extra = [n for n in names if n not in columns]
                assert not extra, f"{target} mapping selects non-canonical columns {extra}:\n{sql}"
                casts = ", ".join(
                    f'TRY_CAST(NULL AS {t}) AS "{c}"'
                    if c not in names
                    else f'CAST("{c}" AS {t}) AS "{c}"'
                    for c, t in columns.items()
                    if c != "source"
                )
                cur.execute(f"SELECT '{case.name}' AS source, {casts} FROM ({sql})")
                cols = [d[0] for d in cur.description]
                out[target] += [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
        return out
    finally:
        con.close()
