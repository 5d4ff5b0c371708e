"""`cdp segments`: list, validate, preview and trace the SQL segments of a project."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cdp.cli._common import load

if TYPE_CHECKING:
    import duckdb

    from cdp.config import Project


def _warehouse(project: Project) -> duckdb.DuckDBPyConnection | None:
    from cdp.cli._common import open_warehouse

    if not project.warehouse_path.exists():
        return None
    return open_warehouse(project)


def _check(
    project: Project, con: duckdb.DuckDBPyConnection | None
) -> tuple[list[Any], list[Any], list[Any]]:
    from warehouse.segments.catalog import warehouse_catalog
    from warehouse.segments.files import discover
    from warehouse.segments.validate import check_segments

    files = discover(project.segments_dir)
    valid, problems = check_segments(files, warehouse_catalog(con))
    return files, valid, problems


@click.group()
def segments() -> None:
    """List, validate, preview and trace segments (segments/*.sql)."""


@segments.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """Every segment: name, description, members now, last change, status of its last run."""
    from warehouse.connection import table_exists

    project = load(ctx)
    con = _warehouse(project)
    try:
        files, valid, problems = _check(project, con)
        invalid = {p.file for p in problems}
        last: dict[str, tuple[Any, ...]] = {}
        if con is not None and table_exists(con, "segments", "runs"):
            for row in con.execute(
                "SELECT segment, arg_max(status, started_at), arg_max(members, started_at) "
                "FILTER (WHERE status = 'succeeded'), arg_max(holdout, started_at) FILTER (WHERE status = 'succeeded'), "
                "max(started_at) FILTER (WHERE status = 'succeeded' AND (entered > 0 OR exited > 0)) "
                "FROM segments.runs GROUP BY segment"
            ).fetchall():
                last[row[0]] = row[1:]
    finally:
        if con is not None:
            con.close()
    if not files:
        click.echo(f"no segments in {project.segments_dir}")
        return
    click.echo(f"{'segment':<28}{'members':>10}  {'last change':<17}  {'status':<10}description")
    for seg in files:
        status, members, holdout, changed = last.get(seg.name, ("never run", None, None, None))
        if seg.path in invalid:
            status = "invalid"
        count = "-" if members is None else f"{members:,}"
        if holdout:
            count += f" ({holdout:,} ho)"
        when = f"{changed:%Y-%m-%d %H:%M}" if changed else "-"
        click.echo(f"{seg.name:<28}{count:>10}  {when:<17}  {status:<10}{seg.description}")
    if problems:
        click.secho(f"{len(problems)} problem(s): run `cdp segments validate`", fg="yellow")


@segments.command()
@click.pass_context
def validate(ctx: click.Context) -> None:
    """Check every segment file (syntax, read-only SELECT, tables, columns, profile_id)."""
    from warehouse.segments.errors import SegmentValidationError

    project = load(ctx)
    con = _warehouse(project)
    try:
        files, valid, problems = _check(project, con)
    finally:
        if con is not None:
            con.close()
    if problems:
        raise SegmentValidationError(problems)
    order = " -> ".join(v.name for v in valid)
    click.secho(f"{len(valid)} segment(s) valid", fg="green")
    if order:
        click.echo(f"run order: {order}")


@segments.command()
@click.argument("name")
@click.option("--limit", default=10, show_default=True, help="How many rows to show.")
@click.pass_context
def preview(ctx: click.Context, name: str, limit: int) -> None:
    """Row count and first rows of segment NAME, without materializing it.

    Runs on a read-only, locked-down connection. Segments it reads are read as they were
    last materialized.
    """
    from cdp.config import closest
    from warehouse.segments.errors import SegmentValidationError
    from warehouse.segments.sandbox import Sandbox

    project = load(ctx)
    con = _warehouse(project)
    if con is None:
        raise click.ClickException("no warehouse yet; run `cdp sync` first")
    try:
        files, valid, problems = _check(project, con)
        seg = next((v for v in valid if v.name == name), None)
        if seg is None:
            names = [f.name for f in files]
            mine = [p for p in problems if any(f.path == p.file and f.name == name for f in files)]
            if mine:
                raise SegmentValidationError(mine)
            hint = closest(name, names)
            raise click.ClickException(
                f"no segment '{name}'"
                + (f" (did you mean '{hint}'?)" if hint else "")
                + f"; segments: {', '.join(names) or 'none'}"
            )
        box = Sandbox(con, project.config.warehouse.memory_limit)
        box.check(seg.sql)
        total = box.execute(
            f"SELECT count(*) FROM ({seg.sql}\n) AS cdp_q", timeout=seg.file.timeout
        )[0][0]
        columns, rows = box.query(seg.sql, timeout=seg.file.timeout, limit=limit)
    finally:
        con.close()
    click.echo(
        f"{seg.name}: {total:,} rows"
        + (f" (holdout {seg.file.holdout:.0%} not applied in preview)" if seg.file.holdout else "")
    )
    _print_rows(columns, rows)


def _print_rows(columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    from cdp.cli._common import console, table

    grid: Any = table()
    for col in columns:
        grid.add_column(col)
    for row in rows:
        grid.add_row(*("" if v is None else str(v) for v in row))
    out: Any = console()
    out.print(grid)


@segments.command()
@click.argument("name")
@click.option("--limit", default=30, show_default=True, help="How many recent runs to show.")
@click.pass_context
def history(ctx: click.Context, name: str, limit: int) -> None:
    """Members entered and exited at each run of segment NAME (newest first)."""
    from warehouse.connection import table_exists

    project = load(ctx)
    con = _warehouse(project)
    if con is None or not table_exists(con, "segments", "runs"):
        raise click.ClickException("no segment runs yet; run `cdp sync` first")
    try:
        rows = con.execute(
            "SELECT run_id, started_at, members, holdout, entered, exited, status, error, seconds "
            "FROM segments.runs WHERE segment = ? ORDER BY started_at DESC LIMIT ?",
            [name, limit],
        ).fetchall()
    finally:
        con.close()
    if not rows:
        raise click.ClickException(f"segment '{name}' has no runs yet")
    click.echo(
        f"{'run':<24}{'started':<18}{'members':>10}{'holdout':>9}{'entered':>9}{'exited':>9}  status"
    )
    for run_id, started, members, holdout, entered, exited, status, error, seconds in rows:

        def n(v: Any) -> str:
            return "-" if v is None else f"{v:,}"

        click.echo(
            f"{run_id:<24}{started:%Y-%m-%d %H:%M}  {n(members):>10}{n(holdout):>9}"
            f"{'+' + n(entered):>9}{'-' + n(exited):>9}  {status}"
            + (f" ({seconds:.1f}s)" if seconds else "")
            + (f": {error}" if error else "")
        )
