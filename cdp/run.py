"""A `cdp sync` run: the stages in order, under the project lock, recorded in ``cdp.runs``."""

from __future__ import annotations

import importlib
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cdp import __version__
from cdp.errors import CdpError
from cdp.lock import ProjectLock
from cdp.progress import NullProgress, Progress
from cdp.secrets import mask

if TYPE_CHECKING:
    import duckdb

    from cdp.config import Project

__all__ = ["STAGES", "RunResult", "StageContext", "StageResult", "run_sync"]

STAGES = ("sources", "identity", "segments", "destinations")

#: The steps of each stage, each a ``run(ctx) -> StageResult``; data flows down this list only.
#: The identity stage ends by rebuilding ``profiles.profiles`` (golden records + traits).
STAGE_RUNNERS = {
    "sources": ("connectors.sources.stage:run",),
    "identity": ("identity.stage:run", "warehouse.profiles:run"),
    "segments": ("warehouse.segments.stage:run",),
    "destinations": ("connectors.destinations.stage:run",),
}


@dataclass
class StageContext:
    """What a stage gets: the project, the open warehouse, and how this run was asked for."""

    project: Project
    con: duckdb.DuckDBPyConnection
    run_id: str
    plan: bool = False
    full_refresh: bool = False
    progress: Progress = field(default_factory=NullProgress)
    echo: Callable[[str], None] = lambda line: None
    """Prints one user-facing line (the CLI wires it to stdout; silent in library use)."""


@dataclass
class StageResult:
    """What a stage reports: ``counts`` end up in ``cdp.runs`` and in ``cdp runs``."""

    stage: str = ""
    status: str = "succeeded"
    """succeeded | partial (some parts failed, the rest went through) | failed | skipped"""
    counts: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class RunResult:
    run_id: str
    status: str
    stages: list[StageResult]
    error: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _run_stage(stage: str, ctx: StageContext) -> StageResult:
    """Run the steps of ``stage`` in order; their counts and errors add up to one result."""
    total = StageResult(stage=stage)
    for target in STAGE_RUNNERS[stage]:
        module, _, name = target.partition(":")
        step: Callable[[StageContext], StageResult] = getattr(importlib.import_module(module), name)
        result = step(ctx)
        total.counts.update(result.counts)
        total.errors.extend(result.errors)
        if result.status != "succeeded" and total.status in ("succeeded", "skipped"):
            total.status = result.status
        if result.status == "failed":
            break
    return total


def mark_interrupted(con: duckdb.DuckDBPyConnection) -> None:
    """Runs still 'running' while we hold the lock were killed: say so."""
    con.execute(
        "UPDATE cdp.runs SET status = 'interrupted', "
        "error = coalesce(error, 'the process ended before the run finished (killed or crashed)') "
        "WHERE status = 'running'"
    )


def _record(con: duckdb.DuckDBPyConnection, run: RunResult, finished: bool) -> None:
    stages = json.dumps([asdict(s) for s in run.stages], default=str)
    con.execute(
        "UPDATE cdp.runs SET status = ?, stages = ?, error = ?, finished_at = ? WHERE run_id = ?",
        [run.status, stages, run.error, _now() if finished else None, run.run_id],
    )


def run_sync(
    project: Project,
    *,
    only: Sequence[str] | None = None,
    plan: bool = False,
    full_refresh: bool = False,
    progress: Progress | None = None,
    echo: Callable[[str], None] | None = None,
    command: str = "cdp sync",
) -> RunResult:
    """Run the stages of ``only`` (default: all) in order and record the run in ``cdp.runs``.

    A stage that fails stops the stages after it; the run's status says what happened.
    A :class:`CdpError` inside a stage is recorded and the run ends with status ``failed``;
    any other exception is recorded and re-raised.
    """
    from warehouse.connection import connect, ensure_layout

    stages = [s for s in STAGES if not only or s in only]
    with ProjectLock(project.state_dir, command):
        wh = project.config.warehouse

        def open_warehouse() -> duckdb.DuckDBPyConnection:
            return connect(project.warehouse_path, memory_limit=wh.memory_limit, threads=wh.threads)

        con = open_warehouse()
        try:
            ensure_layout(con)
            mark_interrupted(con)
            run = RunResult(
                run_id=_now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6],
                status="running",
                stages=[],
            )
            if not plan:
                con.execute(
                    "INSERT INTO cdp.runs (run_id, started_at, status, command, cdp_version, host, pid) "
                    "VALUES (?, ?, 'running', ?, ?, ?, ?)",
                    [run.run_id, _now(), command, __version__, socket.gethostname(), os.getpid()],
                )
            ctx = StageContext(
                project=project,
                con=con,
                run_id=run.run_id,
                plan=plan,
                full_refresh=full_refresh,
                progress=progress or NullProgress(),
                echo=echo or (lambda line: None),
            )
            failed = False
            for stage in stages:
                if failed:
                    run.stages.append(StageResult(stage=stage, status="skipped"))
                    continue
                started = time.perf_counter()
                # A fresh connection per stage: the segments stage locks its connection down
                # for user SQL, and that must not reach the stages after it.
                con.close()
                con = ctx.con = open_warehouse()
                try:
                    result = _run_stage(stage, ctx)
                except CdpError as exc:
                    result = StageResult(status="failed", errors=[str(exc)])
                    run.error = f"{stage}: {exc}"
                except BaseException as exc:
                    result = StageResult(stage=stage, status="failed", errors=[mask(repr(exc))])
                    result.seconds = time.perf_counter() - started
                    run.stages.append(result)
                    run.status, run.error = "failed", mask(f"{stage}: internal error: {exc!r}")
                    if not plan:
                        _record(con, run, finished=True)
                    raise
                result.stage, result.seconds = stage, round(time.perf_counter() - started, 3)
                run.stages.append(result)
                failed = result.status == "failed"
                if not plan:
                    _record(con, run, finished=False)
            statuses = {s.status for s in run.stages}
            run.status = (
                "failed"
                if "failed" in statuses
                else "partial"
                if "partial" in statuses
                else "succeeded"
            )
            if run.status != "succeeded" and run.error is None:
                run.error = (
                    "; ".join(f"{s.stage}: {e}" for s in run.stages for e in s.errors)[:2000]
                    or None
                )
            if not plan:
                _record(con, run, finished=True)
            return run
        finally:
            con.close()
