"""`cdp demo`: write a realistic multi-source demo project, then sync it."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

DEMO_MARKER = "# The cdp demo project"


def _is_earlier_demo(dir: Path) -> bool:
    """DIR holds a project `cdp demo` wrote (its cdp.yml starts with the demo's comment)."""
    try:
        return (dir / "cdp.yml").read_text(encoding="utf-8").startswith(DEMO_MARKER)
    except OSError:
        return False


def _prepare_target(dir: Path, force: bool) -> None:
    """Refuse to write into someone's folder; an earlier demo is replaced, warehouse and all."""
    if dir.exists() and not dir.is_dir():
        raise click.ClickException(f"{dir} exists and is not a folder; choose another DIR")
    if not dir.is_dir() or not any(dir.iterdir()):
        return
    if _is_earlier_demo(dir):
        import shutil

        click.echo(f"replacing the earlier demo in {dir} (its data, truth and warehouse)")
        for sub in ("data", "truth", ".cdp"):
            shutil.rmtree(dir / sub, ignore_errors=True)
        return
    if not force:
        raise click.ClickException(
            f"{dir} is not empty and is not an earlier demo; pass --force to write the demo "
            "files into it anyway, or choose another DIR"
        )


@click.command()
@click.argument(
    "dir", type=click.Path(file_okay=False, path_type=Path), default="demo", required=False
)
@click.option(
    "--customers",
    type=click.IntRange(min=10),
    default=20_000,
    show_default=True,
    help="How many real people the demo is about (each appears in one or more sources).",
)
@click.option(
    "--seed",
    type=int,
    default=42,
    show_default=True,
    help="The same seed and --as-of give the same files.",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day the two years of history end (default: today, UTC).",
)
@click.option("--no-sync", is_flag=True, help="Only write the files; do not run `cdp sync`.")
@click.option(
    "--force",
    is_flag=True,
    help="Write into a non-empty DIR that is not an earlier demo (files of the same name are "
    "overwritten). An earlier demo is replaced without it.",
)
def demo(
    dir: Path, customers: int, seed: int, as_of: datetime | None, no_sync: bool, force: bool
) -> None:
    """Write a realistic demo project into DIR (default: ./demo), then sync it.

    \b
    The project holds a clothing store's data as its tools export it:
      data/shopify_customers.csv, data/shopify_orders.csv      the store
      data/hubspot_contacts.csv                                the CRM
      data/mailchimp_*_members.csv, data/mailchimp_activity.jsonl  email
      data/facebook_leads.csv, data/facebook_page_activity.jsonl   social
      data/web_events.jsonl                                    storefront events
    with the same people across sources under realistic variation (typos, nicknames,
    phone formats, missing fields, shared household emails, placeholder values), a
    cdp.yml reading them, starter segments, and truth/records.csv: which person each
    customer record really is, to measure identity resolution against.
    """
    _prepare_target(dir, force)
    from cdp.demo import write_demo

    day: date | None = as_of.date() if as_of else None
    click.echo(f"writing a demo of {customers:,} people into {dir} (seed {seed}) ...")
    result = write_demo(dir, customers, seed=seed, as_of=day)
    click.echo(f"  wrote in {result.seconds:.1f}s (history up to {result.as_of.isoformat()}):")
    for name, export in result.exports.items():
        files = ", ".join(f.relative_to(dir).as_posix() for f in export.files)
        extra = "".join(f", {k.replace('_', ' ')} {v:,}" for k, v in export.extra.items())
        click.echo(f"  {name:<15}{export.rows:>10,} rows  {files}{extra}")
    click.echo(
        f"  truth/records.csv: {result.truth_rows:,} customer records of {customers:,} people "
        f"({result.households:,} pairs share a household email)"
    )
    if no_sync:
        click.echo(f"done; run `cdp --project {dir} sync` to load it")
        return

    from cdp.cli.runs import print_stage_summary
    from cdp.config import load_project
    from cdp.progress import make_progress
    from cdp.run import run_sync

    click.echo("running cdp sync ...")
    run = run_sync(
        load_project(dir),
        progress=make_progress(),
        echo=click.echo,
        command=f"cdp demo --customers {customers} --seed {seed}",
    )
    print_stage_summary(run.stages)
    colour = {"succeeded": "green", "partial": "yellow"}.get(run.status, "red")
    click.secho(f"run {run.run_id}: {run.status}", fg=colour, bold=True)
    click.echo(f"next: cd {dir} && cdp runs, cdp segments list, cdp profiles show EMAIL")
    if run.status == "failed":
        raise SystemExit(1)
