"""One small demo project shared by the demo tests (writing it takes well under a second)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cdp.demo import DemoResult, write_demo

AS_OF = date(2026, 3, 1)
PEOPLE = 2_000


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return write_demo(tmp_path_factory.mktemp("demo") / "project", PEOPLE, seed=7, as_of=AS_OF)


@pytest.fixture(scope="session")
def synced(demo: DemoResult) -> Path:
    """The demo after `cdp sync --only sources`: staging.customer_records is built."""
    from cdp.config import load_project
    from cdp.run import run_sync

    run = run_sync(load_project(demo.dir), only=["sources"])
    assert run.status == "succeeded", run.error
    return demo.dir / ".cdp" / "warehouse.duckdb"
