"""Mailchimp (Marketing API 3.0): audience members, campaigns and email activity as events.

- The host comes from the API key's data-centre suffix (``…-us6`` -> ``us6.api.mailchimp.com``);
  HTTP basic auth with any user name and the key.
- Offset/count paging (``count`` up to 1000) with dlt's :class:`OffsetPaginator`.
- Members are incremental on ``last_changed`` (``since_last_changed``) and merged on their
  subscriber hash (``id``: MD5 of the lowercased email); archived members are marked deleted.
- Campaigns are incremental on ``send_time``; for campaigns sent in the last
  ``activity_days`` days each run reads new email activity (``since`` the last one seen) and
  unsubscribes, and once per campaign its sent-to report. They become the Segment Spec
  events Email Delivered, Email Opened, Email Link Clicked, Email Bounced and Unsubscribed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field, SecretStr, field_validator

import cdp
from cdp.connector import CanonicalMapping, MappingContext, SourceConnector, SourceContext
from cdp.errors import ConnectorError

from .batch import Column, dig, to_arrow
from .http import HttpSettings, make_client, paginate, secret_value
from .sql import render

__all__ = ["MailchimpConfig", "api_base_url", "build", "cdp_source_connectors", "mapping"]


class MailchimpConfig(HttpSettings):
    list_id: str = Field(description="The audience (list) id, e.g. abc123")
    page_size: int | None = Field(default=1000, ge=1, le=1000)
    activity_days: int = Field(
        default=30, ge=1, description="Read activity of campaigns this recent"
    )
    start_date: str | None = Field(default=None, description="Only members changed since (ISO)")

    @field_validator("list_id")
    @classmethod
    def _list_id(cls, value: str) -> str:
        if not value.strip() or "/" in value:
            raise ValueError("use the audience id shown under Audience > Settings")
        return value.strip()


def api_base_url(source: str, api_key: str) -> str:
    """``https://<dc>.api.mailchimp.com/3.0`` from a key ending in ``-<dc>``."""
    _, dash, dc = api_key.rpartition("-")
    if not dash or not dc.isalnum():
        raise ConnectorError(
            f"source '{source}'",
            "the api_key has no data-centre suffix (it should end like '-us6'); copy the whole "
            "key from Mailchimp > Profile > Extras > API keys",
        )
    return f"https://{dc}.api.mailchimp.com/3.0"


def _merge(key: str) -> Any:
    return lambda r: dig(r, "merge_fields", key)


def _address(key: str) -> Any:
    def read(r: dict) -> Any:
        address = dig(r, "merge_fields", "ADDRESS")
        return address.get(key) or None if isinstance(address, dict) else None

    return read


