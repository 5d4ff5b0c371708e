"""The last step of the identity stage: rebuild ``profiles.profiles`` (golden records + traits).

See :mod:`warehouse.traits` for what each trait means and how events reach a profile.
"""

from __future__ import annotations

from cdp.run import StageContext, StageResult
from warehouse.connection import table_exists
from warehouse.traits import build_profiles

__all__ = ["run"]


def run(ctx: StageContext) -> StageResult:
    traits = ctx.project.config.traits
    now = traits.resolve_now()
    if ctx.plan:
        ctx.echo(f"profiles: would recompute traits as of {now:%Y-%m-%d %H:%M:%S %Z}")
        return StageResult(status="skipped")
    if not table_exists(ctx.con, "identity", "golden_records"):
        ctx.echo("profiles: identity.golden_records does not exist yet; profiles.profiles is empty")
    with ctx.progress.task("computing traits"):
        count = build_profiles(ctx.con, now=now, lifecycle=traits.lifecycle)
    ctx.echo(f"profiles: {count:,} profiles with traits as of {now:%Y-%m-%d %H:%M:%S %Z}")
    return StageResult(counts={"profiles": count})
