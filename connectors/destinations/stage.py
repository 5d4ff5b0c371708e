"""The ``destinations`` stage: plan and deliver every sync of cdp.yml.

Every sync is checked first (segment, field mapping, the destination's known fields), so a
mistake stops the stage before anything is sent. Then each destination is served by its own
thread with its own warehouse cursor: a slow or failing destination never holds up another.
With ``--plan`` each sync's rows to add, update and remove are printed with samples and
nothing is sent or recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from cdp.connector import DestinationConnector, DestinationContext
from cdp.errors import CdpError, ConfigError
from cdp.plugins import get_registry
from cdp.progress import NullProgress
from cdp.run import StageContext, StageResult
from cdp.secrets import mask
from connectors.destinations.base import (
    AuthError,
    Destination,
    FieldProblem,
    SyncSpec,
    TransientError,
)
from connectors.destinations.consent import prepare_consent
from connectors.destinations.engine import DeliveryResult, deliver, snapshot
from connectors.destinations.plan import SyncPlan, build_plan, resolve_spec

if TYPE_CHECKING:
    import duckdb

__all__ = ["run"]

SAMPLE_WIDTH = 160


def ensure_state_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        files("connectors.destinations.sql").joinpath("state.sql").read_text(encoding="utf-8")
    )


def _open(ctx: StageContext, name: str, connector: DestinationConnector) -> Destination:
    project = ctx.project
    dctx = DestinationContext(
        name=name,
        config=project.destination_configs[name],
        secrets=project.destination_secrets(name),
        project_dir=project.dir,
    )
    return connector.open(dctx)


def _echo_plan(echo: Callable[[str], None], plan: SyncPlan) -> None:
    c = plan.counts
    echo(
        f"{plan.spec.key} ({plan.spec.mode}): {c.get('add', 0):,} to add, {c.get('update', 0):,} to update, "
        f"{c.get('remove', 0):,} to remove ({c.get('members', 0):,} members; excluded: "
        f"{c.get('excluded_holdout', 0):,} holdout, {c.get('excluded_consent', 0):,} without consent)"
    )
    for op in ("add", "update", "remove"):
        for pid, payload in plan.samples.get(op, []):
            text = f"    {op:<7}{pid}  {payload}"
            echo(text if len(text) <= SAMPLE_WIDTH else text[: SAMPLE_WIDTH - 1] + "…")


def _record_run(
    con: duckdb.DuckDBPyConnection,
    plan: SyncPlan,
    started: datetime,
    status: str,
    result: DeliveryResult,
    stats: dict[str, int],
) -> None:
    spec, c = plan.spec, plan.counts
    con.execute(
        "INSERT INTO sync.runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            spec.run_id, spec.key, spec.segment, spec.destination, spec.mode, started, datetime.now(UTC),
            status, c.get("add", 0), c.get("update", 0), c.get("remove", 0), result.added, result.updated,
            result.removed, result.failed, result.terminal, result.retried, stats.get("requests", 0),
            stats.get("retried_requests", 0), c.get("excluded_holdout", 0), c.get("excluded_consent", 0),
            result.error,
        ],
    )  # fmt: skip


class _OneDisplay:
    """Progress for concurrent syncs: one live display at a time (rich allows no more); the
    other syncs run without a bar while it is taken."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self.lock = threading.Lock()

    @contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[Any]:
        if not self.lock.acquire(blocking=False):
            with NullProgress().task(description, total) as task:
                yield task
            return
        try:
            with self.progress.task(description, total) as task:
                yield task
        finally:
            self.lock.release()


def _serve_destination(
    ctx: StageContext,
    dest: Destination,
    specs: list[tuple[SyncSpec, str, dict, dict]],
    slot: int,
    display: _OneDisplay,
) -> dict[str, tuple[str, dict[str, Any], str | None]]:
    """Plan and deliver every sync of one destination on its own cursor."""
    con = ctx.con.cursor()
    out: dict[str, tuple[str, dict[str, Any], str | None]] = {}
    refused: str | None = None
    try:
        prepare_consent(con, ctx.project)
        for spec, kind, seg_cols, prof_cols in specs:
            if refused:  # the same credentials would fail every other sync of this destination
                out[spec.key] = ("failed", {}, refused)
                continue
            started = datetime.now(UTC)
            before = dict(dest.stats())
            result = DeliveryResult()
            plan = None
            try:
                plan = build_plan(
                    con,
                    spec,
                    kind,
                    seg_cols,
                    prof_cols,
                    full_refresh=ctx.full_refresh,
                    slot=slot,
                    samples=0,
                )
                with display.task(f"sync {spec.key}", total=plan.total) as task:
                    deliver(con, dest, plan, task, result)
                dest.finish(spec, partial(snapshot, con, spec.key))
            except AuthError as exc:
                result.error = refused = str(exc)
            except CdpError as exc:  # problems the user must fix
                result.error = str(exc)
            except Exception as exc:  # keep other destinations going; report this one
                result.error = mask(f"internal error: {exc!r}")
            after = dest.stats()
            stats = {k: after.get(k, 0) - before.get(k, 0) for k in after}
            status = "failed" if result.error else "partial" if result.failed else "succeeded"
            if plan is not None:
                _record_run(con, plan, started, status, result, stats)
                con.execute(f"DROP TABLE IF EXISTS {plan.table}")
            out[spec.key] = (status, {**result.as_counts(), **stats}, result.error)
    finally:
        dest.close()
        con.close()
    return out


