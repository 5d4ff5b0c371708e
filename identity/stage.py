"""The identity stage: resolve every live customer record into profiles.

Prints what changed (new profiles, records joining, merges, splits) and, with ``--plan``,
what would change after editing the identity rules, with samples, writing nothing.

The first run, a run after the ``identity:`` block or the overrides changed, a plan, and
``cdp sync --full-refresh`` resolve everything and learn the Fellegi-Sunter parameters
again (stored in ``identity.model_params``). Every other run is incremental: it re-clusters
only what new, changed or deleted records can reach (see :mod:`identity.scope`), scored
with the stored parameters, and leaves every other profile untouched. It ends exactly where
a full resolution scored with those same parameters would.
"""

from __future__ import annotations

import time

from cdp.run import StageContext, StageResult

__all__ = ["run"]


def run(ctx: StageContext) -> StageResult:
    from identity.apply import apply_resolution, plan_resolution
    from identity.resolve import resolve
    from identity.store import ensure_tables

    con = ctx.con
    config = ctx.project.config.identity
    if ctx.plan:
        # A plan computes in a transaction that is rolled back: nothing reaches the warehouse.
        con.execute("BEGIN TRANSACTION")
        try:
            ensure_tables(con)
            with ctx.progress.task("identity: resolving records (plan)", total=None):
                resolution = resolve(con, config, plan=True)
            outcome = plan_resolution(con, resolution)
        finally:
            con.execute("ROLLBACK")
    else:
        ensure_tables(con)
        with ctx.progress.task("identity: resolving records", total=None):
            resolution = resolve(con, config, full_refresh=ctx.full_refresh)
        started = time.perf_counter()
        outcome = apply_resolution(con, config, resolution, ctx.run_id)
        writing = time.perf_counter() - started
    c = outcome.counts
    verb = "would" if ctx.plan else ""
    prefix = f"identity (plan): {verb} " if ctx.plan else "identity: "
    ctx.echo(
        f"{prefix}{c['records']} records -> {c['profiles']} profiles; "
        f"{c['new_profiles']} new profiles, {c['joined_records']} records joined, "
        f"{c['merges']} merges, {c['splits']} splits, {c['moved_records']} moved, "
        f"{c['removed_records']} removed"
    )
    refused: dict[str, int] = resolution.stats.get("refused_links") or {}  # type: ignore[assignment]
    if refused:
        ctx.echo(
            "identity: links refused by guards: "
            + ", ".join(f"{k}={v}" for k, v in sorted(refused.items()))
        )
    if not resolution.full:
        ctx.echo(
            f"identity: incremental: {resolution.stats.get('changed_records', 0)} new or changed and "
            f"{resolution.stats.get('deleted_records', 0)} deleted records reach "
            f"{len(resolution.records)} records, re-clustered with the stored model parameters"
        )
    if resolution.stats.get("shared_identifiers"):
        ctx.echo(
            f"identity: {resolution.stats['shared_identifiers']} shared emails/phones act only with a matching first name"
        )
    took = resolution.stats
    ctx.echo(
        f"identity: normalizing {took['features_seconds']:.1f}s, "
        f"matching {took['matching_seconds']:.1f}s"
        + ("" if ctx.plan else f", writing {writing:.1f}s")
    )
    if ctx.plan:
        for action in ("merge", "split", "move", "new"):
            for line in outcome.samples.get(action, [])[:3]:
                ctx.echo(f"  e.g. {action}: {line}")
    counts: dict[str, object] = dict(c)
    counts["refused_links"] = sum(refused.values()) if isinstance(refused, dict) else 0
    return StageResult(status="succeeded", counts=counts)
