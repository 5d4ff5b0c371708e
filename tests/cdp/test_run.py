"""Runs: recorded in cdp.runs, one at a time per project, safe to kill at any moment."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cdp.config import load_project
from cdp.errors import LockedError
from cdp.lock import ProjectLock
from cdp.run import run_sync
from tests.conftest import query

HEADER = "Customer ID,First Name,Last Name,Email,Phone\n"
YML = """
name: acme
sources:
  shop:
    connector: files
    config: {path: "data/customers_*.csv", preset: shopify_customers}
  crm:
    connector: files
    config: {path: data/contacts.csv, preset: hubspot_contacts}
"""


def customers_csv(start: int, count: int) -> str:
    return HEADER + "".join(
        f"{i},First{i},Last{i},p{i}@example.com,\n" for i in range(start, start + count)
    )


def test_every_run_is_recorded_with_stages_counts_and_status(make_project, cli):
    project = make_project(
        YML,
        {
            "data/customers_1.csv": customers_csv(1, 5),
            "data/contacts.csv": "Record ID,First Name,Last Name,Email\n9,Ann,Lee,ann@example.com\n",
        },
    )
    result = cli("--project", str(project), "sync", "--only", "sources")
    assert result.exit_code == 0, result.output
    assert "sources" in result.output and "succeeded" in result.output
    (run,) = query(
        project,
        "SELECT run_id, status, command, stages->'$[0]'->>'stage', finished_at IS NOT NULL FROM cdp.runs",
    )
    assert run[1:] == ("succeeded", "cdp sync --only sources", "sources", True)
    listing = cli("--project", str(project), "runs")
    assert run[0] in listing.output and "sources:succeeded" in listing.output
    detail = cli("--project", str(project), "runs", run[0])
    assert "rows_loaded=6" in detail.output and "shop: loaded=5, rejected=0" in detail.output


def test_a_second_sync_fails_at_once_naming_the_holder(make_project, cli):
    project = make_project(
        YML,
        {
            "data/customers_1.csv": customers_csv(1, 2),
            "data/contacts.csv": "Record ID,First Name,Last Name,Email\n",
        },
    )
    holder = ProjectLock(project / ".cdp", "cdp sync (test holder)")
    holder.acquire()
    try:
        with pytest.raises(LockedError) as info:
            run_sync(load_project(project))
        assert f"pid {os.getpid()}" in str(info.value) and "cdp sync (test holder)" in str(
            info.value
        )
        result = cli("--project", str(project), "sync")
        assert result.exit_code == 1
        assert "another cdp run holds this project" in result.output
    finally:
        holder.release()
    assert run_sync(load_project(project), only=["sources"]).status == "succeeded"


def test_plan_writes_nothing(make_project):
    project = make_project(
        YML,
        {
            "data/customers_1.csv": customers_csv(1, 2),
            "data/contacts.csv": "Record ID,First Name,Last Name,Email\n",
        },
    )
    result = run_sync(load_project(project), plan=True)
    assert result.status in ("succeeded", "partial")
    assert query(project, "SELECT count(*) FROM cdp.runs") == [(0,)]
    assert query(project, "SELECT count(*) FROM staging.customer_records") == [(0,)]


def _run_cdp(project: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cdp", "--project", str(project), "sync", "--only", "sources"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "CI": "1"},
    )


@pytest.mark.slow
def test_killing_sync_at_any_moment_then_rerunning_loads_every_row_exactly_once(make_project):
    """SIGKILL a real `cdp sync` subprocess at random moments, several times, then finish."""
    files = {f"data/customers_{n}.csv": customers_csv(n * 100_000, 40_000) for n in range(1, 4)}
    files["data/contacts.csv"] = "Record ID,First Name,Last Name,Email\n" + "".join(
        f"{i},A{i},B{i},c{i}@example.com\n" for i in range(20_000)
    )
    project = make_project(YML, files)
    rng = random.Random(7)
    # Measure one clean run's length in a copy, to spread the kills over a whole run.
    start = time.monotonic()
    proc = _run_cdp(project)
    proc.wait(timeout=300)
    duration = time.monotonic() - start
    # Start over from nothing and kill repeatedly.
    import shutil

    shutil.rmtree(project / ".cdp")
    kills = 0
    for _ in range(6):
        proc = _run_cdp(project)
        time.sleep(rng.uniform(0.2, max(0.5, duration)))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=300)
    assert kills >= 3
    final = _run_cdp(project)
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()
    assert query(
        project, "SELECT count(*), count(DISTINCT customer_id) FROM raw_shop.shopify_customers"
    ) == [(120_000, 120_000)]
    assert query(
        project, "SELECT count(*), count(DISTINCT record_id) FROM raw_crm.hubspot_contacts"
    ) == [(20_000, 20_000)]
    assert query(project, "SELECT count(*) FROM staging.customer_records") == [(140_000,)]
    statuses = dict(query(project, "SELECT status, count(*) FROM cdp.runs GROUP BY 1"))
    assert statuses.get("succeeded", 0) >= 1
    assert statuses.get("running", 0) == 0  # killed runs are marked interrupted


def test_a_load_package_cut_off_while_being_created_is_dropped_and_the_rows_load(make_project):
    """A kill while dlt creates a package's folders leaves one without new_jobs."""
    project = make_project(YML, {"data/customers_1.csv": customers_csv(1, 3)})
    assert run_sync(load_project(project), only=["sources"]).status == "partial"  # crm: no file
    pipelines = project / ".cdp" / "pipelines"
    package = pipelines / "cdp_acme_shop" / "normalize" / "extracted" / "1795409664.6991394"
    for folder in ("completed_jobs", "started_jobs"):
        (package / folder).mkdir(parents=True)
    (project / "data/customers_2.csv").write_text(customers_csv(10, 2))
    run_sync(load_project(project), only=["sources"])
    assert not package.exists()
    assert query(project, "SELECT count(*) FROM raw_shop.shopify_customers") == [(5,)]