def run(ctx: StageContext) -> StageResult:
    project, con = ctx.project, ctx.con
    syncs = [
        (i, s)
        for i, s in enumerate(project.config.syncs)
        if project.config.destinations[s.destination].enabled
    ]
    if not syncs:
        return StageResult(status="skipped", counts={}, errors=[])
    if ctx.plan:  # a plan changes nothing: even the state tables it may create are rolled back
        con.execute("BEGIN TRANSACTION")
        try:
            ensure_state_tables(con)
            return _prepare_and_run(ctx, syncs)
        finally:
            con.execute("ROLLBACK")
    ensure_state_tables(con)
    return _prepare_and_run(ctx, syncs)


def _prepare_and_run(ctx: StageContext, syncs: list[tuple[int, Any]]) -> StageResult:
    project, con = ctx.project, ctx.con
    registry = get_registry()
    opened: dict[str, Destination] = {}
    by_dest: dict[str, list[tuple[SyncSpec, str, dict, dict]]] = {}
    broken: dict[str, tuple[str, list[str]]] = {}  # destination -> (error, its syncs)
    try:
        for index, sync in syncs:
            spec, seg_cols, prof_cols = resolve_spec(con, project, index, sync, ctx.run_id)
            if sync.destination in broken:
                broken[sync.destination][1].append(spec.key)
                continue
            connector = registry.destinations[
                project.config.destinations[sync.destination].connector
            ]
            try:
                if sync.destination not in opened:
                    opened[sync.destination] = _open(ctx, sync.destination, connector)
                opened[sync.destination].check(spec)
            except FieldProblem as exc:
                path = exc.path or ("syncs", index, "fields", exc.field_name)
                raise project.error(path, exc.message, exc.suggestion) from None
            except ConfigError:
                raise
            except (CdpError, TransientError) as exc:  # unreachable or refused: the others go on
                dest = opened.pop(sync.destination, None)
                if dest is not None:
                    dest.close()
                others = [s.key for s, *_ in by_dest.pop(sync.destination, [])]
                broken[sync.destination] = (mask(str(exc)), [*others, spec.key])
                continue
            kind = project.config.destinations[sync.destination].kind or connector.kind
            by_dest.setdefault(sync.destination, []).append((spec, kind, seg_cols, prof_cols))
    except BaseException:
        for dest in opened.values():
            dest.close()
        raise
    results: dict[str, tuple[str, dict[str, Any], str | None]] = {}
    for error, keys in broken.values():
        results.update({key: ("failed", {}, error) for key in keys})
    if ctx.plan:
        for dest in opened.values():
            dest.close()
        return _plan_only(ctx, by_dest, results)
    lock = threading.Lock()
    display = _OneDisplay(ctx.progress)

    def work(item: tuple[int, str]) -> None:
        slot, name = item
        try:
            out = _serve_destination(ctx, opened[name], by_dest[name], slot, display)
        except CdpError as exc:
            out = {spec.key: ("failed", {}, str(exc)) for spec, *_ in by_dest[name]}
        with lock:
            results.update(out)

    if by_dest:
        with ThreadPoolExecutor(max_workers=min(8, len(by_dest))) as pool:
            list(pool.map(work, enumerate(by_dest)))
    return _summarize(ctx, results)


def _plan_only(
    ctx: StageContext,
    by_dest: dict[str, list[tuple[SyncSpec, str, dict, dict]]],
    broken: dict[str, tuple[str, dict[str, Any], str | None]],
) -> StageResult:
    con = ctx.con
    prepare_consent(con, ctx.project)
    per_sync: dict[str, dict[str, int]] = {}
    for specs in by_dest.values():
        for spec, kind, seg_cols, prof_cols in specs:
            plan = build_plan(con, spec, kind, seg_cols, prof_cols, full_refresh=ctx.full_refresh)
            _echo_plan(ctx.echo, plan)
            per_sync[spec.key] = {
                "to_add": plan.counts.get("add", 0),
                "to_update": plan.counts.get("update", 0),
                "to_remove": plan.counts.get("remove", 0),
                "excluded_consent": plan.counts.get("excluded_consent", 0),
                "excluded_holdout": plan.counts.get("excluded_holdout", 0),
            }
            con.execute(f"DROP TABLE IF EXISTS {plan.table}")
    errors = [f"{key}: {error}" for key, (_, _, error) in broken.items()]
    for line in errors:
        ctx.echo(line)
    return StageResult(
        status="partial" if errors else "succeeded", counts={"syncs": per_sync}, errors=errors
    )


def _summarize(
    ctx: StageContext, results: dict[str, tuple[str, dict[str, Any], str | None]]
) -> StageResult:
    per_sync: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    totals = {"added": 0, "updated": 0, "removed": 0, "failed": 0}
    for spec in ctx.project.config.syncs:
        if spec.key not in results:
            continue
        status, counts, error = results[spec.key]
        per_sync[spec.key] = counts
        for k in totals:
            totals[k] += int(counts.get(k, 0))
        line = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        ctx.echo(f"{spec.key}: {status}" + (f" ({line})" if line else ""))
        if error:
            errors.append(f"{spec.key}: {error}")
        elif counts.get("failed"):
            errors.append(
                f"{spec.key}: {counts['failed']:,} rows failed; see sync.changelog "
                f"(SELECT * FROM sync.failures WHERE sync_key = '{spec.key}')"
            )
    statuses = {r[0] for r in results.values()}
    status = "succeeded"
    if statuses - {"succeeded"}:
        status = "failed" if statuses == {"failed"} else "partial"
    return StageResult(status=status, counts={**totals, "syncs": per_sync}, errors=errors)
