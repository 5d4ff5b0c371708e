"""A fake HubSpot CRM v3 API (developers.hubspot.com/docs/api/crm).

``GET /crm/v3/objects/{type}?limit=&after=&archived=`` (list; ``paging.next.after``),
``POST /crm/v3/objects/{type}/search`` with ``filterGroups`` (OR of AND-ed filters; operators
EQ, GT, GTE, LT, LTE), ``sorts``, ``properties``, ``limit`` (max 200) and ``after``; search
stops at 10,000 results (``after`` beyond the cap is a 400, as HubSpot does) — the cap is a
constructor argument so tests can reach it. ``POST /crm/v3/associations/{from}/{to}/batch/read``.
Bearer auth; errors are ``{"status": "error", "message", "correlationId", "category"}``; 429
bodies carry ``policyName`` and the ``X-HubSpot-RateLimit-*`` headers are sent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .base import FakeApi, Request, Response

MODIFIED = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
}
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def error(status: int, message: str, category: str, **extra: Any) -> Response:
    return Response(
        status,
        {
            "status": "error",
            "message": message,
            "correlationId": "3d5a7d0e-0000-4000-8000-000000000000",
            "category": category,
            **extra,
        },
    )


class FakeHubSpot(FakeApi):
    def __init__(
        self,
        token: str = "pat-na1-test",
        contacts: int = 25,
        companies: int = 4,
        deals: int = 6,
        search_cap: int = 10_000,
        same_time_every: int = 1,
    ) -> None:
        super().__init__()
        self.token, self.search_cap = token, search_cap
        self.objects: dict[str, dict[str, dict]] = {"contacts": {}, "companies": {}, "deals": {}}
        for i in range(1, contacts + 1):
            # same_time_every > 1 gives runs of records modified at the same millisecond
            t = T0 + timedelta(minutes=(i // same_time_every))
            self._put(
                "contacts",
                str(100 + i),
                {
                    "email": f"contact{i}@example.com",
                    "firstname": f"Con{i}",
                    "lastname": "Tact",
                    "phone": f"+1617555{i:04d}",
                    "city": "Boston",
                    "zip": "02110",
                    "state": "MA",
                    "country": "US",
                    "address": f"{i} Beacon St",
                    "company": "Acme",
                    "lifecyclestage": "customer" if i % 2 else "lead",
                    "hs_object_id": str(100 + i),
                    "createdate": iso(T0 - timedelta(days=30)),
                    "lastmodifieddate": iso(t),
                },
                t,
            )
        for i in range(1, companies + 1):
            t = T0 + timedelta(minutes=i)
            self._put(
                "companies",
                str(500 + i),
                {
                    "name": f"Company {i}",
                    "domain": f"c{i}.example",
                    "hs_object_id": str(500 + i),
                    "createdate": iso(T0),
                    "hs_lastmodifieddate": iso(t),
                },
                t,
            )
        for i in range(1, deals + 1):
            t = T0 + timedelta(minutes=i)
            self._put(
                "deals",
                str(900 + i),
                {
                    "dealname": f"Deal {i}",
                    "amount": f"{i * 100}",
                    "dealstage": "closedwon" if i % 2 else "appointmentscheduled",
                    "closedate": iso(t),
                    "hs_object_id": str(900 + i),
                    "createdate": iso(T0),
                    "hs_lastmodifieddate": iso(t),
                },
                t,
            )
        self.associations = {
            ("contacts", "companies"): {
                str(100 + i): [str(500 + 1 + i % max(companies, 1))] for i in range(1, contacts + 1)
            },
            ("deals", "contacts"): {str(900 + i): [str(100 + i)] for i in range(1, deals + 1)},
        }

    def _put(self, kind: str, oid: str, props: dict, t: datetime, archived: bool = False) -> None:
        self.objects[kind][oid] = {
            "id": oid,
            "properties": props,
            "createdAt": props["createdate"],
            "updatedAt": iso(t),
            "archived": archived,
            **({"archivedAt": iso(t)} if archived else {}),
        }

    def touch(self, kind: str, oid: str, at: datetime, **props: str) -> None:
        rec = self.objects[kind][oid]
        rec["properties"].update(props, **{MODIFIED[kind]: iso(at)})
        rec["updatedAt"] = iso(at)

    def archive(self, kind: str, oid: str, at: datetime) -> None:
        rec = self.objects[kind][oid]
        rec.update(archived=True, archivedAt=iso(at), updatedAt=iso(at))

    @staticmethod
    def _match(rec: dict, f: dict) -> bool:
        value = rec["properties"].get(f["propertyName"])
        target = f.get("value")
        if value is None:
            return False
        if f["propertyName"].endswith("lastmodifieddate"):
            value = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000
            target = (
                float(target)
                if str(target).replace(".", "").isdigit()
                else datetime.fromisoformat(str(target).replace("Z", "+00:00")).timestamp() * 1000
            )
        elif f["propertyName"] == "hs_object_id":
            value, target = int(value), int(target)
        op = f["operator"]
        return {
            "EQ": value == target,
            "GT": value > target,
            "GTE": value >= target,
            "LT": value < target,
            "LTE": value <= target,
        }[op]

    def _shape(self, rec: dict, props: list[str] | None) -> dict:
        out = {k: v for k, v in rec.items() if k != "properties"}
        keep = props or ["createdate", "hs_object_id", "lastmodifieddate", "hs_lastmodifieddate"]
        out["properties"] = {k: rec["properties"].get(k) for k in keep}
        return out

    def handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return error(
                401,
                "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                "INVALID_AUTHENTICATION",
            )
        headers = {
            "X-HubSpot-RateLimit-Daily": "500000",
            "X-HubSpot-RateLimit-Daily-Remaining": "499000",
            "X-HubSpot-RateLimit-Secondly": "10",
            "X-HubSpot-RateLimit-Secondly-Remaining": "9",
        }
        parts = request.path.strip("/").split("/")
        if parts[:3] == ["crm", "v3", "objects"] and len(parts) >= 4 and parts[3] in self.objects:
            kind = parts[3]
            if request.method == "GET" and len(parts) == 4:
                archived = request.query.get("archived", "false") == "true"
                limit = min(int(request.query.get("limit", 10)), 100)
                after = int(request.query.get("after", 0) or 0)
                props = request.query.get("properties")
                rows = sorted(
                    (r for r in self.objects[kind].values() if r["archived"] == archived),
                    key=lambda r: int(r["id"]),
                )
                page = [
                    self._shape(r, props.split(",") if props else None)
                    for r in rows[after : after + limit]
                ]
                body: dict[str, Any] = {"results": page}
                if after + limit < len(rows):
                    body["paging"] = {
                        "next": {
                            "after": str(after + limit),
                            "link": f"{self.url}{request.path}?after={after + limit}",
                        }
                    }
                return Response(200, body, headers)
            if request.method == "POST" and parts[4:] == ["search"]:
                q = request.body or {}
                limit = int(q.get("limit", 10))
                if limit > 200:
                    return error(400, "limit must be 200 or less", "VALIDATION_ERROR")
                after = int(q.get("after", 0) or 0)
                if after + limit > self.search_cap:
                    return error(
                        400,
                        f"There was a problem with the request. Search results are limited to {self.search_cap} per query.",
                        "VALIDATION_ERROR",
                    )
                groups = q.get("filterGroups") or []
                rows = [
                    r
                    for r in self.objects[kind].values()
                    if not r["archived"]
                    and (
                        not groups
                        or any(all(self._match(r, f) for f in g.get("filters", [])) for g in groups)
                    )
                ]
                key = MODIFIED[kind]
                sort = (q.get("sorts") or [{"propertyName": key}])[0]
                name = sort["propertyName"] if isinstance(sort, dict) else sort
                rows.sort(
                    key=lambda r: (
                        int(r["id"])
                        if name == "hs_object_id"
                        else (r["properties"][key], int(r["id"]))
                    )
                )
                page = [self._shape(r, q.get("properties")) for r in rows[after : after + limit]]
                body = {"total": len(rows), "results": page}
                if after + limit < len(rows):
                    body["paging"] = {"next": {"after": str(after + limit)}}
                return Response(200, body, headers)
        if parts[:3] == ["crm", "v3", "associations"] and parts[5:] == ["batch", "read"]:
            pairs = self.associations.get((parts[3], parts[4]), {})
            results = [
                {
                    "from": {"id": i["id"]},
                    "to": [
                        {"id": t, "type": f"{parts[3][:-1]}_to_{parts[4][:-1]}"}
                        for t in pairs[i["id"]]
                    ],
                }
                for i in (request.body or {}).get("inputs", [])
                if i["id"] in pairs
            ]
            return Response(
                200,
                {
                    "status": "COMPLETE",
                    "results": results,
                    "startedAt": iso(T0),
                    "completedAt": iso(T0),
                },
                headers,
            )
        return error(404, "resource not found", "OBJECT_NOT_FOUND")
