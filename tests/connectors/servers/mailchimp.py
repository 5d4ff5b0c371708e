"""A fake Mailchimp Marketing API 3.0 (mailchimp.com/developer/marketing/api).

``GET /3.0/lists/{list_id}/members`` (``count`` default 10, max 1000, ``offset``,
``since_last_changed``; body ``{"members": [...], "list_id", "total_items"}``),
``GET /3.0/campaigns`` (``status``, ``since_send_time``; ``{"campaigns": [...], "total_items"}``),
``GET /3.0/reports/{id}/email-activity`` (``since``; ``{"emails": [{"email_id",
"email_address", "activity": [{"action": "open"|"click"|"bounce", "type", "timestamp", "url",
"ip"}]}]}``), ``/reports/{id}/sent-to`` (``{"sent_to": [{"email_id", "email_address",
"status": "sent"|"hard"|"soft"}]}``) and ``/reports/{id}/unsubscribed`` (``{"unsubscribes":
[{"email_id", "email_address", "timestamp", "reason"}]}``). HTTP basic auth with any user name
and the API key; errors are problem+json bodies (``type, title, status, detail, instance``).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from .base import FakeApi, Request, Response


def problem(status: int, title: str, detail: str) -> Response:
    return Response(
        status,
        {
            "type": "https://mailchimp.com/developer/marketing/docs/errors/",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": "995c5cb0-3280-4a6e-808b-3b096d0bb219",
        },
        {"Content-Type": "application/problem+json; charset=utf-8"},
    )


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.lower().encode()).hexdigest()


class FakeMailchimp(FakeApi):
    def __init__(
        self,
        api_key: str = "0123456789abcdef0123456789abcdef-us6",
        list_id: str = "abc123",
        members: int = 23,
    ) -> None:
        super().__init__()
        self.api_key, self.list_id = api_key, list_id
        statuses = ["subscribed", "subscribed", "unsubscribed", "cleaned", "pending", "archived"]
        self.members = [self._member(i, statuses[i % len(statuses)]) for i in range(members)]
        self.campaigns = [
            {
                "id": f"c{n}",
                "web_id": 100 + n,
                "type": "regular",
                "status": "sent",
                "create_time": f"2024-03-0{n}T08:00:00+00:00",
                "send_time": f"2024-03-0{n}T10:00:00+00:00",
                "emails_sent": members,
                "recipients": {"list_id": list_id, "recipient_count": members},
                "settings": {
                    "subject_line": f"News {n}",
                    "title": f"Campaign {n}",
                    "from_name": "Acme",
                },
            }
            for n in (1, 2)
        ]
        self.activity: dict[str, list[dict]] = {c["id"]: [] for c in self.campaigns}
        for n, c in enumerate(self.campaigns, start=1):
            for m in self.members[:6]:
                acts = [
                    {
                        "action": "open",
                        "type": "",
                        "timestamp": f"2024-03-0{n}T11:0{n}:00+00:00",
                        "ip": "10.0.0.1",
                    }
                ]
                if m["email_address"].lower().startswith("u1"):
                    acts.append(
                        {
                            "action": "click",
                            "type": "",
                            "timestamp": f"2024-03-0{n}T11:3{n}:00+00:00",
                            "url": "https://acme.example/sale",
                            "ip": "10.0.0.1",
                        }
                    )
                self.activity[c["id"]].append(
                    {
                        "campaign_id": c["id"],
                        "list_id": list_id,
                        "email_id": m["id"],
                        "email_address": m["email_address"],
                        "activity": acts,
                    }
                )
        bounced = self.members[3]
        self.activity["c1"].append(
            {
                "campaign_id": "c1",
                "list_id": list_id,
                "email_id": bounced["id"],
                "email_address": bounced["email_address"],
                "activity": [
                    {"action": "bounce", "type": "hard", "timestamp": "2024-03-01T10:01:00+00:00"}
                ],
            }
        )
        self.unsubscribes = {
            "c1": [
                {
                    "campaign_id": "c1",
                    "list_id": list_id,
                    "email_id": self.members[2]["id"],
                    "email_address": self.members[2]["email_address"],
                    "timestamp": "2024-03-01T12:00:00+00:00",
                    "reason": "N/A (Unsubscribed by admin)",
                }
            ],
            "c2": [],
        }

    def _member(self, i: int, status: str) -> dict:
        email = f"U{i}@Example.com"
        return {
            "id": subscriber_hash(email),
            "email_address": email,
            "unique_email_id": f"ue{i}",
            "contact_id": f"ct{i}",
            "full_name": f"User {i}",
            "web_id": 5000 + i,
            "email_type": "html",
            "status": status,
            "merge_fields": {
                "FNAME": f"User{i}",
                "LNAME": "Doe",
                "PHONE": f"+4420794600{i:02d}",
                "ADDRESS": {
                    "addr1": f"{i} High St",
                    "addr2": "",
                    "city": "London",
                    "state": "",
                    "zip": "N1 9GU",
                    "country": "GB",
                },
                "BIRTHDAY": "04/12",
            },
            "ip_signup": "",
            "timestamp_signup": "",
            "ip_opt": "10.0.0.2",
            "timestamp_opt": "2024-01-05T09:00:00+00:00",
            "member_rating": 2,
            "last_changed": f"2024-02-01T00:00:{i:02d}+00:00",
            "language": "en",
            "vip": False,
            "email_client": "",
            "location": {"latitude": 0, "longitude": 0, "country_code": "GB", "timezone": ""},
            "source": "API - Generic",
            "tags_count": 0,
            "tags": [],
            "list_id": self.list_id,
        }

    def touch(self, index: int, **changes: Any) -> None:
        self.members[index].update(changes, last_changed="2024-06-01T00:00:00+00:00")

    def handle(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        try:
            user_key = (
                base64.b64decode(auth.removeprefix("Basic ")).decode()
                if auth.startswith("Basic ")
                else ""
            )
        except ValueError:
            user_key = ""
        if user_key.partition(":")[2] != self.api_key:
            return problem(
                401,
                "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
            )
        q = request.query
        try:
            count, offset = int(q.get("count", 10)), int(q.get("offset", 0))
        except ValueError:
            return problem(400, "Invalid Resource", "count and offset must be integers")
        if count > 1000:
            return problem(400, "Invalid Resource", "The count parameter must be 1000 or less")
        parts = request.path.strip("/").split("/")
        if parts[:1] != ["3.0"]:
            return problem(404, "Resource Not Found", "The requested resource could not be found.")
        parts = parts[1:]
        if parts == ["lists", self.list_id, "members"]:
            rows = [m for m in self.members if m["last_changed"] > q.get("since_last_changed", "")]
            return Response(
                200,
                {
                    "members": rows[offset : offset + count],
                    "list_id": self.list_id,
                    "total_items": len(rows),
                },
            )
        if parts[:1] == ["lists"]:
            return problem(404, "Resource Not Found", "The requested resource could not be found.")
        if parts == ["campaigns"]:
            rows = [
                c
                for c in self.campaigns
                if c["send_time"] > q.get("since_send_time", "")
                and (not q.get("status") or c["status"] == q["status"])
            ]
            return Response(
                200, {"campaigns": rows[offset : offset + count], "total_items": len(rows)}
            )
        if len(parts) == 3 and parts[0] == "reports" and parts[1] in self.activity:
            cid, what = parts[1], parts[2]
            if what == "email-activity":
                since = q.get("since", "")
                rows = [
                    {**e, "activity": [a for a in e["activity"] if a["timestamp"] > since]}
                    for e in self.activity[cid]
                ]
                rows = [e for e in rows if e["activity"]]
                return Response(
                    200,
                    {
                        "emails": rows[offset : offset + count],
                        "campaign_id": cid,
                        "total_items": len(rows),
                    },
                )
            if what == "sent-to":
                rows = [
                    {
                        "email_id": m["id"],
                        "email_address": m["email_address"],
                        "campaign_id": cid,
                        "list_id": self.list_id,
                        "status": "hard" if i == 3 else "sent",
                        "open_count": 1,
                        "last_open": "",
                    }
                    for i, m in enumerate(self.members)
                    if m["status"] in ("subscribed", "unsubscribed", "cleaned")
                ]
                return Response(
                    200,
                    {
                        "sent_to": rows[offset : offset + count],
                        "campaign_id": cid,
                        "total_items": len(rows),
                    },
                )
            if what == "unsubscribed":
                rows = self.unsubscribes[cid]
                return Response(
                    200,
                    {
                        "unsubscribes": rows[offset : offset + count],
                        "campaign_id": cid,
                        "total_items": len(rows),
                    },
                )
        return problem(404, "Resource Not Found", "The requested resource could not be found.")
