"""Klaviyo (JSON:API with a ``revision`` header): profiles, events, lists.

- ``links.next`` cursors with dlt's :class:`JSONLinkPaginator`; ``page[size]`` 100 (profiles)
  and 200 (events).
- Profiles are incremental on ``updated`` (``filter=greater-than(updated,…)``), with their
  email/SMS marketing consent (``additional-fields[profile]=subscriptions``); events on
  ``datetime``. Both merged on ``id``.
- Klaviyo's rate limits (burst and steady windows) answer 429 with ``Retry-After``; dlt's
  retrying session waits it out.
- Klaviyo lists no deleted profiles: with ``detect_deletes`` (default on) each run scans the
  ids of live profiles (``fields[profile]=id``-sized pages) into ``profile_ids``; a profile
  missing from it is marked ``deleted``. Turn it off on very large accounts.
- Metric names become Segment Spec event names (Placed Order -> Order Completed, Opened Email
  -> Email Opened, ...); other metrics keep their Klaviyo name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

import cdp
from cdp.connector import CanonicalMapping, MappingContext, SourceConnector, SourceContext

from .batch import Column, dig, to_arrow
from .http import HttpSettings, make_client, paginate, secret_value
from .sql import quote, render

__all__ = ["EVENT_NAMES", "KlaviyoConfig", "build", "cdp_source_connectors", "mapping"]

#: Klaviyo metric name -> Segment Spec event name.
EVENT_NAMES = {
    "Placed Order": "Order Completed",
    "Ordered Product": "Product Purchased",
    "Started Checkout": "Checkout Started",
    "Viewed Product": "Product Viewed",
    "Added to Cart": "Product Added",
    "Received Email": "Email Delivered",
    "Opened Email": "Email Opened",
    "Clicked Email": "Email Link Clicked",
    "Bounced Email": "Email Bounced",
    "Marked Email as Spam": "Email Marked as Spam",
    "Unsubscribed": "Unsubscribed",
    "Unsubscribed from Email Marketing": "Unsubscribed",
    "Refunded Order": "Order Refunded",
    "Cancelled Order": "Order Cancelled",
}


class KlaviyoConfig(HttpSettings):
    revision: str = Field(default="2024-10-15", pattern=r"^\d{4}-\d{2}-\d{2}(\.\w+)?$")
    page_size: int | None = Field(default=100, ge=1, le=100)
    detect_deletes: bool = True
    start_date: str | None = None


def _attr(*path: str) -> Any:
    return lambda r: dig(r, "attributes", *path)


PROFILE_COLUMNS = [
    Column("id", "string"),
    Column("email", "string", _attr("email")),
    Column("phone_number", "string", _attr("phone_number")),
    Column("external_id", "string", _attr("external_id")),
    Column("first_name", "string", _attr("first_name")),
    Column("last_name", "string", _attr("last_name")),
    Column("organization", "string", _attr("organization")),
    Column("locale", "string", _attr("locale")),
    Column("address1", "string", _attr("location", "address1")),
    Column("address2", "string", _attr("location", "address2")),
    Column("city", "string", _attr("location", "city")),
    Column("region", "string", _attr("location", "region")),
    Column("zip", "string", _attr("location", "zip")),
    Column("country", "string", _attr("location", "country")),
    Column("email_consent", "string", _attr("subscriptions", "email", "marketing", "consent")),
    Column("sms_consent", "string", _attr("subscriptions", "sms", "marketing", "consent")),
    Column("properties", "json", _attr("properties")),
    Column("created", "timestamp", _attr("created")),
    Column("updated", "timestamp", _attr("updated")),
]
EVENT_COLUMNS = [
    Column("id", "string"),
    Column("profile_id", "string", lambda r: dig(r, "relationships", "profile", "data", "id")),
    Column("metric_id", "string", lambda r: dig(r, "relationships", "metric", "data", "id")),
    Column("metric_name", "string", lambda r: r.get("metric_name")),
    Column("event_properties", "json", _attr("event_properties")),
    Column("value", "float", _attr("event_properties", "$value")),
    Column("currency", "string", _attr("event_properties", "Currency")),
    Column("datetime", "timestamp", _attr("datetime")),
]
LIST_COLUMNS = [
    Column("id", "string"),
    Column("name", "string", _attr("name")),
    Column("opt_in_process", "string", _attr("opt_in_process")),
    Column("created", "timestamp", _attr("created")),
    Column("updated", "timestamp", _attr("updated")),
]


def _iso(value: Any) -> str:
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text.replace("+00:00", "Z")


def build(ctx: SourceContext) -> Any:
    import dlt
    from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

    config: KlaviyoConfig = ctx.config
    key = secret_value(ctx.name, ctx.secrets, "api_key")
    client = make_client(
        ctx.name,
        "https://a.klaviyo.com",
        config,
        headers={
            "Authorization": f"Klaviyo-API-Key {key}",
            "revision": config.revision,
            "Accept": "application/vnd.api+json",
        },
        secret_key="api_key",
    )
    size = config.page_size or 100

    def pages(path: str, params: dict[str, Any]) -> Iterator[Any]:
        paginator = JSONLinkPaginator(next_url_path="links.next")
        for page in paginate(
            client, ctx.name, path, params=params, paginator=paginator, data_selector="data"
        ):
            ctx.progress(len(page))
            yield page

    @dlt.resource(name="profiles", primary_key="id", write_disposition="merge")
    def profiles(
        updated: Any = dlt.sources.incremental("updated", initial_value=config.start_date),
    ) -> Iterator[Any]:
        params: dict[str, Any] = {"page[size]": size, "additional-fields[profile]": "subscriptions"}
        if updated.last_value is not None:
            params["filter"] = f"greater-or-equal(updated,{_iso(updated.last_value)})"
        for page in pages("api/profiles", params):
            if page:
                yield to_arrow(list(page), PROFILE_COLUMNS)

    @dlt.resource(name="events", primary_key="id", write_disposition="merge")
    def events(
        when: Any = dlt.sources.incremental("datetime", initial_value=config.start_date),
    ) -> Iterator[Any]:
        params: dict[str, Any] = {"include": "metric", "sort": "datetime"}
        if when.last_value is not None:
            params["filter"] = f"greater-or-equal(datetime,{_iso(when.last_value)})"
        for page in pages("api/events", params):
            names = {
                m["id"]: dig(m, "attributes", "name")
                for m in (page.response.json().get("included") or [])
                if m.get("type") == "metric"
            }
            rows = [
                {**e, "metric_name": names.get(dig(e, "relationships", "metric", "data", "id"))}
                for e in page
            ]
            if rows:
                yield to_arrow(rows, EVENT_COLUMNS)

    @dlt.resource(name="lists", primary_key="id", write_disposition="merge")
    def lists(updated: Any = dlt.sources.incremental("updated")) -> Iterator[Any]:
        for page in pages("api/lists", {}):
            if page:
                yield to_arrow(list(page), LIST_COLUMNS)

    @dlt.resource(name="profile_ids", write_disposition="replace")
    def profile_ids() -> Iterator[Any]:
        for page in pages("api/profiles", {"page[size]": size, "fields[profile]": "updated"}):
            if page:
                yield to_arrow(list(page), [Column("id", "string")])

    @dlt.source(name="klaviyo", max_table_nesting=0)
    def klaviyo() -> Any:
        return [profiles, events, lists] + ([profile_ids] if config.detect_deletes else [])

    return klaviyo()


def mapping(ctx: MappingContext) -> CanonicalMapping:
    out = CanonicalMapping()
    if "profiles" in ctx.tables:
        deleted = (
            f"(p.id NOT IN (SELECT id FROM {quote(ctx.schema)}.profile_ids))"
            if "profile_ids" in ctx.tables
            else "FALSE"
        )
        out.customer_records.append(
            render("klaviyo", "customer_records", ctx.schema, deleted=deleted)
        )
    if "events" in ctx.tables:
        names = " ".join(
            f"WHEN '{k.replace(chr(39), chr(39) * 2)}' THEN '{v}'" for k, v in EVENT_NAMES.items()
        )
        out.events.append(render("klaviyo", "events", ctx.schema, names=names))
    return out


CONNECTOR = SourceConnector(
    name="klaviyo",
    description="Klaviyo API: profiles with consent, events, lists",
    build=build,
    mapping=mapping,
    config_model=KlaviyoConfig,
    secrets=("api_key",),
)


@cdp.hookimpl
def cdp_source_connectors() -> list[SourceConnector]:
    return [CONNECTOR]
