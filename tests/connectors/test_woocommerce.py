"""The WooCommerce connector against the real MariaDB on 127.0.0.1:3306 (HPOS + lookup tables)."""

from __future__ import annotations

import uuid

import pytest

from cdp.errors import ConnectorError
from cdp.testing import SourceCase, canonical_rows, conformance_suite, run_source
from connectors.sources.api.woocommerce import CONNECTOR

pymysql = pytest.importorskip("pymysql")
pytestmark = pytest.mark.services

SCHEMA = [
    """CREATE TABLE wp_wc_customer_lookup (
        customer_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, user_id BIGINT UNSIGNED NULL,
        username VARCHAR(60) NOT NULL DEFAULT '', first_name VARCHAR(255) NOT NULL,
        last_name VARCHAR(255) NOT NULL, email VARCHAR(100) NULL, date_last_active TIMESTAMP NULL DEFAULT NULL,
        date_registered TIMESTAMP NULL DEFAULT NULL, country CHAR(2) NOT NULL DEFAULT '',
        postcode VARCHAR(20) NOT NULL DEFAULT '', city VARCHAR(100) NOT NULL DEFAULT '',
        state VARCHAR(100) NOT NULL DEFAULT '', UNIQUE KEY user_id (user_id), KEY email (email))""",
    """CREATE TABLE wp_wc_orders (
        id BIGINT UNSIGNED NOT NULL PRIMARY KEY, status VARCHAR(20) NULL, currency VARCHAR(10) NULL,
        type VARCHAR(20) NULL, tax_amount DECIMAL(26,8) NULL, total_amount DECIMAL(26,8) NULL,
        customer_id BIGINT UNSIGNED NULL, billing_email VARCHAR(320) NULL, date_created_gmt DATETIME NULL,
        date_updated_gmt DATETIME NULL, parent_order_id BIGINT UNSIGNED NULL, payment_method VARCHAR(100) NULL,
        payment_method_title TEXT NULL, transaction_id VARCHAR(100) NULL, ip_address VARCHAR(100) NULL,
        user_agent TEXT NULL, customer_note TEXT NULL)""",
    """CREATE TABLE wp_wc_order_addresses (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, order_id BIGINT UNSIGNED NOT NULL,
        address_type VARCHAR(20) NULL, first_name TEXT NULL, last_name TEXT NULL, company TEXT NULL,
        address_1 TEXT NULL, address_2 TEXT NULL, city TEXT NULL, state TEXT NULL, postcode TEXT NULL,
        country TEXT NULL, email VARCHAR(320) NULL, phone VARCHAR(100) NULL,
        UNIQUE KEY address_type_order_id (address_type, order_id))""",
    """CREATE TABLE wp_wc_order_product_lookup (
        order_item_id BIGINT UNSIGNED NOT NULL PRIMARY KEY, order_id BIGINT UNSIGNED NOT NULL,
        product_id BIGINT UNSIGNED NOT NULL, variation_id BIGINT UNSIGNED NOT NULL,
        customer_id BIGINT UNSIGNED NULL, date_created DATETIME NOT NULL, product_qty INT NOT NULL,
        product_net_revenue DOUBLE NOT NULL DEFAULT 0, product_gross_revenue DOUBLE NOT NULL DEFAULT 0,
        coupon_amount DOUBLE DEFAULT 0, tax_amount DOUBLE DEFAULT 0, shipping_amount DOUBLE DEFAULT 0,
        shipping_tax_amount DOUBLE DEFAULT 0)""",
    """CREATE TABLE wp_usermeta (
        umeta_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, user_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
        meta_key VARCHAR(255) NULL, meta_value LONGTEXT NULL)""",
]


def connect(database: str | None = None):
    return pymysql.connect(
        host="127.0.0.1", port=3306, user="root", password="", database=database, autocommit=True
    )


