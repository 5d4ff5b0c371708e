"""The Shopify connector against a fake Admin REST API (tests/connectors/servers/shopify.py)."""

from __future__ import annotations

import duckdb
import pytest

from cdp.errors import ConnectorError
from cdp.testing import SourceCase, canonical_rows, conformance_suite, run_source
from connectors.sources.api.shopify import CONNECTOR
from tests.connectors.servers.shopify import FakeShopify

TOKEN = "shpat_0123456789abcdef"


@pytest.fixture
def shop():
    with FakeShopify(token=TOKEN, customers=30, orders=45, products=5, checkouts=4) as fake:
        yield fake


def case_for(fake: FakeShopify, **config) -> SourceCase:
    return SourceCase(
        name="shop",
        config={
            "shop": "acme.myshopify.com",
            "base_url": fake.base_url,
            "page_size": 7,
            "backoff_factor": 0.05,
            **config,
        },
        secrets={"access_token": TOKEN},
        invalid_configs=[
            {"shop": "acme.myshopify.com", "page_size": 251},
            {"shop": "acme.myshopify.com", "api_version": "latest"},
            {},
        ],
        expect_events=True,
    )


@pytest.fixture
def cdp_source_case(shop: FakeShopify) -> SourceCase:
    return case_for(shop)


TestConformance = conformance_suite("shopify")


def test_full_load_follows_link_header_and_maps_everything(shop, tmp_path):
    case = case_for(shop)
    result = run_source(CONNECTOR, case, tmp_path)
    assert result.rows["customers"] == 30
    assert result.rows["orders"] == 45  # status=any: closed and cancelled orders too
    assert result.rows["order_line_items"] == sum(1 + i % 3 for i in range(45))
    pages = [
        r
        for r in shop.data_requests("/admin/api/2024-10/customers.json")
        if "fields" not in r.query
    ]
    assert len(pages) == 5  # 30 records, 7 a page
    assert all(set(r.query) <= {"limit", "page_info"} for r in pages[1:])
    rows = canonical_rows(CONNECTOR, case, result.database)
    mary = next(r for r in rows["customer_records"] if r["record_id"] == "1000")
    assert mary["email"] == "mary.smith0@example.com"
    assert mary["external_ids"] == {"shopify_customer_id": "1000"}
    assert mary["consent_email"] is False and mary["city"] == "Springfield"
    assert mary["deleted"] is False
    events = {e["event"] for e in rows["events"]}
    assert events == {"Order Completed", "Order Cancelled", "Checkout Started"}
    order = next(e for e in rows["events"] if e["event_id"] == "order:4000001")
    assert (
        order["record_id"] == "1007" and str(order["revenue"]) == "35.00"
    )  # 11.00 x 1 + 12.00 x 2


def test_incremental_run_asks_only_for_changes_and_merges(shop, tmp_path):
    case = case_for(shop)
    run_source(CONNECTOR, case, tmp_path)
    shop.touch("customers", [3, 4])
    shop.requests.clear()
    second = run_source(CONNECTOR, case, tmp_path)
    assert second.rows.get("customers") == 2
    first_call = next(
        r for r in shop.requests if r.path.endswith("customers.json") and "fields" not in r.query
    )
    assert first_call.query["updated_at_min"].startswith("2024-01-01T00:00:29")
    con = duckdb.connect(str(second.database), read_only=True)
    assert con.execute(
        "SELECT count(*), count(DISTINCT id) FROM raw_shop.customers"
    ).fetchall() == [(30, 30)]


def test_an_edited_order_replaces_its_line_items(shop, tmp_path):
    case = case_for(shop)
    run_source(CONNECTOR, case, tmp_path)
    shop.edit_order(2, keep_items=1)  # order 4000002 had 3 lines
    second = run_source(CONNECTOR, case, tmp_path)
    con = duckdb.connect(str(second.database), read_only=True)
    lines = con.execute(
        "SELECT id FROM raw_shop.order_line_items WHERE order_id = 4000002"
    ).fetchall()
    total = con.execute("SELECT count(*) FROM raw_shop.order_line_items").fetchall()
    assert lines == [(9000006,)]
    assert total == [(sum(1 + i % 3 for i in range(45)) - 2,)]


def test_deleted_customers_are_marked_not_dropped(shop, tmp_path):
    case = case_for(shop)
    run_source(CONNECTOR, case, tmp_path)
    shop.delete("customers", [5])
    result = run_source(CONNECTOR, case, tmp_path)
    rows = canonical_rows(CONNECTOR, case, result.database)["customer_records"]
    deleted = {r["record_id"] for r in rows if r["deleted"]}
    assert deleted == {"1005"} and len(rows) == 30


@pytest.mark.slow
def test_429_and_5xx_blips_are_retried(shop, tmp_path):
    shop.fail_next(429, retry_after="1.0")  # Shopify's own format: seconds as a float
    shop.fail_next(503, times=2)
    result = run_source(CONNECTOR, case_for(shop, backoff_factor=0), tmp_path)
    assert result.rows["customers"] == 30
    first, second = shop.requests[0], shop.requests[1]
    assert second.at - first.at >= 0.9  # waited as Retry-After said, not the (zero) backoff


@pytest.mark.slow
def test_leaky_bucket_full_gives_429_with_retry_after_and_run_completes(tmp_path):
    with FakeShopify(
        token=TOKEN,
        customers=40,
        orders=0,
        products=0,
        checkouts=0,
        bucket_size=4,
        leak_per_second=4.0,
    ) as fake:
        result = run_source(
            CONNECTOR, case_for(fake, page_size=5, resources=["customers"], leak_rate=4.0), tmp_path
        )
        assert result.rows["customers"] == 40


@pytest.mark.slow
def test_persistent_server_error_is_one_retryable_line(shop, tmp_path):
    shop.fail_next(500, times=10, body={"errors": "Internal Server Error"})
    with pytest.raises(ConnectorError) as info:
        run_source(CONNECTOR, case_for(shop, max_attempts=2), tmp_path)
    assert info.value.retryable and "shop" in str(info.value) and "500" in str(info.value)


def test_bad_token_message_names_the_setting(shop, tmp_path):
    with pytest.raises(ConnectorError) as info:
        run_source(
            CONNECTOR, case_for(shop), tmp_path, secrets={"access_token": "shpat_wrong_value"}
        )
    text = str(info.value)
    assert "CDP__SOURCES__SHOP__ACCESS_TOKEN" in text and "authentication failed" in text
    assert "shpat_wrong_value" not in text
