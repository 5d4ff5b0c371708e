"""Facebook (Graph API): lead-form leads as customer records; page comments and reactions.

``facebook_leads`` reads every lead form of a page (or the ``form_ids`` given) and their leads,
incremental on ``time_created`` (Graph ``filtering``), with email, phone and names read from
``field_data``. ``facebook_page`` reads the page's posts and, for posts of the last
``engagement_days``, new comments (``since``) and reactions, as the events ``Social Comment``
and ``Social Reaction`` keyed by the commenter's app-scoped id (``anonymous_id``). Reactions
carry no time: one is stamped when first seen, and a post's reactions are read again only when
they changed (a digest per post kept in dlt state).

Paging follows ``paging.next`` (dlt's :class:`JSONLinkPaginator`). The Graph API answers a bad
token with HTTP 400 and error code 190, and throttling with codes 4/17/32/613: both are
recognised (one-line auth error; throttling retried with backoff).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field

import cdp
from cdp.connector import CanonicalMapping, MappingContext, SourceConnector, SourceContext

from .batch import Column, dig, to_arrow
from .http import HttpSettings, make_client, paginate, secret_value
from .sql import render

__all__ = ["FacebookLeadsConfig", "FacebookPageConfig", "cdp_source_connectors"]

THROTTLE_CODES = {4, 17, 32, 613, 80001}


def _graph_code(response: Any) -> int | None:
    try:
        return int(response.json().get("error", {}).get("code"))
    except (ValueError, TypeError, AttributeError):
        return None


class _GraphConfig(HttpSettings):
    api_version: str = Field(default="v19.0", pattern=r"^v\d+\.\d+$")
    page_size: int | None = Field(default=100, ge=1, le=500)


class FacebookLeadsConfig(_GraphConfig):
    page_id: str | None = Field(default=None, description="Read every lead form of this page")
    form_ids: list[str] = Field(default_factory=list, description="Or only these lead forms")


class FacebookPageConfig(_GraphConfig):
    page_id: str
    engagement_days: int = Field(
        default=30, ge=1, description="Read engagement on posts this recent"
    )


def _client(ctx: SourceContext) -> Any:
    config: _GraphConfig = ctx.config
    token = secret_value(ctx.name, ctx.secrets, "access_token")
    return make_client(
        ctx.name,
        f"https://graph.facebook.com/{config.api_version}",
        config,
        headers={"Authorization": f"Bearer {token}"},
        secret_key="access_token",
        is_auth_error=lambda r: _graph_code(r) == 190,
        is_throttled=lambda r: _graph_code(r) in THROTTLE_CODES,
    )


def _pages(
    client: Any, source: str, path: str, params: dict[str, Any], progress: Any = None
) -> Iterator[list[dict]]:
    from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

    paginator = JSONLinkPaginator(next_url_path="paging.next")
    for page in paginate(
        client, source, path, params=params, paginator=paginator, data_selector="data"
    ):
        if progress is not None:
            progress(len(page))
        yield list(page)


def _field(*names: str) -> Any:
    def read(lead: dict) -> Any:
        for item in lead.get("field_data") or []:
            if item.get("name") in names and item.get("values"):
                return item["values"][0]
        return None

    return read


LEAD_COLUMNS = [
    Column("id", "string"),
    Column("form_id", "string"),
    Column("ad_id", "string"),
    Column("email", "string", _field("email", "work_email")),
    Column("phone", "string", _field("phone_number", "phone")),
    Column("full_name", "string", _field("full_name")),
    Column("first_name", "string", _field("first_name")),
    Column("last_name", "string", _field("last_name")),
    Column("street", "string", _field("street_address")),
    Column("city", "string", _field("city")),
    Column("postcode", "string", _field("zip_code", "post_code", "zip")),
    Column("region", "string", _field("state", "province")),
    Column("country", "string", _field("country")),
    Column("date_of_birth", "string", _field("date_of_birth")),
    Column("field_data", "json"),
    Column("created_time", "timestamp"),
]


def build_leads(ctx: SourceContext) -> Any:
    import dlt

    config: FacebookLeadsConfig = ctx.config
    client = _client(ctx)
    limit = config.page_size or 100

    def forms() -> list[str]:
        if config.form_ids:
            return list(config.form_ids)
        return [
            f["id"]
            for page in _pages(
                client,
                ctx.name,
                f"{config.page_id}/leadgen_forms",
                {"fields": "id,name,status", "limit": limit},
            )
            for f in page
        ]

    @dlt.resource(name="leads", primary_key="id", write_disposition="merge")
    def leads(created: Any = dlt.sources.incremental("created_time")) -> Iterator[Any]:
        params: dict[str, Any] = {
            "fields": "id,created_time,ad_id,form_id,field_data",
            "limit": limit,
        }
        if created.last_value is not None:
            since = int(created.last_value.timestamp()) - 1  # GREATER_THAN is strict; dlt dedups
            params["filtering"] = json.dumps(
                [{"field": "time_created", "operator": "GREATER_THAN", "value": since}]
            )
        for form_id in forms():
            for page in _pages(client, ctx.name, f"{form_id}/leads", params, ctx.progress):
                for lead in page:
                    lead.setdefault("form_id", form_id)
                if page:
                    yield to_arrow(page, LEAD_COLUMNS)

    @dlt.source(name="facebook_leads", max_table_nesting=0)
    def source() -> Any:
        return [leads]

    return source()


POST_COLUMNS = [
    Column("id", "string"),
    Column("message", "string"),
    Column("permalink_url", "string"),
    Column("created_time", "timestamp"),
]
COMMENT_COLUMNS = [
    Column("id", "string"),
    Column("post_id", "string"),
    Column("message", "string"),
    Column("from_id", "string", lambda r: dig(r, "from", "id")),
    Column("from_name", "string", lambda r: dig(r, "from", "name")),
    Column("created_time", "timestamp"),
]
REACTION_COLUMNS = [
    Column("id", "string", lambda r: f"{r['post_id']}:{r['id']}"),
    Column("post_id", "string"),
    Column("user_id", "string", lambda r: r["id"]),
    Column("name", "string"),
    Column("type", "string"),
    Column("first_seen_at", "timestamp"),
]


def build_page(ctx: SourceContext) -> Any:
    import dlt

    config: FacebookPageConfig = ctx.config
    client = _client(ctx)
    limit = config.page_size or 100

    def recent_posts() -> list[dict]:
        since = int((datetime.now(UTC) - timedelta(days=config.engagement_days)).timestamp())
        return [
            p
            for page in _pages(
                client,
                ctx.name,
                f"{config.page_id}/posts",
                {"fields": "id,created_time", "since": since, "limit": limit},
            )
            for p in page
        ]

    @dlt.resource(name="posts", primary_key="id", write_disposition="merge")
    def posts(created: Any = dlt.sources.incremental("created_time")) -> Iterator[Any]:
        params: dict[str, Any] = {"fields": "id,message,created_time,permalink_url", "limit": limit}
        if created.last_value is not None:
            params["since"] = int(created.last_value.timestamp())
        for page in _pages(client, ctx.name, f"{config.page_id}/posts", params):
            if page:
                yield to_arrow(page, POST_COLUMNS)

    @dlt.resource(name="comments", primary_key="id", write_disposition="merge")
    def comments(created: Any = dlt.sources.incremental("created_time")) -> Iterator[Any]:
        params: dict[str, Any] = {
            "fields": "id,message,created_time,from{id,name}",
            "filter": "stream",
            "order": "chronological",
            "limit": limit,
        }
        if created.last_value is not None:
            params["since"] = int(created.last_value.timestamp())
        for post in recent_posts():
            for page in _pages(client, ctx.name, f"{post['id']}/comments", params):
                rows = [{**c, "post_id": post["id"]} for c in page]
                if rows:
                    yield to_arrow(rows, COMMENT_COLUMNS)

    @dlt.resource(name="reactions", primary_key="id", write_disposition="merge")
    def reactions() -> Iterator[Any]:
        digests = dlt.current.resource_state().setdefault("digests", {})
        now = datetime.now(UTC)
        for post in recent_posts():
            rows = [
                {**r, "post_id": post["id"], "first_seen_at": now}
                for page in _pages(
                    client,
                    ctx.name,
                    f"{post['id']}/reactions",
                    {"fields": "id,name,type", "limit": limit},
                )
                for r in page
            ]
            digest = hashlib.sha256(
                json.dumps(sorted((r["id"], r.get("type")) for r in rows)).encode()
            ).hexdigest()
            if rows and digests.get(post["id"]) != digest:
                known = set(digests.get(f"{post['id']}:seen", []))
                fresh = [r for r in rows if f"{r['id']}:{r.get('type')}" not in known]
                if fresh:
                    yield to_arrow(fresh, REACTION_COLUMNS)
                digests[post["id"]] = digest
                digests[f"{post['id']}:seen"] = sorted(f"{r['id']}:{r.get('type')}" for r in rows)

    @dlt.source(name="facebook_page", max_table_nesting=0)
    def source() -> Any:
        return [posts, comments, reactions]

    return source()


def leads_mapping(ctx: MappingContext) -> CanonicalMapping:
    if "leads" not in ctx.tables:
        return CanonicalMapping()
    return CanonicalMapping(customer_records=[render("facebook", "leads", ctx.schema)])


def page_mapping(ctx: MappingContext) -> CanonicalMapping:
    out = CanonicalMapping()
    for table in ("comments", "reactions"):
        if table in ctx.tables:
            out.events.append(render("facebook", table, ctx.schema))
    return out


LEADS = SourceConnector(
    name="facebook_leads",
    description="Facebook lead ads: lead-form leads as customer records",
    build=build_leads,
    mapping=leads_mapping,
    config_model=FacebookLeadsConfig,
    secrets=("access_token",),
)
PAGE = SourceConnector(
    name="facebook_page",
    description="Facebook page: post comments and reactions as social events",
    build=build_page,
    mapping=page_mapping,
    config_model=FacebookPageConfig,
    secrets=("access_token",),
)


@cdp.hookimpl
def cdp_source_connectors() -> list[SourceConnector]:
    return [LEADS, PAGE]
