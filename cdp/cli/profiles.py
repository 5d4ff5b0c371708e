"""`cdp profiles`: look up unified customer profiles."""

from __future__ import annotations

import json
from typing import Any

import click

from cdp.cli._common import load, open_warehouse


@click.group()
def profiles() -> None:
    """Look up unified customer profiles."""


def _value(v: Any) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k}={x}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return str(v)


@profiles.command()
@click.argument("query")
@click.option("--events", default=10, show_default=True, help="How many recent events to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def show(ctx: click.Context, query: str, events: int, as_json: bool) -> None:
    """The unified profile of QUERY (an email, a phone number or a profile id): golden record,
    traits, linked source records, segments and recent events."""
    from identity.lookup import find_profile, profile_details

    project = load(ctx)
    con = open_warehouse(project)
    try:
        pid = find_profile(con, query)
        data = profile_details(con, pid, events=events)
    finally:
        con.close()
    if as_json:
        click.echo(json.dumps(data, default=str, indent=2))
        return
    click.secho(f"profile {pid}", bold=True)
    for key, value in data["golden"].items():
        if key == "profile_id" or value is None:
            continue
        if key == "field_sources" and isinstance(value, str):
            value = json.loads(value)
        click.echo(f"  {key:<16} {_value(value)}")
    click.secho(f"records ({len(data['records'])}):", bold=True)
    for rec in data["records"]:
        name = " ".join(x for x in (rec["first_name"], rec["last_name"]) if x)
        parts = [x for x in (name, rec["email"], rec["phone"]) if x]
        click.echo(f"  {rec['source']}:{rec['record_id']}  " + " | ".join(str(p) for p in parts))
    click.secho(f"segments ({len(data['segments'])}):", bold=True)
    for seg in data["segments"]:
        holdout = " (holdout)" if seg.get("cdp_holdout") else ""
        click.echo(f"  {seg['segment']}  since {seg['entered_at']:%Y-%m-%d}{holdout}")
    click.secho(f"recent events ({len(data['events'])}):", bold=True)
    for ev in data["events"]:
        revenue = f"  {ev['revenue']} {ev['currency'] or ''}" if ev["revenue"] is not None else ""
        click.echo(f"  {ev['timestamp']:%Y-%m-%d %H:%M}  {ev['event']}  ({ev['source']}){revenue}")
