"""Builds profiles.profiles (placeholder until traits are built)."""

from __future__ import annotations

from cdp.run import StageContext, StageResult


def run(ctx: StageContext) -> StageResult:
    return StageResult(status="skipped", counts={}, errors=[])
