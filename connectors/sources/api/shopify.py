"""Shopify (Admin REST API): customers, orders with line items, products, abandoned checkouts.

- Cursor pagination through the ``Link`` header (``page_info``; ``limit`` up to 250), with
  dlt's :class:`HeaderLinkPaginator`; the next-page URL carries the filters itself.
- Incremental on ``updated_at`` (``updated_at_min``) through :func:`dlt.sources.incremental`,
  merged on ``id``: a killed run re-run loses and duplicates nothing.
- Rate limits: the leaky bucket header ``X-Shopify-Shop-Api-Call-Limit: used/size`` slows the
  client down before the bucket is full; a 429 (or a 5xx blip) is retried after
  ``Retry-After`` by dlt's retrying session.
- Deletes: Shopify's REST API has no deleted-records feed, so each run scans the ids of live
  customers (``fields=id``, cheap) into ``customer_ids``; a customer missing from it is marked
  ``deleted``. ``detect_deletes`` lists the resources scanned (``orders`` is costly on big shops).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, field_validator

import cdp
from cdp.connector import CanonicalMapping, MappingContext, SourceConnector, SourceContext

from .batch import Column, dig, to_arrow
from .http import HttpSettings, make_client, paginate, secret_value
from .sql import render

__all__ = ["ShopifyConfig", "build", "cdp_source_connectors", "mapping"]

Resource = Literal["customers", "orders", "products", "abandoned_checkouts"]


class ShopifyConfig(HttpSettings):
    shop: str = Field(description="The shop's domain, e.g. acme.myshopify.com")
    api_version: str = Field(default="2024-10", pattern=r"^\d{4}-\d{2}$|^unstable$")
    resources: list[Resource] = ["customers", "orders", "products", "abandoned_checkouts"]
    detect_deletes: list[Literal["customers", "orders"]] = ["customers"]
    start_date: str | None = Field(default=None, description="Only records updated since (ISO).")
    page_size: int | None = Field(default=250, ge=1, le=250)
    leak_rate: float = Field(default=2.0, gt=0, description="Bucket leak rate, requests/s.")

    @field_validator("shop")
    @classmethod
    def _domain(cls, value: str) -> str:
        value = value.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
        if not value or "/" in value or " " in value:
            raise ValueError("use the shop's domain, e.g. acme.myshopify.com")
        return value if "." in value else f"{value}.myshopify.com"


def _address(key: str) -> Any:
    return lambda r: dig(r, "default_address", key)


CUSTOMER_COLUMNS = [
    Column("id", "int"),
    Column("email", "string"),
    Column("phone", "string"),
    Column("first_name", "string"),
    Column("last_name", "string"),
    Column("state", "string"),
    Column("tags", "string"),
    Column("note", "string"),
    Column("currency", "string"),
    Column("verified_email", "bool"),
    Column("orders_count", "int"),
    Column("total_spent", "string"),
    Column("email_marketing_state", "string", lambda r: dig(r, "email_marketing_consent", "state")),
    Column("sms_marketing_state", "string", lambda r: dig(r, "sms_marketing_consent", "state")),
    Column("address1", "string", _address("address1")),
    Column("address2", "string", _address("address2")),
    Column("city", "string", _address("city")),
    Column("zip", "string", _address("zip")),
    Column("province_code", "string", _address("province_code")),
    Column("country_code", "string", _address("country_code")),
    Column("address_phone", "string", _address("phone")),
    Column("addresses", "json"),
    Column("created_at", "timestamp"),
    Column("updated_at", "timestamp"),
]
ORDER_COLUMNS = [
    Column("id", "int"),
    Column("name", "string"),
    Column("order_number", "int"),
    Column("email", "string"),
    Column("customer_id", "int", lambda r: dig(r, "customer", "id")),
    Column("currency", "string"),
    Column("total_price", "string"),
    Column("subtotal_price", "string"),
    Column("total_tax", "string"),
    Column("total_discounts", "string"),
    Column("financial_status", "string"),
    Column("fulfillment_status", "string"),
    Column("cancel_reason", "string"),
    Column("source_name", "string"),
    Column("test", "bool"),
    Column("created_at", "timestamp"),
    Column("processed_at", "timestamp"),
    Column("cancelled_at", "timestamp"),
    Column("closed_at", "timestamp"),
    Column("updated_at", "timestamp"),
]
LINE_ITEM_COLUMNS = [
    Column("id", "int"),
    Column("order_id", "int"),
    Column("product_id", "int"),
    Column("variant_id", "int"),
    Column("sku", "string"),
    Column("title", "string"),
    Column("name", "string"),
    Column("quantity", "int"),
    Column("price", "string"),
    Column("vendor", "string"),
    Column("updated_at", "timestamp"),
]
PRODUCT_COLUMNS = [
    Column("id", "int"),
    Column("title", "string"),
    Column("handle", "string"),
    Column("vendor", "string"),
    Column("product_type", "string"),
    Column("status", "string"),
    Column("tags", "string"),
    Column("variants", "json"),
    Column("created_at", "timestamp"),
    Column("published_at", "timestamp"),
    Column("updated_at", "timestamp"),
]
CHECKOUT_COLUMNS = [
    Column("id", "int"),
    Column("token", "string"),
    Column("cart_token", "string"),
    Column("email", "string"),
    Column("customer_id", "int", lambda r: dig(r, "customer", "id")),
    Column("currency", "string"),
    Column("total_price", "string"),
    Column("abandoned_checkout_url", "string"),
    Column("line_items", "json"),
    Column("created_at", "timestamp"),
    Column("completed_at", "timestamp"),
    Column("updated_at", "timestamp"),
]
ENDPOINTS = {
    "customers": ("customers.json", "customers", CUSTOMER_COLUMNS),
    "orders": ("orders.json", "orders", ORDER_COLUMNS),
    "products": ("products.json", "products", PRODUCT_COLUMNS),
    "abandoned_checkouts": ("checkouts.json", "checkouts", CHECKOUT_COLUMNS),
}


def _throttle(leak_rate: float) -> Any:
    """Sleep before the leaky bucket overflows, as Shopify asks of well-behaved clients."""

    def hook(response: Any, *args: Any, **kwargs: Any) -> None:
        used, _, size = (response.headers.get("X-Shopify-Shop-Api-Call-Limit") or "").partition("/")
        if used.isdigit() and size.isdigit() and int(used) >= int(size) - 2:
            time.sleep((int(used) - int(size) + 3) / leak_rate)

    return hook


def build(ctx: SourceContext) -> Any:
    import dlt
    from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator

    config: ShopifyConfig = ctx.config
    token = secret_value(ctx.name, ctx.secrets, "access_token")
    client = make_client(
        ctx.name,
        f"https://{config.shop}/admin/api/{config.api_version}",
        config,
        headers={"X-Shopify-Access-Token": token, "Accept": "application/json"},
        paginator=HeaderLinkPaginator(),
        secret_key="access_token",
    )
    hooks = {"response": [client.cdp_hook, _throttle(config.leak_rate)]}
    limit = config.page_size or 250

    def pages(path: str, key: str, params: dict[str, Any]) -> Iterator[list[dict]]:
        for page in paginate(client, ctx.name, path, params=params, data_selector=key, hooks=hooks):
            ctx.progress(len(page))
            yield list(page)

    line_hints = dlt.mark.make_hints(
        table_name="order_line_items",
        primary_key="id",
        merge_key="order_id",
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
    )

    def make_resource(name: str) -> Any:
        path, key, columns = ENDPOINTS[name]

        @dlt.resource(name=name, primary_key="id", write_disposition="merge")
        def resource(
            updated_at: Any = dlt.sources.incremental(
                "updated_at", initial_value=config.start_date, on_cursor_value_missing="include"
            ),
        ) -> Iterator[Any]:
            params: dict[str, Any] = {"limit": limit}
            if updated_at.last_value is not None:
                last = updated_at.last_value
                params["updated_at_min"] = last.isoformat() if hasattr(last, "isoformat") else last
            if name == "orders":
                params["status"] = "any"
            for records in pages(path, key, params):
                if not records:
                    continue
                yield to_arrow(records, columns)
                if name == "orders":
                    items = [
                        {**li, "order_id": o["id"], "updated_at": o.get("updated_at")}
                        for o in records
                        for li in o.get("line_items") or []
                    ]
                    if items:
                        # delete-insert on order_id: an edited order's removed lines go away
                        yield dlt.mark.with_hints(
                            to_arrow(items, LINE_ITEM_COLUMNS),
                            line_hints,
                            create_table_variant=True,
                        )

        return resource

    def make_id_scan(name: str) -> Any:
        path, key, _ = ENDPOINTS[name]
        id_column = [Column("id", "int")]

        @dlt.resource(name=f"{name.rstrip('s')}_ids", write_disposition="replace")
        def ids() -> Iterator[Any]:
            for records in pages(
                path,
                key,
                {"limit": 250, "fields": "id", **({"status": "any"} if name == "orders" else {})},
            ):
                if records:
                    yield to_arrow(records, id_column)

        return ids

    resources = [make_resource(name) for name in config.resources]
    resources += [make_id_scan(name) for name in config.detect_deletes if name in config.resources]

    @dlt.source(name="shopify", max_table_nesting=0)
    def shopify() -> Any:
        return resources

    return shopify()


def mapping(ctx: MappingContext) -> CanonicalMapping:
    out = CanonicalMapping()

    def deleted(alias: str, scan: str) -> str:
        return (
            f"({alias}.id NOT IN (SELECT id FROM {{{{schema}}}}.{scan}))"
            if scan in ctx.tables
            else "FALSE"
        )

    if "customers" in ctx.tables:
        out.customer_records.append(
            render(
                "shopify",
                "customer_records",
                ctx.schema,
                deleted=deleted("c", "customer_ids").replace("{{schema}}", _q(ctx.schema)),
            )
        )
    if "orders" in ctx.tables:
        out.events.append(
            render(
                "shopify",
                "orders",
                ctx.schema,
                deleted=deleted("o", "order_ids").replace("{{schema}}", _q(ctx.schema)),
            )
        )
    if "abandoned_checkouts" in ctx.tables:
        out.events.append(render("shopify", "checkouts", ctx.schema))
    return out


def _q(schema: str) -> str:
    from .sql import quote

    return quote(schema)


CONNECTOR = SourceConnector(
    name="shopify",
    description="Shopify Admin REST API: customers, orders, products, abandoned checkouts",
    build=build,
    mapping=mapping,
    config_model=ShopifyConfig,
    secrets=("access_token",),
)


@cdp.hookimpl
def cdp_source_connectors() -> list[SourceConnector]:
    return [CONNECTOR]
