"""The ``segments`` stage: validate every segment file, then materialize them in dependency
order on the locked-down sandbox. A segment that fails (time limit, engine error) is recorded
and the segments that read it are skipped; the others still materialize (status ``partial``).
With ``--plan`` the members are computed and the entered/exited counts printed, nothing written.
"""

from __future__ import annotations

import duckdb

from cdp.run import StageContext, StageResult
from warehouse.segments.catalog import warehouse_catalog
from warehouse.segments.errors import SegmentError
from warehouse.segments.files import discover
from warehouse.segments.materialize import (
    Outcome,
    ensure_tables,
    materialize,
    record_failure,
    retire_removed,
)
from warehouse.segments.sandbox import Sandbox
from warehouse.segments.validate import validate_segments

__all__ = ["run"]


def run(ctx: StageContext) -> StageResult:
    project = ctx.project
    files = discover(project.segments_dir)
    if not files:
        ctx.echo(f"segments: no .sql files in {project.segments_dir}")
        return StageResult(status="skipped", counts={"segments": 0})
    valid = validate_segments(files, warehouse_catalog(ctx.con))  # raises with every problem
    if not ctx.plan:
        ensure_tables(ctx.con)
    box = Sandbox(ctx.con, project.config.warehouse.memory_limit)
    outcomes: list[Outcome] = []
    failed: set[str] = set()
    planned: set[str] = set()
    try:
        with ctx.progress.task("segments", total=len(valid)) as task:
            for seg in valid:
                upstream = sorted(seg.depends_on & failed)
                if upstream:
                    out = Outcome(
                        seg.name,
                        status="skipped",
                        error=f"reads failed segment(s) {', '.join(upstream)}",
                    )
                else:
                    try:
                        out = materialize(box, seg, ctx.run_id, plan=ctx.plan, planned=planned)
                    except (SegmentError, duckdb.Error) as exc:
                        out = Outcome(seg.name, status="failed", error=str(exc).splitlines()[0])
                if out.status != "succeeded":
                    failed.add(seg.name)
                    if not ctx.plan:
                        record_failure(box, ctx.run_id, out)
                outcomes.append(out)
                ctx.echo(_line(out, ctx.plan))
                task.advance()
        if not ctx.plan:
            for out in retire_removed(box, ctx.run_id, {f.name for f in files}):
                ctx.echo(
                    f"segments: {out.segment} retired ({out.error}): {out.exited:,} members exited"
                )
    finally:
        box.close()
    ok = [o for o in outcomes if o.status == "succeeded"]
    counts = {
        "segments": len(ok),
        "members": sum(o.members for o in ok),
        "entered": sum(o.entered for o in ok),
        "exited": sum(o.exited for o in ok),
    }
    if failed:
        counts["failed"] = len(failed)
    errors = [
        f"segment '{o.segment}' {o.status}: {o.error}" for o in outcomes if o.status != "succeeded"
    ]
    status = "succeeded" if not failed else "failed" if not ok else "partial"
    return StageResult(status=status, counts=counts, errors=errors)


def _line(out: Outcome, plan: bool) -> str:
    if out.status != "succeeded":
        return f"segments: {out.segment}: {out.status}: {out.error}"
    verb = "would have" if plan else "has"
    text = (
        f"segments: {out.segment} {verb} {out.members:,} members "
        f"(+{out.entered:,} entered, -{out.exited:,} exited"
    )
    if out.holdout:
        text += f", {out.holdout:,} in holdout"
    if out.skipped_rows:
        text += f", {out.skipped_rows:,} rows without a profile_id or repeated skipped"
    return text + ")"
