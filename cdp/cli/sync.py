"""`cdp sync`: run the pipeline."""

from __future__ import annotations

import click

from cdp.cli._common import load

STAGE_NAMES = ("sources", "identity", "segments", "destinations")


@click.command()
@click.option(
    "--only",
    "only",
    multiple=True,
    type=click.Choice(STAGE_NAMES),
    help="Run only this stage (repeat for several). Stages always run in pipeline order.",
)
@click.option(
    "--plan",
    is_flag=True,
    help="Compute and print what would change (new profiles, segment entries, rows to send "
    "to each destination) without writing or sending anything.",
)
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Ignore incremental state: reload every source from scratch and resend every "
    "destination's full member list.",
)
@click.pass_context
def sync(ctx: click.Context, only: tuple[str, ...], plan: bool, full_refresh: bool) -> None:
    """Run the pipeline: sources -> identity -> segments -> destinations.

    \b
    sources       load new and changed data from every source into raw_<source>
                  tables, then rebuild staging.customer_records and staging.events
    identity      merge each person's records into one profile (profiles.profiles)
    segments      materialize every segments/*.sql into segments.<name>
    destinations  send what changed in each segment to the tools in syncs:

    Each run is recorded in cdp.runs (see `cdp runs`). Only one sync runs at a time per
    project. A run that is killed can simply be run again.
    """
    from cdp.progress import make_progress
    from cdp.run import run_sync

    project = load(ctx, preflight=True)
    result = run_sync(
        project,
        only=only or None,
        plan=plan,
        full_refresh=full_refresh,
        progress=make_progress(),
        echo=click.echo,
        command="cdp sync"
        + "".join(f" --only {s}" for s in only)
        + (" --plan" if plan else "")
        + (" --full-refresh" if full_refresh else ""),
    )
    from cdp.cli.runs import print_stage_summary

    print_stage_summary(result.stages)
    colour = {"succeeded": "green", "partial": "yellow"}.get(result.status, "red")
    label = "plan" if plan else "run"
    click.secho(f"{label} {result.run_id}: {result.status}", fg=colour, bold=True)
    if result.status == "failed":
        raise SystemExit(1)
