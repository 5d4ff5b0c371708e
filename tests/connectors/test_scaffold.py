"""`cdp connectors new NAME` writes a package that installs and passes its own tests as is."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cdp.cli import cli


def test_new_refuses_bad_names_and_existing_folders(tmp_path):
    runner = CliRunner()
    bad = runner.invoke(cli, ["connectors", "new", "Loyalty-API", "--dir", str(tmp_path)])
    assert bad.exit_code == 1 and "not a valid connector name" in bad.output
    assert (
        runner.invoke(cli, ["connectors", "new", "loyalty_api", "--dir", str(tmp_path)]).exit_code
        == 0
    )
    again = runner.invoke(cli, ["connectors", "new", "loyalty_api", "--dir", str(tmp_path)])
    assert again.exit_code == 1 and "already exists" in again.output


@pytest.mark.slow
def test_scaffolded_package_installs_registers_and_passes_the_kit(tmp_path):
    result = CliRunner().invoke(cli, ["connectors", "new", "loyalty_api", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    package = tmp_path / "cdp-loyalty-api"
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(package),
        ],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    listed = subprocess.run(
        [sys.executable, "-m", "cdp", "connectors", "list"], env=env, capture_output=True, text=True
    )
    assert "loyalty_api" in listed.stdout, listed.stdout + listed.stderr
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert "7 passed" in tests.stdout