MEMBER_COLUMNS = [
    Column("id", "string"),
    Column("email_address", "string"),
    Column("contact_id", "string"),
    Column("unique_email_id", "string"),
    Column("status", "string"),
    Column("full_name", "string"),
    Column("first_name", "string", _merge("FNAME")),
    Column("last_name", "string", _merge("LNAME")),
    Column("phone", "string", _merge("PHONE")),
    Column("birthday", "string", _merge("BIRTHDAY")),
    Column("addr1", "string", _address("addr1")),
    Column("addr2", "string", _address("addr2")),
    Column("city", "string", _address("city")),
    Column("state", "string", _address("state")),
    Column("zip", "string", _address("zip")),
    Column("country", "string", _address("country")),
    Column("country_code", "string", lambda r: dig(r, "location", "country_code") or None),
    Column("merge_fields", "json"),
    Column("tags", "json"),
    Column("member_rating", "int"),
    Column("vip", "bool"),
    Column("language", "string"),
    Column("source", "string"),
    Column("timestamp_opt", "timestamp"),
    Column("last_changed", "timestamp"),
]
CAMPAIGN_COLUMNS = [
    Column("id", "string"),
    Column("web_id", "int"),
    Column("type", "string"),
    Column("status", "string"),
    Column("emails_sent", "int"),
    Column("list_id", "string", lambda r: dig(r, "recipients", "list_id")),
    Column("subject_line", "string", lambda r: dig(r, "settings", "subject_line")),
    Column("title", "string", lambda r: dig(r, "settings", "title")),
    Column("create_time", "timestamp"),
    Column("send_time", "timestamp"),
]
ACTIVITY_COLUMNS = [
    Column("event_id", "string"),
    Column("campaign_id", "string"),
    Column("email_id", "string"),
    Column("email_address", "string"),
    Column("action", "string"),
    Column("type", "string"),
    Column("url", "string"),
    Column("timestamp", "timestamp"),
]
SENT_TO_COLUMNS = [
    Column("campaign_id", "string"),
    Column("email_id", "string"),
    Column("email_address", "string"),
    Column("status", "string"),
    Column("timestamp", "timestamp"),
]
UNSUBSCRIBE_COLUMNS = [
    Column("campaign_id", "string"),
    Column("email_id", "string"),
    Column("email_address", "string"),
    Column("reason", "string"),
    Column("timestamp", "timestamp"),
]


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def build(ctx: SourceContext) -> Any:
    import dlt
    from dlt.sources.helpers.rest_client.auth import HttpBasicAuth
    from dlt.sources.helpers.rest_client.paginators import OffsetPaginator

    config: MailchimpConfig = ctx.config
    api_key = secret_value(ctx.name, ctx.secrets, "api_key")
    base = config.base_url or api_base_url(ctx.name, api_key)
    count = config.page_size or 1000
    client = make_client(
        ctx.name,
        base,
        config,
        auth=HttpBasicAuth("cdp", SecretStr(api_key).get_secret_value()),
        secret_key="api_key",
    )

    def pages(path: str, key: str, params: dict[str, Any] | None = None) -> Iterator[list[dict]]:
        paginator = OffsetPaginator(
            limit=count, offset_param="offset", limit_param="count", total_path="total_items"
        )
        for page in paginate(
            client,
            ctx.name,
            path,
            params=dict(params or {}),
            paginator=paginator,
            data_selector=key,
        ):
            ctx.progress(len(page))
            yield list(page)

    def recent_campaigns() -> list[dict]:
        since = datetime.now(UTC) - timedelta(days=config.activity_days)
        params = {"status": "sent", "since_send_time": since.isoformat()}
        return [c for page in pages("campaigns", "campaigns", params) for c in page]

    @dlt.resource(name="members", primary_key="id", write_disposition="merge")
    def members(
        last_changed: Any = dlt.sources.incremental(
            "last_changed", initial_value=config.start_date
        ),
    ) -> Iterator[Any]:
        params = {}
        if last_changed.last_value is not None:
            params["since_last_changed"] = _iso(last_changed.last_value)
        for page in pages(f"lists/{config.list_id}/members", "members", params):
            for m in page:  # the subscriber hash is the id; derive it if an export lacks it
                m["id"] = (
                    m.get("id") or hashlib.md5(m["email_address"].lower().encode()).hexdigest()
                )
            if page:
                yield to_arrow(page, MEMBER_COLUMNS)

    @dlt.resource(name="campaigns", primary_key="id", write_disposition="merge")
    def campaigns(
        send_time: Any = dlt.sources.incremental("send_time", on_cursor_value_missing="exclude"),
    ) -> Iterator[Any]:
        params: dict[str, Any] = {"status": "sent"}
        if send_time.last_value is not None:
            params["since_send_time"] = _iso(send_time.last_value)
        for page in pages("campaigns", "campaigns", params):
            page = [c for c in page if dig(c, "recipients", "list_id") in (None, config.list_id)]
            if page:
                yield to_arrow(page, CAMPAIGN_COLUMNS)

    @dlt.resource(name="email_activity", primary_key="event_id", write_disposition="merge")
    def email_activity(
        timestamp: Any = dlt.sources.incremental("timestamp"),
    ) -> Iterator[Any]:
        params = {"since": _iso(timestamp.last_value)} if timestamp.last_value else {}
        for campaign in recent_campaigns():
            path = f"reports/{campaign['id']}/email-activity"
            for page in pages(path, "emails", params):
                rows = [
                    {
                        **a,
                        "campaign_id": campaign["id"],
                        "email_id": e.get("email_id"),
                        "email_address": e.get("email_address"),
                    }
                    for e in page
                    for a in e.get("activity") or []
                ]
                for row in rows:
                    key = "|".join(
                        str(row.get(k) or "")
                        for k in ("campaign_id", "email_id", "action", "timestamp", "url")
                    )
                    row["event_id"] = hashlib.md5(key.encode()).hexdigest()
                if rows:
                    yield to_arrow(rows, ACTIVITY_COLUMNS)

    @dlt.resource(
        name="sent_to", primary_key=("campaign_id", "email_id"), write_disposition="merge"
    )
    def sent_to() -> Iterator[Any]:
        state = dlt.current.resource_state().setdefault("campaigns_read", [])
        for campaign in recent_campaigns():
            if campaign["id"] in state:
                continue
            for page in pages(f"reports/{campaign['id']}/sent-to", "sent_to"):
                rows = [
                    {**r, "campaign_id": campaign["id"], "timestamp": campaign.get("send_time")}
                    for r in page
                ]
                if rows:
                    yield to_arrow(rows, SENT_TO_COLUMNS)
            state.append(campaign["id"])  # kept only once the load succeeds

    @dlt.resource(
        name="unsubscribes", primary_key=("campaign_id", "email_id"), write_disposition="merge"
    )
    def unsubscribes(
        timestamp: Any = dlt.sources.incremental("timestamp"),
    ) -> Iterator[Any]:
        for campaign in recent_campaigns():
            for page in pages(f"reports/{campaign['id']}/unsubscribed", "unsubscribes"):
                rows = [{**r, "campaign_id": campaign["id"]} for r in page]
                if rows:
                    yield to_arrow(rows, UNSUBSCRIBE_COLUMNS)

    @dlt.source(name="mailchimp", max_table_nesting=0)
    def mailchimp() -> Any:
        return [members, campaigns, email_activity, sent_to, unsubscribes]

    return mailchimp()


def mapping(ctx: MappingContext) -> CanonicalMapping:
    out = CanonicalMapping()
    if "members" in ctx.tables:
        out.customer_records.append(render("mailchimp", "customer_records", ctx.schema))
    for table in ("email_activity", "sent_to", "unsubscribes"):
        if table in ctx.tables:
            out.events.append(render("mailchimp", table, ctx.schema))
    return out


CONNECTOR = SourceConnector(
    name="mailchimp",
    description="Mailchimp Marketing API: audience members, campaigns, email activity",
    build=build,
    mapping=mapping,
    config_model=MailchimpConfig,
    secrets=("api_key",),
)


@cdp.hookimpl
def cdp_source_connectors() -> list[SourceConnector]:
    return [CONNECTOR]