@pytest.fixture
def store():
    try:
        admin = connect()
    except pymysql.err.OperationalError:
        pytest.skip("MariaDB is not reachable on 127.0.0.1:3306")
    name = f"cdp_woo_{uuid.uuid4().hex[:10]}"
    admin.cursor().execute(f"CREATE DATABASE {name}")
    con = connect(name)
    cur = con.cursor()
    for ddl in SCHEMA:
        cur.execute(ddl)
    for i in range(1, 13):
        user = i if i % 3 else None  # every third customer is a guest
        cur.execute(
            "INSERT INTO wp_wc_customer_lookup VALUES (%s,%s,%s,%s,%s,%s,%s,%s,'GB','SW1A 1AA','London','')",
            (
                i,
                user,
                f"user{i}" if user else "",
                f"First{i}",
                f"Last{i}",
                f"woo{i}@example.com",
                f"2024-05-01 10:{i:02d}:00",
                "2024-01-01 09:00:00",
            ),
        )
        if user:
            cur.execute(
                "INSERT INTO wp_usermeta (user_id, meta_key, meta_value) VALUES (%s,'billing_phone',%s),(%s,'nickname','n')",
                (user, f"+4477009{i:05d}", user),
            )
    statuses = [
        "wc-completed",
        "wc-processing",
        "wc-refunded",
        "wc-cancelled",
        "wc-pending",
        "trash",
        "checkout-draft",
    ]
    for n in range(1, 22):
        cust = (n % 12) + 1
        user = cust if cust % 3 else 0
        cur.execute(
            "INSERT INTO wp_wc_orders (id,status,currency,type,tax_amount,total_amount,customer_id,billing_email,"
            "date_created_gmt,date_updated_gmt,payment_method) VALUES (%s,%s,'GBP','shop_order',0,%s,%s,%s,%s,%s,'stripe')",
            (
                100 + n,
                statuses[n % len(statuses)],
                10 * n + 0.5,
                user,
                f"woo{cust}@example.com",
                f"2024-05-02 08:{n:02d}:00",
                f"2024-05-02 09:{n:02d}:00",
            ),
        )
        cur.execute(
            "INSERT INTO wp_wc_order_addresses (order_id,address_type,first_name,last_name,city,country,email,phone)"
            " VALUES (%s,'billing',%s,%s,'London','GB',%s,%s)",
            (
                100 + n,
                f"First{cust}",
                f"Last{cust}",
                f"woo{cust}@example.com",
                f"+4420700{cust:05d}",
            ),
        )
        cur.execute(
            "INSERT INTO wp_wc_order_product_lookup VALUES (%s,%s,7,0,%s,%s,1,%s,%s,0,0,0,0)",
            (1000 + n, 100 + n, cust, f"2024-05-02 08:{n:02d}:00", 10 * n, 10 * n + 0.5),
        )
    yield con, name
    admin.cursor().execute(f"DROP DATABASE {name}")


def case_for(name: str) -> SourceCase:
    return SourceCase(
        name="woo",
        config={"database": name},
        expect_events=True,
        invalid_configs=[{"database": name, "table_prefix": "wp-; DROP"}, {}],
    )


@pytest.fixture
def cdp_source_case(store):
    return case_for(store[1])


TestConformance = conformance_suite("woocommerce")


def test_customers_orders_and_phones_map(store, tmp_path):
    case = case_for(store[1])
    result = run_source(CONNECTOR, case, tmp_path)
    assert (
        result.rows["customers"] == 12
        and result.rows["orders"] == 21
        and result.rows["order_items"] == 21
    )
    assert result.rows["user_phones"] == 8  # only billing_phone meta rows
    rows = canonical_rows(CONNECTOR, case, result.database)
    recs = {r["record_id"]: r for r in rows["customer_records"]}
    assert recs["1"]["phone"] == "+447700900001" and recs["1"]["external_ids"] == {
        "woocommerce_customer_id": "1",
        "wordpress_user_id": "1",
    }
    assert recs["3"]["phone"] == "+442070000003"  # a guest: phone from the billing address
    events = rows["events"]
    assert {e["event"] for e in events} == {"Order Completed", "Order Refunded", "Order Cancelled"}
    assert len(events) == 12  # pending, trash and drafts left out
    order = next(e for e in events if e["event_id"] == "order:102")  # customer 3 is a guest
    assert order["record_id"] is None and order["email"] == "woo3@example.com"
    assert next(e for e in events if e["event_id"] == "order:101")["record_id"] == "2"


def test_incremental_updates_and_deleted_customers(store, tmp_path):
    con, name = store
    case = case_for(name)
    run_source(CONNECTOR, case, tmp_path)
    cur = con.cursor()
    cur.execute(
        "UPDATE wp_wc_orders SET status='wc-refunded', date_updated_gmt='2024-06-01 00:00:00' WHERE id=101"
    )
    cur.execute("DELETE FROM wp_wc_customer_lookup WHERE customer_id=5")
    second = run_source(CONNECTOR, case, tmp_path)
    assert second.rows.get("orders") == 1 and not second.rows.get("customers")
    rows = canonical_rows(CONNECTOR, case, second.database)
    assert (
        next(e for e in rows["events"] if e["event_id"] == "order:101")["event"] == "Order Refunded"
    )
    recs = {r["record_id"]: r for r in rows["customer_records"]}
    assert recs["5"]["deleted"] is True and recs["4"]["deleted"] is False


def test_refused_login_names_the_password_setting(store, tmp_path):
    with pytest.raises(ConnectorError) as info:
        run_source(
            CONNECTOR, case_for(store[1]), tmp_path, secrets={"password": "not-the-password-123"}
        )
    text = str(info.value)
    assert "CDP__SOURCES__WOO__PASSWORD" in text and "not-the-password-123" not in text
