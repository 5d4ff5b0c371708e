"""The CLI: help for every command, one-line errors, no heavy imports on `cdp --help`."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from cdp.cli import COMMANDS
from cdp.cli import cli as root


def _all_commands():
    ctx = click.Context(root)
    for name in COMMANDS:
        command = root.get_command(ctx, name)
        yield (name,), command
        if isinstance(command, click.Group):
            for sub in command.list_commands(ctx):
                yield (name, sub), command.get_command(ctx, sub)


@pytest.mark.parametrize(
    ("path", "command"),
    list(_all_commands()),
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else "",
)
def test_every_command_has_help_a_newcomer_understands(cli, path, command):
    assert command.help and len(command.help.split()) >= 5, (
        f"cdp {' '.join(path)} needs a real help text"
    )
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"option {param.opts} of cdp {' '.join(path)} has no help"
    result = cli(*path, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys; from cdp.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('duckdb', 'dlt', 'pyarrow', 'rapidfuzz', 'sqlglot', 'pydantic') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in out.stderr, out.stderr


def test_user_error_is_one_line_on_stderr_with_exit_1(tmp_path):
    (tmp_path / "cdp.yml").write_text("name: a\nsourcez: {}\n")
    out = subprocess.run(
        [sys.executable, "-m", "cdp", "--project", str(tmp_path), "sync"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0
    assert "cdp.yml:2: sourcez: unknown key (did you mean 'sources'?)" in out.stderr
    assert "Traceback" not in out.stderr


def test_init_then_sync_as_a_new_user_would(tmp_path, cli):
    project = tmp_path / "shop-analytics"
    result = cli("init", str(project))
    assert result.exit_code == 0 and "cdp sync" in result.output
    for name in ("cdp.yml", ".env.example", "README.md", ".gitignore"):
        assert (project / name).is_file()
    assert (project / "segments").is_dir() and (project / "data").is_dir()
    assert "already exists" in cli("init", str(project)).output
    (project / "data/customers.csv").write_text(
        "Email,First Name,Last Name,Phone\nann@example.com,Ann,Lee,555-0101\n"
    )
    result = cli("--project", str(project), "sync", "--only", "sources")
    assert result.exit_code == 0, result.output
    assert "customers: loaded=1, rejected=0" in result.output
