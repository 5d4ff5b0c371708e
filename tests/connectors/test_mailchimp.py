"""The Mailchimp connector against a fake Marketing API (tests/connectors/servers/mailchimp.py)."""

from __future__ import annotations

import hashlib

import pytest

from cdp.errors import ConnectorError
from cdp.testing import SourceCase, canonical_rows, conformance_suite, run_source
from connectors.sources.api.mailchimp import CONNECTOR, api_base_url
from tests.connectors.servers.mailchimp import FakeMailchimp

KEY = "0123456789abcdef0123456789abcdef-us6"


@pytest.fixture
def api():
    with FakeMailchimp(api_key=KEY) as fake:
        yield fake


def case_for(fake: FakeMailchimp, **config) -> SourceCase:
    return SourceCase(
        name="email",
        config={
            "list_id": "abc123",
            "base_url": f"{fake.url}/3.0",
            "page_size": 5,
            "activity_days": 100000,
            "backoff_factor": 0.05,
            **config,
        },
        secrets={"api_key": KEY},
        invalid_configs=[{"list_id": "abc123", "page_size": 1001}, {}],
        expect_events=True,
    )


@pytest.fixture
def cdp_source_case(api) -> SourceCase:
    return case_for(api)


TestConformance = conformance_suite("mailchimp")


def test_data_centre_comes_from_the_key():
    assert api_base_url("email", KEY) == "https://us6.api.mailchimp.com/3.0"
    with pytest.raises(ConnectorError, match="data-centre suffix"):
        api_base_url("email", "0123456789abcdef")


def test_members_map_with_subscriber_hash_consent_and_archived_as_deleted(api, tmp_path):
    case = case_for(api)
    result = run_source(CONNECTOR, case, tmp_path)
    assert result.rows["members"] == 23
    member_pages = [r for r in api.requests if r.path.endswith("/members")]
    assert [r.query["offset"] for r in member_pages] == ["0", "5", "10", "15", "20"]
    rows = canonical_rows(CONNECTOR, case, result.database)
    records = {r["email"]: r for r in rows["customer_records"]}
    u0 = records["U0@Example.com"]
    assert u0["record_id"] == hashlib.md5(b"u0@example.com").hexdigest()
    assert u0["consent_email"] is True and u0["city"] == "London" and u0["country"] == "GB"
    assert records["U2@Example.com"]["consent_email"] is False
    assert records["U4@Example.com"]["consent_email"] is None  # pending: no consent yet
    assert {e for e, r in records.items() if r["deleted"]} == {
        "U5@Example.com",
        "U11@Example.com",
        "U17@Example.com",
    }
    events = rows["events"]
    kinds = {e["event"] for e in events}
    assert kinds == {
        "Email Delivered",
        "Email Opened",
        "Email Link Clicked",
        "Email Bounced",
        "Unsubscribed",
    }
    click = next(e for e in events if e["event"] == "Email Link Clicked")
    assert click["record_id"] == records["U1@Example.com"]["record_id"]
    assert '"link_url":"https://acme.example/sale"' in click["properties"]


def test_incremental_uses_since_last_changed_and_merges(api, tmp_path):
    case = case_for(api)
    run_source(CONNECTOR, case, tmp_path)
    api.touch(1, status="unsubscribed")
    api.requests.clear()
    second = run_source(CONNECTOR, case, tmp_path)
    assert second.rows["members"] == 1
    call = next(r for r in api.requests if r.path.endswith("/members"))
    assert call.query["since_last_changed"].startswith("2024-02-01T00:00:22")
    assert not any(r.path.endswith("/sent-to") for r in api.requests)  # read once per campaign
    records = canonical_rows(CONNECTOR, case, second.database)["customer_records"]
    assert len(records) == 23
    assert next(r for r in records if r["email"] == "U1@Example.com")["consent_email"] is False


@pytest.mark.slow
def test_rate_limit_and_blips_are_retried(api, tmp_path):
    api.fail_next(429, retry_after="1", body={"title": "Too Many Requests", "status": 429})
    api.fail_next(502)
    assert run_source(CONNECTOR, case_for(api), tmp_path).rows["members"] == 23


def test_wrong_key_is_one_line_naming_the_setting(api, tmp_path):
    with pytest.raises(ConnectorError) as info:
        run_source(CONNECTOR, case_for(api), tmp_path, secrets={"api_key": "ffffffffffffffff-us6"})
    text = str(info.value)
    assert "CDP__SOURCES__EMAIL__API_KEY" in text and "API key may be invalid" in text
    assert "ffffffffffffffff" not in text


def test_unknown_list_is_a_clear_error(api, tmp_path):
    with pytest.raises(ConnectorError, match="404"):
        run_source(CONNECTOR, case_for(api, list_id="nope"), tmp_path)
