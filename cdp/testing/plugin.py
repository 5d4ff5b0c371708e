"""The pytest plugin of the conformance kit (``pytest11`` entry point ``cdp``)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def cdp_workdir(tmp_path: Path) -> Path:
    """An empty project folder for one connector run."""
    return tmp_path
