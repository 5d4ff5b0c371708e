"""`cdp demo` on the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cdp.cli import cli


def test_demo_no_sync_writes_the_project_and_replaces_an_earlier_demo(tmp_path: Path) -> None:
    target = tmp_path / "d"
    runner = CliRunner()
    args = ["demo", str(target), "--customers", "200", "--no-sync", "--as-of", "2026-01-15"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "truth/records.csv" in result.output and "shop_customers" in result.output
    assert (target / "cdp.yml").is_file() and (target / "truth" / "records.csv").is_file()

    # An earlier demo is replaced (a stale file in data/ goes with it).
    (target / "data" / "stale.csv").write_text("x\n")
    again = runner.invoke(cli, args)
    assert again.exit_code == 0 and "replacing the earlier demo" in again.output
    assert not (target / "data" / "stale.csv").exists()


def test_demo_refuses_a_folder_that_is_not_a_demo_without_force(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    runner = CliRunner()
    refused = runner.invoke(cli, ["demo", str(target), "--customers", "100", "--no-sync"])
    assert refused.exit_code != 0 and "--force" in refused.output
    assert not (target / "cdp.yml").exists()

    forced = runner.invoke(cli, ["demo", str(target), "--customers", "100", "--no-sync", "--force"])
    assert forced.exit_code == 0, forced.output
    assert (target / "notes.txt").read_text() == "keep me" and (target / "cdp.yml").is_file()


def test_demo_syncs_and_prints_the_stage_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "d"), "--customers", "150"])
    assert result.exit_code == 0, result.output
    assert "sources" in result.output and "customer_records=" in result.output
