"""`cdp identity`: explain and correct identity resolution."""

from __future__ import annotations

import json

import click

from cdp.cli._common import load, open_warehouse


@click.group()
def identity() -> None:
    """Explain why records belong together, and correct the resolver.

    \b
    cdp identity explain PROFILE_ID          each record, the rule and evidence that linked it
    cdp identity never-merge shop:1 crm:9    these two records are different people
    cdp identity always-merge shop:1 crm:9   these two records are the same person
    cdp identity unmerge PROFILE_ID          split a profile back into its records
    cdp identity overrides                   list the corrections in force

    Corrections are stored in identity.overrides and applied on every later
    `cdp sync`; run `cdp sync --only identity` to apply them now.
    """


@identity.command()
@click.argument("profile_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def explain(ctx: click.Context, profile_id: str, as_json: bool) -> None:
    """Why each record belongs to PROFILE_ID (an id, or an email or phone to look it up)."""
    from identity.lookup import explain as explain_profile
    from identity.lookup import find_profile

    project = load(ctx)
    con = open_warehouse(project)
    try:
        pid = find_profile(con, profile_id)
        data = explain_profile(con, pid)
    finally:
        con.close()
    if as_json:
        click.echo(json.dumps(data, default=str, indent=2))
        return
    click.secho(f"profile {pid}: {len(data['records'])} records", bold=True)
    for rec in data["records"]:
        click.echo(f"  {rec['source']}:{rec['record_id']}")
    if data["links"]:
        click.secho("links (rule, score, evidence):", bold=True)
    for link in data["links"]:
        ev = link["evidence"] or {}
        if "identifier" in ev:
            detail = f"{ev['identifier']} = {ev['value']}"
        elif "fields" in ev:
            detail = f"p(match)={ev.get('match_probability')}: " + ", ".join(
                f"{f} {v['level']} ({v['weight']:+.1f})"
                for f, v in ev["fields"].items()
                if v["level"] != "missing"
            )
        else:
            detail = json.dumps(ev)
        click.echo(
            f"  {link['source_a']}:{link['record_id_a']} <-> {link['source_b']}:{link['record_id_b']}  "
            f"[{link['rule']}, {link['score']:.3f}]  {detail}"
        )
    if data["history"]:
        click.secho("history:", bold=True)
    for h in data["history"]:
        other = f" <- {h['other_profile_id']}" if h["other_profile_id"] else ""
        rec = f" {h['source']}:{h['record_id']}" if h["source"] else ""
        rule = f" by {h['rule']}" if h["rule"] else ""
        click.echo(
            f"  {h['logged_at']:%Y-%m-%d %H:%M}  {h['action']:<6} {h['profile_id']}{other}{rec}{rule}"
        )


def _write(ctx: click.Context, fn, *args) -> object:  # type: ignore[no-untyped-def]
    from cdp.lock import ProjectLock

    project = load(ctx)
    with ProjectLock(project.state_dir, "cdp identity"):
        con = open_warehouse(project, read_only=False)
        try:
            return fn(con, *args)
        finally:
            con.close()


@identity.command("never-merge")
@click.argument("record_a")
@click.argument("record_b")
@click.option("--note", help="Why (kept with the override).")
@click.pass_context
def never_merge(ctx: click.Context, record_a: str, record_b: str, note: str | None) -> None:
    """Keep RECORD_A and RECORD_B (SOURCE:RECORD_ID) in different profiles, always."""
    from identity.lookup import add_override

    _write(ctx, add_override, "never_merge", record_a, record_b, note)
    click.echo(f"never merge {record_a} and {record_b}: saved; applies from the next `cdp sync`")


@identity.command("always-merge")
@click.argument("record_a")
@click.argument("record_b")
@click.option("--note", help="Why (kept with the override).")
@click.pass_context
def always_merge(ctx: click.Context, record_a: str, record_b: str, note: str | None) -> None:
    """Put RECORD_A and RECORD_B (SOURCE:RECORD_ID) in one profile, whatever the rules say."""
    from identity.lookup import add_override

    _write(ctx, add_override, "always_merge", record_a, record_b, note)
    click.echo(f"always merge {record_a} and {record_b}: saved; applies from the next `cdp sync`")


@identity.command()
@click.argument("profile_id")
@click.pass_context
def unmerge(ctx: click.Context, profile_id: str) -> None:
    """Split PROFILE_ID back into one profile per record, for good."""
    from identity.lookup import unmerge as unmerge_profile

    count = _write(ctx, unmerge_profile, profile_id)
    click.echo(
        f"unmerge {profile_id}: its {count} records will stay apart from the next `cdp sync`"
    )


@identity.command()
@click.pass_context
def overrides(ctx: click.Context) -> None:
    """List the corrections in force."""
    project = load(ctx)
    con = open_warehouse(project)
    try:
        rows = (
            con.execute(
                "SELECT kind, source_a, record_id_a, source_b, record_id_b, created_at, note "
                "FROM identity.overrides ORDER BY created_at"
            ).fetchall()
            if con.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema='identity' AND table_name='overrides'"
            ).fetchall()
            else []
        )
    finally:
        con.close()
    if not rows:
        click.echo("no overrides")
    for kind, sa, ra, sb, rb, at, note in rows:
        click.echo(
            f"{at:%Y-%m-%d %H:%M}  {kind:<12} {sa}:{ra}  {sb}:{rb}"
            + (f"  ({note})" if note else "")
        )
