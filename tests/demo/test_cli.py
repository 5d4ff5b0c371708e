"""`cdp demo` on the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cdp.cli import cli


def test_demo_no_sync_writes_the_project_and_refuses_a_non_empty_dir(tmp_path: Path) -> None:
    target = tmp_path / "d"
    runner = CliRunner()
    result = runner.invoke(
        cli, ["demo", str(target), "--customers", "200", "--no-sync", "--as-of", "2026-01-15"]
    )
    assert result.exit_code == 0, result.output
    assert "truth/records.csv" in result.output and "shop_customers" in result.output
    assert (target / "cdp.yml").is_file() and (target / "truth" / "records.csv").is_file()

    again = runner.invoke(cli, ["demo", str(target), "--customers", "200", "--no-sync"])
    assert again.exit_code != 0 and "--force" in again.output

    forced = runner.invoke(cli, ["demo", str(target), "--customers", "200", "--no-sync", "--force"])
    assert forced.exit_code == 0, forced.output


def test_demo_syncs_and_prints_the_stage_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "d"), "--customers", "150"])
    assert result.exit_code == 0, result.output
    assert "sources" in result.output and "customer_records=" in result.output
