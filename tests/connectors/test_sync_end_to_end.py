"""API sources through the real sources stage: `cdp sync --only sources` into staging."""

from __future__ import annotations

import pytest

from tests.conftest import query
from tests.connectors.servers.mailchimp import FakeMailchimp
from tests.connectors.servers.shopify import FakeShopify

TOKEN = "shpat_e2e_token_value"
KEY = "0123456789abcdef0123456789abcdef-us6"


@pytest.mark.slow
def test_cdp_sync_only_sources_loads_shopify_and_mailchimp_incrementally(
    make_project, cli, monkeypatch
):
    with (
        FakeShopify(token=TOKEN, customers=12, orders=20) as shop,
        FakeMailchimp(api_key=KEY, members=9) as mc,
    ):
        project = make_project(f"""
            name: acme
            sources:
              shop:
                connector: shopify
                config: {{shop: acme.myshopify.com, base_url: "{shop.base_url}", backoff_factor: 0.05}}
              email:
                connector: mailchimp
                config: {{list_id: abc123, base_url: "{mc.url}/3.0", activity_days: 100000}}
            """)
        monkeypatch.setenv("CDP__SOURCES__SHOP__ACCESS_TOKEN", TOKEN)
        (project / ".dlt").mkdir()
        (project / ".dlt" / "secrets.toml").write_text(f'[sources.email]\napi_key = "{KEY}"\n')
        first = cli("--project", str(project), "sync", "--only", "sources")
        assert first.exit_code == 0, first.output
        assert TOKEN not in first.output and KEY not in first.output
        counts = dict(
            query(project, "SELECT source, count(*) FROM staging.customer_records GROUP BY 1")
        )
        assert counts == {"shop": 12, "email": 9}
        events = dict(query(project, "SELECT event, count(*) FROM staging.events GROUP BY 1"))
        assert events["Order Completed"] + events.get("Order Cancelled", 0) == 20
        assert events["Checkout Started"] == 10 and events["Email Opened"] > 0

        shop.touch("customers", [0])
        shop.requests.clear()
        second = cli("--project", str(project), "sync", "--only", "sources")
        assert second.exit_code == 0, second.output
        calls = [
            r
            for r in shop.requests
            if r.path.endswith("customers.json") and "fields" not in r.query
        ]
        assert calls and "updated_at_min" in calls[0].query
        assert query(
            project, "SELECT count(*) FROM staging.customer_records WHERE source = 'shop'"
        ) == [(12,)]


@pytest.mark.slow
def test_bad_token_fails_the_source_with_one_line_and_others_still_load(
    make_project, cli, monkeypatch
):
    with FakeShopify(token=TOKEN) as shop, FakeMailchimp(api_key=KEY, members=4) as mc:
        project = make_project(f"""
            name: acme
            sources:
              shop:
                connector: shopify
                config: {{shop: acme.myshopify.com, base_url: "{shop.base_url}"}}
              email:
                connector: mailchimp
                config: {{list_id: abc123, base_url: "{mc.url}/3.0"}}
            """)
        monkeypatch.setenv("CDP__SOURCES__SHOP__ACCESS_TOKEN", "shpat_revoked_token_0")
        monkeypatch.setenv("CDP__SOURCES__EMAIL__API_KEY", KEY)
        result = cli("--project", str(project), "sync", "--only", "sources")
        assert "source 'shop': authentication failed" in result.output
        assert "CDP__SOURCES__SHOP__ACCESS_TOKEN" in result.output
        assert "shpat_revoked_token_0" not in result.output
        assert query(
            project, "SELECT count(*) FROM staging.customer_records WHERE source = 'email'"
        ) == [(4,)]
