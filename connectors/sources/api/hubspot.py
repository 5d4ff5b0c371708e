"""HubSpot (CRM v3): contacts, companies, deals and their associations.

- Incremental on the last-modified date (``lastmodifieddate`` for contacts,
  ``hs_lastmodifieddate`` otherwise) through the search endpoint, ``after`` cursors with dlt's
  :class:`JSONResponseCursorPaginator` (cursor in the POST body). Search stops at 10,000
  results per query, so results are sorted by ``hs_object_id`` and a new query starts after the
  last id seen whenever the cap is near (the documented way past the cap).
- Archived records come from the list endpoint (``archived=true``) and are marked ``deleted``.
- Associations contact -> company and deal -> contact are read in batches of 100 for the
  records that changed.
- Records are merged on ``id``, so a killed run re-run loses and duplicates nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

import cdp
from cdp.connector import CanonicalMapping, MappingContext, SourceConnector, SourceContext

from .batch import Column, dig, parse_ts, to_arrow
from .http import HttpSettings, make_client, paginate, request, secret_value
from .sql import render

__all__ = ["HubSpotConfig", "build", "cdp_source_connectors", "mapping"]

ObjectType = Literal["contacts", "companies", "deals"]
MODIFIED = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
}
PROPERTIES = {
    "contacts": [
        "email",
        "firstname",
        "lastname",
        "phone",
        "mobilephone",
        "address",
        "city",
        "zip",
        "state",
        "country",
        "company",
        "lifecyclestage",
        "hs_email_optout",
        "date_of_birth",
        "createdate",
        "lastmodifieddate",
        "hs_object_id",
    ],
    "companies": [
        "name",
        "domain",
        "industry",
        "city",
        "country",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    ],
    "deals": [
        "dealname",
        "amount",
        "dealstage",
        "pipeline",
        "closedate",
        "deal_currency_code",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    ],
}
ASSOCIATIONS = {"contacts": "companies", "deals": "contacts"}
SEARCH_CAP = 10_000


class HubSpotConfig(HttpSettings):
    objects: list[ObjectType] = ["contacts", "companies", "deals"]
    properties: dict[ObjectType, list[str]] = Field(
        default_factory=dict, description="Extra properties to read per object type"
    )
    page_size: int | None = Field(default=100, ge=1, le=100)
    search_cap: int = Field(default=SEARCH_CAP, ge=2, description="HubSpot's search result cap")
    start_date: str | None = None


def _prop(name: str) -> Any:
    return lambda r: dig(r, "properties", name)


def _columns(kind: str, extra: list[str]) -> list[Column]:
    cols = [Column("id", "string")]
    cols += [
        Column(p, "string", _prop(p))
        for p in PROPERTIES[kind]
        if p not in ("createdate", MODIFIED[kind])
    ]
    cols += [Column(p, "string", _prop(p)) for p in extra if p not in PROPERTIES[kind]]
    cols += [
        Column("properties", "json"),
        Column("archived", "bool"),
        Column("created_at", "timestamp", lambda r: r.get("createdAt")),
        Column("archived_at", "timestamp", lambda r: r.get("archivedAt")),
        Column(
            "updated_at",
            "timestamp",
            lambda r: r.get("updatedAt") or dig(r, "properties", MODIFIED[kind]),
        ),
    ]
    return cols


ASSOCIATION_COLUMNS = [
    Column("id", "string", lambda r: f"{r['from_id']}:{r['to_id']}"),
    Column("from_id", "string"),
    Column("to_id", "string"),
    Column("type", "string"),
    Column("updated_at", "timestamp"),
]


def build(ctx: SourceContext) -> Any:
    import dlt
    from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

    config: HubSpotConfig = ctx.config
    token = secret_value(ctx.name, ctx.secrets, "access_token")
    client = make_client(
        ctx.name,
        "https://api.hubapi.com",
        config,
        headers={"Authorization": f"Bearer {token}"},
        secret_key="access_token",
    )
    limit = config.page_size or 100

    def search(kind: str, since_ms: int | None, props: list[str]) -> Iterator[list[dict]]:
        """Every record modified since ``since_ms``, by id, moving past the search cap."""
        last_id = 0
        while True:
            filters = [{"propertyName": "hs_object_id", "operator": "GT", "value": str(last_id)}]
            if since_ms is not None:
                filters.append(
                    {"propertyName": MODIFIED[kind], "operator": "GTE", "value": str(since_ms)}
                )
            body = {
                "filterGroups": [{"filters": filters}],
                "properties": props,
                "limit": limit,
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            }
            paginator = JSONResponseCursorPaginator(
                cursor_path="paging.next.after", cursor_body_path="after"
            )
            seen, more = 0, False
            for page in paginate(
                client,
                ctx.name,
                f"crm/v3/objects/{kind}/search",
                method="POST",
                json=body,
                paginator=paginator,
                data_selector="results",
            ):
                rows = list(page)
                ctx.progress(len(rows))
                if rows:
                    yield rows
                    last_id = int(rows[-1]["id"])
                seen += len(rows)
                more = paginator.has_next_page
                if more and seen + limit > config.search_cap:
                    break  # the next page would pass the cap: start a new query after last_id
            if not more:
                return

    def associations(kind: str, records: list[dict]) -> Iterator[Any]:
        target = ASSOCIATIONS[kind]
        updated = {r["id"]: r.get("updatedAt") for r in records}
        ids = list(updated)
        for start in range(0, len(ids), 100):
            body = {"inputs": [{"id": i} for i in ids[start : start + 100]]}
            result = request(
                client,
                ctx.name,
                f"crm/v3/associations/{kind}/{target}/batch/read",
                method="POST",
                json=body,
            )
            rows = [
                {
                    "from_id": r["from"]["id"],
                    "to_id": t["id"],
                    "type": t.get("type"),
                    "updated_at": updated.get(r["from"]["id"]),
                }
                for r in result.get("results", [])
                for t in r.get("to", [])
            ]
            if rows:
                # ``id`` (from:to) is the merge key, as for every table of the resource
                yield dlt.mark.with_table_name(
                    to_arrow(rows, ASSOCIATION_COLUMNS), f"{kind}_to_{target}"
                )

    def make_resource(kind: str) -> Any:
        extra = config.properties.get(kind, [])  # type: ignore[call-overload]
        columns = _columns(kind, extra)
        props = list(dict.fromkeys(PROPERTIES[kind] + extra))

        @dlt.resource(name=kind, primary_key="id", write_disposition="merge")
        def objects(
            updated_at: Any = dlt.sources.incremental(
                "updated_at", initial_value=config.start_date
            ),
        ) -> Iterator[Any]:
            last = updated_at.last_value
            since_ms = int(parse_ts(last).timestamp() * 1000) if last is not None else None  # type: ignore[union-attr]
            for rows in search(kind, since_ms, props):
                yield to_arrow(rows, columns)
                if kind in ASSOCIATIONS:
                    yield from associations(kind, rows)
            # archived records: the list endpoint, filtered by the same cursor
            paginator = JSONResponseCursorPaginator(
                cursor_path="paging.next.after", cursor_param="after"
            )
            for page in paginate(
                client,
                ctx.name,
                f"crm/v3/objects/{kind}",
                paginator=paginator,
                params={"archived": "true", "limit": limit, "properties": ",".join(props)},
                data_selector="results",
            ):
                if page:
                    yield to_arrow(list(page), columns)

        return objects

    @dlt.source(name="hubspot", max_table_nesting=0)
    def hubspot() -> Any:
        return [make_resource(kind) for kind in config.objects]

    return hubspot()


def mapping(ctx: MappingContext) -> CanonicalMapping:
    out = CanonicalMapping()
    if "contacts" in ctx.tables:
        company = (
            "(SELECT min(c.name) FROM {{schema}}.contacts_to_companies a JOIN {{schema}}.companies c "
            "ON c.id = a.to_id WHERE a.from_id = k.id)"
            if {"contacts_to_companies", "companies"} <= set(ctx.tables)
            else "NULL"
        )
        from .sql import quote

        out.customer_records.append(
            render(
                "hubspot",
                "customer_records",
                ctx.schema,
                company=company.replace("{{schema}}", quote(ctx.schema)),
            )
        )
    if "deals" in ctx.tables and "deals_to_contacts" in ctx.tables:
        out.events.append(render("hubspot", "deals", ctx.schema))
    return out


CONNECTOR = SourceConnector(
    name="hubspot",
    description="HubSpot CRM v3: contacts, companies, deals and associations",
    build=build,
    mapping=mapping,
    config_model=HubSpotConfig,
    secrets=("access_token",),
)


@cdp.hookimpl
def cdp_source_connectors() -> list[SourceConnector]:
    return [CONNECTOR]
