"""The HubSpot connector against a fake CRM v3 API (tests/connectors/servers/hubspot.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cdp.errors import ConnectorError
from cdp.testing import SourceCase, canonical_rows, conformance_suite, run_source
from connectors.sources.api.hubspot import CONNECTOR
from tests.connectors.servers.hubspot import FakeHubSpot

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"


@pytest.fixture
def api():
    with FakeHubSpot(token=TOKEN) as fake:
        yield fake


def case_for(fake: FakeHubSpot, **config) -> SourceCase:
    return SourceCase(
        name="crm",
        config={"base_url": fake.url, "page_size": 10, "backoff_factor": 0.05, **config},
        secrets={"access_token": TOKEN},
        invalid_configs=[{"objects": ["tickets"]}, {"page_size": 101}],
        expect_events=True,
    )


@pytest.fixture
def cdp_source_case(api) -> SourceCase:
    return case_for(api)


TestConformance = conformance_suite("hubspot")


def test_contacts_companies_deals_and_associations_map(api, tmp_path):
    case = case_for(api)
    result = run_source(CONNECTOR, case, tmp_path)
    assert (
        result.rows["contacts"] == 25
        and result.rows["companies"] == 4
        and result.rows["deals"] == 6
    )
    assert result.rows["contacts_to_companies"] == 25
    rows = canonical_rows(CONNECTOR, case, result.database)
    c = next(r for r in rows["customer_records"] if r["record_id"] == "101")
    assert c["email"] == "contact1@example.com" and c["external_ids"] == {
        "hubspot_contact_id": "101"
    }
    assert '"company":"Company 2"' in c["attributes"]
    orders = rows["events"]
    assert {e["record_id"] for e in orders} == {"101", "103", "105"}  # closed-won deals 1, 3, 5
    assert str(next(e for e in orders if e["record_id"] == "103")["revenue"]) == "300.00"


def test_search_cap_moves_on_by_object_id_without_losing_records(tmp_path):
    with FakeHubSpot(token=TOKEN, contacts=57, search_cap=20, same_time_every=57) as fake:
        result = run_source(
            CONNECTOR, case_for(fake, objects=["contacts"], search_cap=20), tmp_path
        )
        assert result.rows["contacts"] == 57
        searches = [r for r in fake.requests if r.path.endswith("/search")]
        assert all(int(r.body.get("after") or 0) + 10 <= 20 for r in searches)
        assert {
            f["value"]
            for r in searches
            for f in r.body["filterGroups"][0]["filters"]
            if f["propertyName"] == "hs_object_id"
        } == {"0", "120", "140"}


def test_incremental_uses_last_modified_and_archived_are_deleted(api, tmp_path):
    case = case_for(api)
    run_source(CONNECTOR, case, tmp_path)
    later = datetime(2024, 5, 1, tzinfo=UTC)
    api.touch("contacts", "102", later, firstname="Renamed")
    api.archive("contacts", "103", later)
    api.requests.clear()
    second = run_source(CONNECTOR, case, tmp_path)
    assert second.rows["contacts"] == 2
    search = next(r for r in api.requests if r.path.endswith("contacts/search"))
    since = next(
        f
        for f in search.body["filterGroups"][0]["filters"]
        if f["propertyName"] == "lastmodifieddate"
    )
    assert since["operator"] == "GTE" and int(since["value"]) == int(
        datetime(2024, 1, 1, 0, 25, tzinfo=UTC).timestamp() * 1000
    )
    records = {
        r["record_id"]: r
        for r in canonical_rows(CONNECTOR, case, second.database)["customer_records"]
    }
    assert len(records) == 25 and records["102"]["first_name"] == "Renamed"
    assert records["103"]["deleted"] is True and records["101"]["deleted"] is False


@pytest.mark.slow
def test_secondly_limit_429_is_retried(api, tmp_path):
    api.fail_next(
        429,
        retry_after="1",
        body={
            "status": "error",
            "message": "You have reached your secondly limit.",
            "errorType": "RATE_LIMIT",
            "policyName": "SECONDLY",
        },
    )
    api.fail_next(503)
    assert run_source(CONNECTOR, case_for(api), tmp_path).rows["contacts"] == 25


def test_bad_token_is_one_line(api, tmp_path):
    with pytest.raises(ConnectorError) as info:
        run_source(CONNECTOR, case_for(api), tmp_path, secrets={"access_token": "pat-na1-wrong"})
    assert "CDP__SOURCES__CRM__ACCESS_TOKEN" in str(info.value) and "pat-na1-wrong" not in str(
        info.value
    )
