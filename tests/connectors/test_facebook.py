"""The facebook_leads and facebook_page connectors against a fake Graph API."""

from __future__ import annotations

import pytest

from cdp.errors import ConnectorError
from cdp.testing import SourceCase, canonical_rows, conformance_suite, run_source
from connectors.sources.api.facebook import LEADS, PAGE
from tests.connectors.servers.facebook import FakeGraph

TOKEN = "EAAB0123456789abcdef"


@pytest.fixture
def graph():
    with FakeGraph(token=TOKEN) as fake:
        yield fake


def leads_case(fake: FakeGraph, **config) -> SourceCase:
    return SourceCase(
        name="social",
        config={
            "base_url": f"{fake.url}/v19.0",
            "page_id": "PAGE1",
            "page_size": 5,
            "backoff_factor": 0.05,
            **config,
        },
        secrets={"access_token": TOKEN},
        invalid_configs=[{"api_version": "19"}],
    )


def page_case(fake: FakeGraph, **config) -> SourceCase:
    return SourceCase(
        name="fbpage",
        config={
            "base_url": f"{fake.url}/v19.0",
            "page_id": "PAGE1",
            "page_size": 3,
            "engagement_days": 100000,
            "backoff_factor": 0.05,
            **config,
        },
        secrets={"access_token": TOKEN},
        invalid_configs=[{}],
        expect_customer_records=False,
        expect_events=True,
    )


class TestLeadsConformance(conformance_suite("facebook_leads")):
    @pytest.fixture
    def cdp_source_case(self, graph):
        return leads_case(graph)


class TestPageConformance(conformance_suite("facebook_page")):
    @pytest.fixture
    def cdp_source_case(self, graph):
        return page_case(graph)


def test_leads_map_field_data_and_load_incrementally(graph, tmp_path):
    case = leads_case(graph)
    first = run_source(LEADS, case, tmp_path)
    assert first.rows["leads"] == 17
    rows = canonical_rows(LEADS, case, first.database)["customer_records"]
    lead = next(r for r in rows if r["record_id"] == "L1003")
    assert (lead["email"], lead["phone"], lead["first_name"], lead["last_name"], lead["city"]) == (
        "lead3@example.com",
        "+12025550003",
        "Lead",
        "Person3",
        "Austin",
    )
    graph.add_lead(40)
    graph.requests.clear()
    second = run_source(LEADS, case, tmp_path)
    assert second.rows["leads"] == 1
    assert (
        "GREATER_THAN"
        in next(r for r in graph.requests if r.path.endswith("/leads")).query["filtering"]
    )


def test_page_comments_and_reactions_become_social_events(graph, tmp_path):
    case = page_case(graph)
    result = run_source(PAGE, case, tmp_path)
    assert result.rows["comments"] == 12 and result.rows["reactions"] == 15
    events = canonical_rows(PAGE, case, result.database)["events"]
    assert {e["event"] for e in events} == {"Social Comment", "Social Reaction"}
    comment = next(e for e in events if e["event_id"] == "comment:PAGE1_1_c2")
    assert (
        comment["anonymous_id"] == "facebook:U2" and '"message":"Nice 2"' in comment["properties"]
    )
    graph.reactions["PAGE1_2"].append({"id": "U99", "name": "New Fan", "type": "HAHA"})
    again = run_source(PAGE, case, tmp_path)
    assert again.rows.get("reactions") == 1 and not again.rows.get("comments")


def test_bad_token_is_code_190_named_clearly(graph, tmp_path):
    with pytest.raises(ConnectorError) as info:
        run_source(LEADS, leads_case(graph), tmp_path, secrets={"access_token": "EAABwrongwrong"})
    text = str(info.value)
    assert "authentication failed" in text and "Invalid OAuth access token" in text
    assert "CDP__SOURCES__SOCIAL__ACCESS_TOKEN" in text and "EAABwrongwrong" not in text


@pytest.mark.slow
def test_graph_throttling_code_is_retried(graph, tmp_path):
    graph.fail_next(
        400,
        body={
            "error": {
                "message": "(#4) Application request limit reached",
                "type": "OAuthException",
                "code": 4,
                "fbtrace_id": "x",
            }
        },
    )
    graph.fail_next(500)
    assert run_source(LEADS, leads_case(graph), tmp_path).rows["leads"] == 17
