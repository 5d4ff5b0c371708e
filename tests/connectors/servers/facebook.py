"""A fake Facebook Graph API for lead forms and page engagement (developers.facebook.com/docs/graph-api).

``GET /{version}/{page_id}/leadgen_forms``, ``/{form_id}/leads`` (``fields``, ``limit``,
``after``, ``filtering=[{"field": "time_created", "operator": "GREATER_THAN", "value": unix}]``;
leads carry ``field_data: [{"name", "values": [...]}]``), ``/{page_id}/posts`` (``since`` unix),
``/{post_id}/comments`` (``filter=stream``, ``since``; ``from{id,name}``) and
``/{post_id}/reactions`` (``{id, name, type}``). Cursor paging ``paging.cursors.after`` and
``paging.next`` (a full URL). Errors are ``{"error": {"message", "type", "code",
"fbtrace_id"}}``: a bad token is HTTP 400 with ``OAuthException`` code 190; throttling is code
4/17/32/613 (HTTP 400/403).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from .base import FakeApi, Request, Response

T0 = datetime(2024, 4, 1, tzinfo=UTC)


def fb_time(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S+0000")


def graph_error(status: int, message: str, type_: str, code: int) -> Response:
    return Response(
        status,
        {"error": {"message": message, "type": type_, "code": code, "fbtrace_id": "AbCdEfGhIjK"}},
    )


class FakeGraph(FakeApi):
    def __init__(
        self, token: str = "EAAB-test-token", version: str = "v19.0", leads: int = 17
    ) -> None:
        super().__init__()
        self.token, self.version = token, version
        self.forms = {
            "PAGE1": [{"id": "F1", "name": "Spring promo", "status": "ACTIVE", "locale": "en_US"}]
        }
        self.leads = {"F1": [self._lead(i) for i in range(leads)]}
        self.posts = {
            "PAGE1": [
                {
                    "id": f"PAGE1_{n}",
                    "message": f"Post {n}",
                    "created_time": fb_time(T0 + timedelta(days=n)),
                    "permalink_url": f"https://facebook.com/PAGE1/posts/{n}",
                }
                for n in range(1, 4)
            ]
        }
        self.comments = {
            p["id"]: [
                {
                    "id": f"{p['id']}_c{k}",
                    "message": f"Nice {k}",
                    "created_time": fb_time(T0 + timedelta(days=int(p["id"][-1]), hours=k)),
                    "from": {"id": f"U{k}", "name": f"Fan {k}"},
                }
                for k in range(4)
            ]
            for p in self.posts["PAGE1"]
        }
        self.reactions = {
            p["id"]: [
                {"id": f"U{k}", "name": f"Fan {k}", "type": ["LIKE", "LOVE", "WOW"][k % 3]}
                for k in range(5)
            ]
            for p in self.posts["PAGE1"]
        }

    def _lead(self, i: int) -> dict:
        return {
            "id": f"L{1000 + i}",
            "created_time": fb_time(T0 + timedelta(hours=i)),
            "ad_id": "A1",
            "form_id": "F1",
            "field_data": [
                {"name": "email", "values": [f"lead{i}@example.com"]},
                {"name": "full_name", "values": [f"Lead Person{i}"]},
                {"name": "phone_number", "values": [f"+1202555{i:04d}"]},
                {"name": "city", "values": ["Austin"]},
            ],
        }

    def add_lead(self, i: int) -> None:
        self.leads["F1"].append(self._lead(i))

    def handle(self, request: Request) -> Response:
        token = request.query.get("access_token") or request.headers.get(
            "Authorization", ""
        ).removeprefix("Bearer ")
        if token != self.token:
            return graph_error(
                400, "Invalid OAuth access token - Cannot parse access token", "OAuthException", 190
            )
        parts = request.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != self.version:
            return graph_error(400, "Unknown path components", "OAuthException", 2500)
        node, edge = parts[1], parts[2]
        q = request.query
        limit = int(q.get("limit", 25))
        if edge == "leadgen_forms" and node in self.forms:
            rows = self.forms[node]
        elif edge == "leads" and node in self.leads:
            rows = self.leads[node]
            if q.get("filtering"):
                for f in json.loads(q["filtering"]):
                    if f["field"] == "time_created" and f["operator"] == "GREATER_THAN":
                        rows = [
                            r
                            for r in rows
                            if datetime.strptime(
                                r["created_time"], "%Y-%m-%dT%H:%M:%S%z"
                            ).timestamp()
                            > float(f["value"])
                        ]
        elif edge == "posts" and node in self.posts:
            rows = [
                p
                for p in self.posts[node]
                if not q.get("since")
                or datetime.strptime(p["created_time"], "%Y-%m-%dT%H:%M:%S%z").timestamp()
                >= float(q["since"])
            ]
        elif edge == "comments" and node in self.comments:
            rows = [
                c
                for c in self.comments[node]
                if not q.get("since")
                or datetime.strptime(c["created_time"], "%Y-%m-%dT%H:%M:%S%z").timestamp()
                >= float(q["since"])
            ]
        elif edge == "reactions" and node in self.reactions:
            rows = self.reactions[node]
        else:
            return graph_error(
                400,
                f"(#100) Tried accessing nonexisting field ({edge}) on node type",
                "OAuthException",
                100,
            )
        start = int(base64.b64decode(q["after"]).decode()) if q.get("after") else 0
        page = rows[start : start + limit]
        body: dict = {"data": page}
        if rows:
            body["paging"] = {
                "cursors": {
                    "before": base64.b64encode(str(start).encode()).decode(),
                    "after": base64.b64encode(str(start + len(page) - 1 + 1).encode()).decode(),
                }
            }
            if start + limit < len(rows):
                params = {k: v for k, v in q.items() if k != "after"}
                params["after"] = body["paging"]["cursors"]["after"]
                body["paging"]["next"] = f"{self.url}{request.path}?{urlencode(params)}"
        return Response(200, body)
