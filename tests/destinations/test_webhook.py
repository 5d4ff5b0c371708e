"""The webhook destination and the engine's retry, split and resume behaviour."""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import subprocess
import sys
import threading
from collections import Counter

from click.testing import CliRunner

from cdp.cli import cli
from connectors.destinations.http import retry_after_seconds
from tests.destinations.conftest import person, stage_counts
from tests.destinations.server import RecordingServer, Reply

SECRET = "whsec-test-signing-key"


def _config(project, url, mode="mirror", batch_rows=4):
    project.write_config(
        {
            "hook": {
                "connector": "webhook",
                "config": {"url": url + "/hook", "batch_rows": batch_rows, "backoff_seconds": 0.01},
            }
        },
        [
            {
                "segment": "vip",
                "destination": "hook",
                "mode": mode,
                "fields": {"email": "email", "name": "first_name"},
            }
        ],
    )


def _valid(req) -> bool:
    ts = req.headers["X-CDP-Timestamp"]
    expected = hmac.new(SECRET.encode(), ts.encode() + b"." + req.body, hashlib.sha256).hexdigest()
    return req.headers["X-CDP-Signature"] == "sha256=" + expected


def _delivered(server) -> Counter:
    seen: Counter = Counter()
    for req in server.requests:
        if req.method == "POST" and 200 <= getattr(req, "status", 200) < 300:
            body = req.json()
            if body["action"] == "upsert":
                seen.update(r["profile_id"] for r in body["rows"])
    return seen


def test_signed_batches_retries_and_isolated_bad_rows(project, monkeypatch):
    monkeypatch.setenv("CDP__DESTINATIONS__HOOK__SECRET", SECRET)
    calls = Counter()
    accepted: Counter = Counter()

    def handler(req):
        calls["n"] += 1
        assert _valid(req), "bad signature"
        if calls["n"] == 1:
            return Reply(429, {"error": "slow down"}, {"Retry-After": "0"})
        if calls["n"] == 2:
            return Reply(503, {"error": "unavailable"})
        rows = req.json()["rows"]
        if any(r["fields"]["email"].startswith("bad") for r in rows):
            return Reply(400, {"error": "invalid email in batch"})
        errors = [
            {"index": i, "reason": "blocked address", "terminal": True}
            for i, r in enumerate(rows)
            if r["fields"]["email"].startswith("blocked")
        ]
        accepted.update(
            r["profile_id"] for i, r in enumerate(rows) if i not in {e["index"] for e in errors}
        )
        return Reply(200, {"errors": errors})

    people = [person(i) for i in range(12)]
    people[5]["email"] = "bad-address"
    people[7]["email"] = "blocked@example.com"
    project.set_members(people)
    with RecordingServer(handler) as server:
        _config(project, server.url)
        result = project.sync()
        counts = stage_counts(result)["syncs"]["vip->hook"]
        assert result.status == "partial"
        assert counts["added"] == 10 and counts["failed"] == 2 and counts["terminal"] == 1
        assert counts["retried_requests"] == 2
        assert set(accepted) == {p["profile_id"] for p in people} - {"p000005", "p000007"}
        reasons = dict(
            project.query("SELECT profile_id, reason FROM sync.changelog WHERE status <> 'sent'")
        )
        assert "invalid email" in reasons["p000005"] and reasons["p000007"] == "blocked address"
        shown = CliRunner().invoke(cli, ["--project", str(project.root), "runs", result.run_id])
        assert "vip->hook: 1 terminal: blocked address" in shown.output
        assert "vip->hook: 1 failed: " in shown.output and "invalid email" in shown.output

        # the next run retries the failed row, not the terminal one; fixing the row sends it
        accepted.clear()
        counts = stage_counts(project.sync())["syncs"]["vip->hook"]
        assert counts["retried"] == 1 and counts["failed"] == 1 and not accepted
        people[5]["email"] = "fixed@example.com"
        project.set_members(people)
        counts = stage_counts(project.sync())["syncs"]["vip->hook"]
        assert counts["added"] == 1 and counts["retried"] == 1 and set(accepted) == {"p000005"}
        assert project.query("SELECT count(*) FROM sync.failures WHERE NOT terminal")[0][0] == 0


def test_auth_failure_is_one_clear_line_without_the_secret(project, monkeypatch):
    monkeypatch.setenv("CDP__DESTINATIONS__HOOK__SECRET", SECRET)
    project.set_members([person(1)])
    with RecordingServer(lambda req: Reply(401, {"error": f"bad key {SECRET}"})) as server:
        _config(project, server.url)
        result = project.sync()
    assert result.status == "failed"
    assert (
        "destination 'hook'" in result.error and "CDP__DESTINATIONS__HOOK__SECRET" in result.error
    )
    assert SECRET not in result.error


def test_retry_after_forms():
    from datetime import UTC, datetime

    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7
    assert retry_after_seconds("0", now) is None
    assert retry_after_seconds("Wed, 01 Jan 2025 12:00:30 GMT", now) == 30
    assert retry_after_seconds("Wed, 01 Jan 2025 11:00:00 GMT", now) is None
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None) is None


def test_killed_mid_delivery_resumes_without_losing_rows(project):
    """SIGKILL a real `cdp sync` process while a batch is in flight, then run again."""
    people = [person(i) for i in range(40)]
    project.set_members(people)
    victim: dict[str, int] = {}
    delivered: Counter = Counter()
    lock = threading.Lock()
    posts = Counter()

    def handler(req):
        with lock:
            posts["n"] += 1
            n = posts["n"]
        if n == 4 and "pid" in victim:
            os.kill(victim["pid"], signal.SIGKILL)  # dies with batch 4 in flight
            return Reply(500, {})
        delivered.update(r["profile_id"] for r in req.json()["rows"])
        return Reply(200, {})

    with RecordingServer(handler) as server:
        _config(project, server.url, batch_rows=5)
        env = {**os.environ, "CDP__DESTINATIONS__HOOK__SECRET": SECRET}
        proc = subprocess.Popen(
            [sys.executable, "-m", "cdp", "--project", str(project.root), "sync", "--only", "destinations"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        victim["pid"] = proc.pid
        proc.wait(timeout=120)
        assert proc.returncode == -signal.SIGKILL
        assert 0 < sum(delivered.values()) < 40
        os.environ["CDP__DESTINATIONS__HOOK__SECRET"] = SECRET
        try:
            result = project.sync()
        finally:
            del os.environ["CDP__DESTINATIONS__HOOK__SECRET"]
    assert result.status == "succeeded"
    assert set(delivered) == {p["profile_id"] for p in people}
    assert all(n == 1 for n in delivered.values())  # the in-flight batch never reached the receiver
    assert project.query("SELECT count(*) FROM sync.delivered_state")[0][0] == 40
    statuses = [r[0] for r in project.query("SELECT status FROM cdp.runs ORDER BY started_at")]
    assert statuses == ["interrupted", "succeeded"]
