"""Helpers shared by the CLI commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    import duckdb

    from cdp.config import Project


def project_dir(ctx: click.Context) -> Path:
    return Path(ctx.find_root().obj["project_dir"])


def load(ctx: click.Context, *, preflight: bool = False) -> Project:
    """The project of ``--project``, validated (with a run's pre-flight checks when asked)."""
    from cdp.config import load_project

    return load_project(project_dir(ctx), preflight=preflight)


def open_warehouse(project: Project, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """The project's warehouse for reading (fails clearly when there is none yet)."""
    from warehouse.connection import connect

    return connect(project.warehouse_path, read_only=read_only)


def table(title: str | None = None) -> object:
    from rich.table import Table

    return Table(title=title, show_header=True, header_style="bold", box=None, pad_edge=False)


def console() -> object:
    from rich.console import Console

    return Console(soft_wrap=True)
