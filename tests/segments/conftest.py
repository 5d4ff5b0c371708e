"""A small project on a real DuckDB file, filled with SQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from segdata import NOW, fill


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with cdp.yml, an empty segments/ and a filled warehouse."""
    monkeypatch.delenv("CDP_NOW", raising=False)
    (tmp_path / "cdp.yml").write_text(f"name: acme\ntraits:\n  now: '{NOW}'\n", encoding="utf-8")
    (tmp_path / "segments").mkdir()
    fill(tmp_path / ".cdp" / "warehouse.duckdb")
    return tmp_path


@pytest.fixture
def segment(project: Path) -> Callable[[str, str], Path]:
    def write(name: str, sql: str) -> Path:
        path = project / "segments" / f"{name}.sql"
        path.write_text(sql, encoding="utf-8")
        return path

    return write
