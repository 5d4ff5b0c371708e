"""A fake Klaviyo API (JSON:API, developers.klaviyo.com/en/reference/api_overview).

``GET /api/profiles`` (``page[size]`` max 100, ``page[cursor]``, ``filter=greater-than(updated,
ISO)``, ``additional-fields[profile]=subscriptions``, ``fields[profile]=...``), ``GET /api/events``
(``filter=greater-than(datetime,ISO)``, ``include=metric``, ``page[size]`` max 200), ``GET
/api/lists``. Requires ``Authorization: Klaviyo-API-Key <key>`` and a ``revision`` header;
``links.next`` cursors; ``RateLimit-Limit/Remaining/Reset`` headers; JSON:API error bodies.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from .base import FakeApi, Request, Response

T0 = datetime(2024, 2, 1, tzinfo=UTC)
METRICS = {
    "M1": "Placed Order",
    "M2": "Opened Email",
    "M3": "Clicked Email",
    "M4": "Viewed Product",
}


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def errors(status: int, code: str, title: str, detail: str) -> Response:
    return Response(
        status,
        {
            "errors": [
                {
                    "id": "e0f1",
                    "status": status,
                    "code": code,
                    "title": title,
                    "detail": detail,
                    "source": {"pointer": "/data/"},
                    "meta": {},
                }
            ]
        },
        {"Content-Type": "application/vnd.api+json"},
    )


class FakeKlaviyo(FakeApi):
    def __init__(self, api_key: str = "pk_test_key", profiles: int = 22, events: int = 30) -> None:
        super().__init__()
        self.api_key = api_key
        self.profiles = {f"01PROF{i:04d}": self._profile(i) for i in range(profiles)}
        self.events = []
        for n in range(events):
            pid = f"01PROF{n % max(profiles, 1):04d}"
            metric = list(METRICS)[n % len(METRICS)]
            at = T0 + timedelta(hours=n)
            props = (
                {"$value": 42.5, "$event_id": f"order-{n}", "Currency": "EUR"}
                if metric == "M1"
                else {"Subject": "Hi"}
            )
            self.events.append(
                {
                    "type": "event",
                    "id": f"4EVT{n:05d}",
                    "attributes": {
                        "timestamp": int(at.timestamp()),
                        "event_properties": props,
                        "datetime": iso(at),
                        "uuid": f"uuid-{n}",
                    },
                    "relationships": {
                        "profile": {"data": {"type": "profile", "id": pid}},
                        "metric": {"data": {"type": "metric", "id": metric}},
                    },
                    "links": {"self": f"/api/events/4EVT{n:05d}/"},
                }
            )
        self.lists = [
            {
                "type": "list",
                "id": "Y6nRLr",
                "attributes": {
                    "name": "Newsletter",
                    "created": iso(T0),
                    "updated": iso(T0),
                    "opt_in_process": "double_opt_in",
                },
            }
        ]

    def _profile(self, i: int) -> dict:
        state = ["SUBSCRIBED", "UNSUBSCRIBED", "NEVER_SUBSCRIBED"][i % 3]
        return {
            "type": "profile",
            "id": f"01PROF{i:04d}",
            "attributes": {
                "email": f"k{i}@example.com",
                "phone_number": f"+3312345{i:04d}",
                "external_id": None,
                "anonymous_id": None,
                "first_name": f"K{i}",
                "last_name": "Lav",
                "organization": None,
                "locale": "fr-FR",
                "title": None,
                "image": None,
                "created": iso(T0 - timedelta(days=3)),
                "updated": iso(T0 + timedelta(minutes=i)),
                "last_event_date": None,
                "location": {
                    "address1": f"{i} rue de Rivoli",
                    "address2": None,
                    "city": "Paris",
                    "country": "France",
                    "latitude": None,
                    "longitude": None,
                    "region": "IDF",
                    "zip": "75001",
                    "timezone": "Europe/Paris",
                    "ip": None,
                },
                "properties": {"loyalty_tier": "gold" if i % 4 == 0 else "silver"},
                "subscriptions": {
                    "email": {
                        "marketing": {
                            "can_receive_email_marketing": state == "SUBSCRIBED",
                            "consent": state,
                            "consent_timestamp": iso(T0),
                            "method": "FORM",
                            "suppression": [],
                            "list_suppressions": [],
                        }
                    },
                    "sms": {
                        "marketing": {
                            "can_receive_sms_marketing": False,
                            "consent": "NEVER_SUBSCRIBED",
                        }
                    },
                },
            },
            "relationships": {},
            "links": {"self": f"/api/profiles/01PROF{i:04d}/"},
        }

    def touch(self, pid: str, at: datetime, **attributes: Any) -> None:
        self.profiles[pid]["attributes"].update(attributes, updated=iso(at))

    def handle(self, request: Request) -> Response:
        rl = {"RateLimit-Limit": "75", "RateLimit-Remaining": "74", "RateLimit-Reset": "1"}
        if request.headers.get("Authorization") != f"Klaviyo-API-Key {self.api_key}":
            return errors(
                401,
                "not_authenticated",
                "Authentication credentials were not provided.",
                "Missing or invalid private key.",
            )
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(\.\w+)?", request.headers.get("revision", "")):
            return errors(
                400, "invalid", "Invalid input.", "The revision header is missing or malformed."
            )
        q = request.query
        size = int(q.get("page[size]", 20))
        cursor = int(q.get("page[cursor]", 0) or 0)
        if request.path.rstrip("/") == "/api/profiles":
            if size > 100:
                return errors(
                    400, "invalid", "Invalid input.", "page[size] must be less than or equal to 100"
                )
            rows = sorted(self.profiles.values(), key=lambda p: p["attributes"]["updated"])
            rows = self._filter(rows, q.get("filter"), "updated")
            if rows is None:
                return errors(
                    400, "invalid", "Invalid input.", f"Invalid filter: {q.get('filter')}"
                )
            extra = q.get("additional-fields[profile]", "")
            rows = [
                self._fields(p, q.get("fields[profile]"), "subscriptions" in extra) for p in rows
            ]
            return self._page(request, rows, cursor, size, rl)
        if request.path.rstrip("/") == "/api/events":
            if size > 200:
                return errors(
                    400, "invalid", "Invalid input.", "page[size] must be less than or equal to 200"
                )
            rows = self._filter(
                sorted(self.events, key=lambda e: e["attributes"]["datetime"]),
                q.get("filter"),
                "datetime",
            )
            if rows is None:
                return errors(
                    400, "invalid", "Invalid input.", f"Invalid filter: {q.get('filter')}"
                )
            resp = self._page(request, rows, cursor, size, rl)
            if "metric" in q.get("include", ""):
                used = {e["relationships"]["metric"]["data"]["id"] for e in resp.body["data"]}
                resp.body["included"] = [
                    {"type": "metric", "id": m, "attributes": {"name": METRICS[m]}}
                    for m in sorted(used)
                ]
            return resp
        if request.path.rstrip("/") == "/api/lists":
            return self._page(request, self.lists, cursor, size, rl)
        return errors(404, "not_found", "Not found.", "The requested resource was not found.")

    @staticmethod
    def _filter(rows: list[dict], expr: str | None, field: str) -> list[dict] | None:
        if not expr:
            return rows
        m = re.fullmatch(rf"(greater-than|greater-or-equal)\({field},([^)]+)\)", expr)
        if not m:
            return None
        since = datetime.fromisoformat(m.group(2).replace("Z", "+00:00"))
        keep = (lambda t: t > since) if m.group(1) == "greater-than" else (lambda t: t >= since)
        return [r for r in rows if keep(datetime.fromisoformat(r["attributes"][field]))]

    @staticmethod
    def _fields(p: dict, fields: str | None, subscriptions: bool) -> dict:
        attrs = dict(p["attributes"])
        if not subscriptions:
            attrs.pop("subscriptions", None)
        if fields:
            attrs = {k: v for k, v in attrs.items() if k in fields.split(",")}
        return {**p, "attributes": attrs}

    def _page(
        self, request: Request, rows: list[dict], cursor: int, size: int, headers: dict
    ) -> Response:
        page = rows[cursor : cursor + size]
        nxt = None
        if cursor + size < len(rows):
            params = [
                f"{k}={quote(v, safe='(),:')}"
                for k, v in request.query.items()
                if k != "page[cursor]"
            ]
            nxt = f"{self.url}{request.path}?{'&'.join(params + [f'page[cursor]={cursor + size}'])}"
        return Response(
            200,
            {
                "data": page,
                "links": {"self": f"{self.url}{request.path}", "next": nxt, "prev": None},
            },
            {"Content-Type": "application/vnd.api+json", **headers},
        )
