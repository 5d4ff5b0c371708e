"""The Klaviyo connector against a fake JSON:API (tests/connectors/servers/klaviyo.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cdp.errors import ConnectorError
from cdp.testing import SourceCase, canonical_rows, conformance_suite, run_source
from connectors.sources.api.klaviyo import CONNECTOR
from tests.connectors.servers.klaviyo import FakeKlaviyo

KEY = "pk_0123456789abcdef0123456789abcdef01"


@pytest.fixture
def api():
    with FakeKlaviyo(api_key=KEY) as fake:
        yield fake


def case_for(fake: FakeKlaviyo, **config) -> SourceCase:
    return SourceCase(
        name="klav",
        config={"base_url": fake.url, "page_size": 8, "backoff_factor": 0.05, **config},
        secrets={"api_key": KEY},
        invalid_configs=[{"revision": "latest"}, {"page_size": 101}],
        expect_events=True,
    )


@pytest.fixture
def cdp_source_case(api) -> SourceCase:
    return case_for(api)


TestConformance = conformance_suite("klaviyo")


def test_profiles_events_and_consent_map(api, tmp_path):
    case = case_for(api)
    result = run_source(CONNECTOR, case, tmp_path)
    assert (
        result.rows["profiles"] == 22 and result.rows["events"] == 30 and result.rows["lists"] == 1
    )
    assert all(r.headers.get("revision") == "2024-10-15" for r in api.requests)
    rows = canonical_rows(CONNECTOR, case, result.database)
    recs = {r["record_id"]: r for r in rows["customer_records"]}
    assert (
        recs["01PROF0000"]["consent_email"] is True and recs["01PROF0001"]["consent_email"] is False
    )
    assert recs["01PROF0002"]["consent_email"] is None and recs["01PROF0000"]["city"] == "Paris"
    assert recs["01PROF0000"]["external_ids"] == {"klaviyo_profile_id": "01PROF0000"}
    events = {e["event_id"]: e for e in rows["events"]}
    assert (
        events["4EVT00000"]["event"] == "Order Completed"
        and str(events["4EVT00000"]["revenue"]) == "42.50"
    )
    assert events["4EVT00001"]["event"] == "Email Opened" and events["4EVT00001"]["revenue"] is None
    assert {e["event"] for e in events.values()} == {
        "Order Completed",
        "Email Opened",
        "Email Link Clicked",
        "Product Viewed",
    }


def test_incremental_filter_and_deleted_profiles(api, tmp_path):
    case = case_for(api)
    run_source(CONNECTOR, case, tmp_path)
    api.touch("01PROF0003", datetime(2024, 3, 1, tzinfo=UTC), first_name="Changed")
    del api.profiles["01PROF0004"]
    api.requests.clear()
    second = run_source(CONNECTOR, case, tmp_path)
    assert second.rows["profiles"] == 1
    first = next(
        r for r in api.requests if r.path.rstrip("/") == "/api/profiles" and "filter" in r.query
    )
    assert first.query["filter"] == "greater-or-equal(updated,2024-02-01T00:21:00Z)"
    recs = {
        r["record_id"]: r
        for r in canonical_rows(CONNECTOR, case, second.database)["customer_records"]
    }
    assert recs["01PROF0003"]["first_name"] == "Changed"
    assert recs["01PROF0004"]["deleted"] is True and recs["01PROF0005"]["deleted"] is False


@pytest.mark.slow
def test_rate_limited_then_recovers(api, tmp_path):
    api.fail_next(
        429,
        retry_after="1",
        body={
            "errors": [
                {
                    "status": 429,
                    "code": "throttled",
                    "title": "Request was throttled.",
                    "detail": "Request was throttled. Expected available in 1 second.",
                }
            ]
        },
    )
    api.fail_next(500)
    assert run_source(CONNECTOR, case_for(api), tmp_path).rows["profiles"] == 22


def test_bad_key_message(api, tmp_path):
    with pytest.raises(ConnectorError) as info:
        run_source(CONNECTOR, case_for(api), tmp_path, secrets={"api_key": "pk_wrong_wrong"})
    text = str(info.value)
    assert "Missing or invalid private key" in text and "CDP__SOURCES__KLAV__API_KEY" in text
    assert "pk_wrong_wrong" not in text
