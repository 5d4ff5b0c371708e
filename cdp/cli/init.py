"""`cdp init`: scaffold a project."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", help="Project name (default: from the folder name).")
@click.option("--force", is_flag=True, help="Overwrite an existing cdp.yml.")
def init(directory: Path, name: str | None, force: bool) -> None:
    """Create a new project in DIRECTORY (default: the current folder).

    Writes cdp.yml (with a CSV source to edit), segments/ with the starter segment
    library, data/ for exported files, .env.example listing where secrets go, and a
    README. Then: put an export in data/, edit cdp.yml, and run `cdp sync`.
    """
    from cdp.scaffold_project import init_project

    written = init_project(directory, name, force=force)
    click.echo(f"created a cdp project in {directory}/ ({len(written)} files)")
    click.echo("next:")
    click.echo(f"  cd {directory}")
    click.echo("  # put an export in data/ and point a source at it in cdp.yml")
    click.echo("  cdp sync")
