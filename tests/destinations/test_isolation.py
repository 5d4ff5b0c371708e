"""One failing destination never blocks the others; `cdp runs` shows per-sync results."""

from __future__ import annotations

from click.testing import CliRunner

from cdp.cli import cli
from connectors.destinations.base import Row
from connectors.destinations.engine import _batches, _Item
from connectors.destinations.http import RequestBudget
from tests.destinations.conftest import person, stage_counts
from tests.destinations.server import RecordingServer, Reply


def test_failing_destinations_do_not_block_others(project, monkeypatch):
    monkeypatch.setenv("CDP__DESTINATIONS__DOWN__SECRET", "down-secret")
    monkeypatch.setenv("CDP__DESTINATIONS__LOCKED__SECRET", "locked-secret")
    project.set_members([person(i) for i in range(30)])
    with (
        RecordingServer(lambda req: Reply(500, {"error": "boom"})) as down,
        RecordingServer(lambda req: Reply(403, {"error": "forbidden"})) as locked,
    ):
        hook = {"batch_rows": 5, "max_attempts": 2, "backoff_seconds": 0.001}
        project.write_config(
            {
                "out": {"connector": "files"},
                "down": {"connector": "webhook", "config": {"url": down.url, **hook}},
                "locked": {"connector": "webhook", "config": {"url": locked.url, **hook}},
            },
            [
                {"segment": "vip", "destination": "down", "fields": {"email": "email"}},
                {"segment": "vip", "destination": "locked", "fields": {"email": "email"}},
                {"segment": "vip", "destination": "out", "fields": {"email": "email"}},
            ],
        )
        result = project.sync()
        assert len(down.requests) == 3 * 2  # gave up after 3 batches, 2 attempts each
        assert len(locked.requests) == 1  # credentials refused: stop at once
    counts = stage_counts(result)["syncs"]
    assert result.status == "partial"
    assert counts["vip->out"]["added"] == 30
    assert counts["vip->down"]["failed"] == 15 and counts["vip->down"]["added"] == 0
    runs = dict(project.query("SELECT sync_key, status FROM sync.runs"))
    assert runs == {"vip->out": "succeeded", "vip->down": "failed", "vip->locked": "failed"}
    failed = project.query(
        "SELECT count(*) FROM sync.changelog WHERE sync_key = 'vip->down' AND status = 'failed'"
    )
    assert failed[0][0] == 15

    out = CliRunner().invoke(cli, ["--project", str(project.root), "runs", result.run_id])
    assert out.exit_code == 0, out.output
    assert "syncs vip->out: added=30" in out.output
    assert "CDP__DESTINATIONS__LOCKED__SECRET" in out.output and "locked-secret" not in out.output


def test_batches_cut_by_rows_bytes_and_kind():
    def item(i: int, op: str = "add", size: int = 10) -> _Item:
        return _Item(Row(f"p{i}", {}, op), i + 1, size, False)

    items = [item(i) for i in range(7)] + [item(7, "remove"), item(8, "remove")]
    sizes = [len(b) for b in _batches(iter(items), max_rows=3, max_bytes=10_000)]
    assert sizes == [3, 3, 1, 2]
    sizes = [len(b) for b in _batches(iter([item(i, size=40) for i in range(5)]), 100, 100)]
    assert sizes == [2, 2, 1]


def test_request_budget_spaces_requests():
    waits: list[float] = []
    budget = RequestBudget(10, sleep=waits.append)
    for _ in range(5):
        budget.wait()
    assert len(waits) == 4 and all(0.05 < w <= 0.4 + 1e-6 for w in waits)
