"""Fixtures shared by the whole suite: throwaway projects and a CLI runner."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result


@pytest.fixture(autouse=True)
def _isolate_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's CDP__ secrets, and dlt never phones home."""
    import os

    for key in list(os.environ):
        if key.startswith("CDP__"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Write a project: ``make_project(yml, {"data/x.csv": "a,b\\n1,2\\n"})``."""

    def make(yml: str, files: dict[str, str | bytes] | None = None, name: str = "proj") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        (root / "cdp.yml").write_text(textwrap.dedent(yml).lstrip(), encoding="utf-8")
        for rel, content in (files or {}).items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content).lstrip(), encoding="utf-8")
        return root

    return make


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run ``cdp`` in-process: ``cli("--project", str(p), "sync")``."""
    from cdp.cli import cli as command

    def run(*args: str) -> Result:
        return CliRunner().invoke(command, list(args), catch_exceptions=False)

    return run


def query(project: Path, sql: str) -> list[tuple]:
    """Read the project's warehouse (read-only)."""
    import duckdb

    con = duckdb.connect(str(project / ".cdp" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
