"""`cdp runs`: run history."""

from __future__ import annotations

import json
from typing import Any

import click

from cdp.cli._common import load, open_warehouse


def _counts(counts: dict[str, Any]) -> str:
    parts = []
    for key, value in counts.items():
        if isinstance(value, dict):
            continue
        parts.append(f"{key}={value:,}" if isinstance(value, int) else f"{key}={value}")
    return ", ".join(parts)


def print_stage_summary(stages: list[Any]) -> None:
    """One line per stage: status, time, counts; then its nested counts and errors, indented."""
    from dataclasses import asdict

    for stage in stages:
        data: dict[str, Any] = dict(stage) if isinstance(stage, dict) else asdict(stage)
        status, counts = data["status"], data.get("counts") or {}
        colour = {"succeeded": "green", "partial": "yellow", "skipped": "bright_black"}.get(
            status, "red"
        )
        click.echo(
            f"  {data['stage']:<13}"
            + click.style(f"{status:<10}", fg=colour)
            + f"{data.get('seconds') or 0:>8.1f}s  {_counts(counts)}"
        )
        for key, value in counts.items():
            if isinstance(value, dict):
                for name, sub in value.items():
                    click.echo(
                        f"      {key} {name}: {_counts(sub) if isinstance(sub, dict) else sub}"
                    )
        for error in data.get("errors") or []:
            click.secho(f"      ! {error}", fg="red")


def _print_sync_failures(con: Any, run_id: str) -> None:
    """Why rows failed to reach a destination in this run (sync.changelog), most common first."""
    from warehouse.connection import table_exists

    if not table_exists(con, "sync", "changelog"):
        return
    rows = con.execute(
        "SELECT sync_key, status, reason, count(*) AS n FROM sync.changelog "
        "WHERE run_id = ? AND status IN ('failed', 'terminal') "
        "GROUP BY ALL ORDER BY sync_key, n DESC LIMIT 50",
        [run_id],
    ).fetchall()
    if rows:
        click.echo("  rows not delivered (sync.changelog has every row):")
    for key, status, reason, count in rows:
        click.secho(f"      {key}: {count:,} {status}: {reason}", fg="red")


@click.command()
@click.argument("run_id", required=False)
@click.option("--limit", default=20, show_default=True, help="How many recent runs to list.")
@click.pass_context
def runs(ctx: click.Context, run_id: str | None, limit: int) -> None:
    """Show recent `cdp sync` runs, or the details of RUN_ID.

    Without RUN_ID: one line per run (newest first) with its status, duration and the
    rows each stage handled. With RUN_ID: every stage's counts and errors, and the
    per-destination results of that run.
    """
    project = load(ctx)
    con = open_warehouse(project)
    try:
        if run_id:
            rows = con.execute(
                "SELECT run_id, started_at, finished_at, status, command, stages, error "
                "FROM cdp.runs WHERE run_id = ? OR run_id LIKE ? ORDER BY started_at DESC LIMIT 1",
                [run_id, f"%{run_id}%"],
            ).fetchall()
            if not rows:
                raise click.ClickException(f"no run '{run_id}'; `cdp runs` lists them")
            rid, started, finished, status, command, stages, error = rows[0]
            click.echo(f"run {rid}  ({command})")
            click.echo(
                f"  started {started:%Y-%m-%d %H:%M:%S}  finished {finished or '-'}  status {status}"
            )
            if error:
                click.secho(f"  error: {error}", fg="red")
            print_stage_summary(json.loads(stages or "[]"))
            _print_sync_failures(con, rid)
            return
        rows = con.execute(
            "SELECT run_id, started_at, finished_at, status, stages FROM cdp.runs "
            "ORDER BY started_at DESC LIMIT ?",
            [limit],
        ).fetchall()
    finally:
        con.close()
    if not rows:
        click.echo("no runs yet; `cdp sync` starts one")
        return
    click.echo(f"{'run':<24}{'started':<21}{'took':>8}  {'status':<12}stages")
    for rid, started, finished, status, stages in rows:
        took = f"{(finished - started).total_seconds():.1f}s" if finished else "-"
        summary = "  ".join(
            f"{s['stage']}:{s['status']}"
            for s in json.loads(stages or "[]")
            if s["status"] != "skipped"
        )
        click.echo(f"{rid:<24}{started:%Y-%m-%d %H:%M:%S}  {took:>8}  {status:<12}{summary}")
