"""The `cdp` command line. Subcommands are imported only when invoked, so `cdp --help` is instant."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["cli", "main"]

#: command name -> "module:attribute"; each module imports its heavy dependencies itself.
COMMANDS = {
    "init": (
        "cdp.cli.init:init",
        "Create a new project: cdp.yml, segments/, .env.example, a README.",
    ),
    "demo": ("cdp.cli.demo:demo", "Write a realistic multi-source demo project, then sync it."),
    "sync": (
        "cdp.cli.sync:sync",
        "Run the pipeline: sources -> identity -> segments -> destinations.",
    ),
    "runs": ("cdp.cli.runs:runs", "Show the history of sync runs, or one run in detail."),
    "connectors": (
        "cdp.cli.connectors:connectors",
        "List installed connectors, or scaffold a new one.",
    ),
    "profiles": ("cdp.cli.profiles:profiles", "Look up unified customer profiles."),
    "identity": ("cdp.cli.identity:identity", "Explain and correct identity resolution."),
    "segments": ("cdp.cli.segments:segments", "List, validate, preview and trace segments."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, _, attr = COMMANDS[cmd_name][0].partition(":")
        try:
            return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("cdp.cli"):
                return _not_available(cmd_name)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        """User errors become one red line on stderr and exit code 1; ``--debug`` re-raises."""
        from cdp.errors import CdpError

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            from cdp.secrets import mask

            if isinstance(exc, CdpError):
                click.secho(f"error: {exc}", fg="red", err=True)
                ctx.exit(1)
            click.secho(
                f"internal error: {mask(f'{type(exc).__name__}: {exc}')} "
                "(run with --debug for the traceback, and please report it)",
                fg="red",
                err=True,
            )
            ctx.exit(2)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from the table above, so listing commands imports none of them.
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, help_) in COMMANDS.items()])


def _not_available(name: str) -> click.Command:
    @click.command(name=name, help=f"{COMMANDS[name][1]} (not available in this build)")
    def missing() -> None:
        raise click.ClickException(f"'cdp {name}' is not available in this build of cdp")

    return missing


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--project",
    "project_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default="the current folder",
    help="The project folder (the one holding cdp.yml).",
)
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.version_option(package_name="cdp", prog_name="cdp")
@click.pass_context
def cli(ctx: click.Context, project_dir: Path, debug: bool) -> None:
    """cdp: a warehouse-native customer data platform on an embedded DuckDB.

    Load customer data from your tools, resolve each person into one profile, build segments
    in SQL and sync them back out, all from one project folder with a cdp.yml.

    \b
    Start here:
      cdp init my-project      create a project
      cdp demo demo-project    or try a ready-made demo with realistic data
      cdp sync                 run everything
    """
    ctx.obj = {"project_dir": project_dir, "debug": debug}


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    import signal

    # `cdp profiles show x | head` ends quietly when head stops reading.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    return cli.main(args=sys.argv[1:] if argv is None else argv, prog_name="cdp")
