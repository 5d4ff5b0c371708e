"""HttpClient: Retry-After honoured (seconds or date), 0 means back off, give up after N tries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.destinations.base import AuthError, TransientError
from connectors.destinations.http import HttpClient, HttpSettings
from connectors.destinations.meta_format import KEYS, UNHASHED, format_key
from tests.destinations.server import RecordingServer, Reply


def _client(url: str, sleeps: list[float], **settings) -> HttpClient:
    config = HttpSettings(backoff_seconds=0.5, max_backoff_seconds=4, **settings)
    return HttpClient(
        "dest",
        url,
        config,
        secret_hint="fix CDP__X",
        sleep=sleeps.append,
        headers={"Authorization": "Bearer tok-secret-1"},
    )


def _sequence(*replies: Reply):
    queue = list(replies)
    return lambda req: queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.mark.parametrize(
    ("retry_after", "expect"),
    [
        ("3", lambda w: w == 3.0),
        ("0", lambda w: 0.25 <= w <= 0.5),
        ("garbage", lambda w: 0.25 <= w <= 0.5),
    ],
)
def test_retry_after_seconds_or_backoff(retry_after, expect):
    sleeps: list[float] = []
    with RecordingServer(
        _sequence(Reply(429, {}, {"Retry-After": retry_after}), Reply(200, {"ok": True}))
    ) as server:
        client = _client(server.url, sleeps)
        assert client.request("GET", "x").json() == {"ok": True}
    assert len(sleeps) == 1 and expect(sleeps[0])
    assert client.stats() == {"requests": 2, "retried_requests": 1}


def test_retry_after_http_date_and_past_date():
    future = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    past = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    sleeps: list[float] = []
    replies = _sequence(
        Reply(503, {}, {"Retry-After": future}),
        Reply(429, {}, {"Retry-After": past}),
        Reply(200, {}),
    )
    with RecordingServer(replies) as server:
        _client(server.url, sleeps).request("GET", "x")
    assert 25 < sleeps[0] <= 30 and 0.5 <= sleeps[1] <= 1.0  # second attempt: backoff doubles


def test_gives_up_after_max_attempts_and_auth_is_one_line():
    sleeps: list[float] = []
    with RecordingServer(lambda req: Reply(500, {})) as server:
        with pytest.raises(TransientError, match="HTTP 500 after 3 attempts"):
            _client(server.url, sleeps, max_attempts=3).request("POST", "x", json={})
    assert len(sleeps) == 2 and all(s <= 4 for s in sleeps)
    with RecordingServer(lambda req: Reply(401, {"error": "bad token tok-secret-1"})) as server:
        with pytest.raises(AuthError) as info:
            _client(server.url, []).request("GET", "x")
    assert "destination 'dest'" in str(info.value) and "CDP__X" in str(info.value)
    assert "tok-secret-1" not in str(info.value)


@given(st.sampled_from(sorted(KEYS)), st.text(max_size=40))
def test_meta_values_are_digests_or_empty(key, raw):
    value = format_key(key, raw, "us")
    if key not in UNHASHED:
        assert value == "" or (len(value) == 64 and all(c in "0123456789abcdef" for c in value))
        assert value == "" or format_key(key, value, "us") == value  # hashing twice never happens
