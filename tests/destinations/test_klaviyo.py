"""Klaviyo against a local server: JSON:API bulk import jobs, polling, import errors, lists."""

from __future__ import annotations

import re

from tests.destinations.conftest import person, stage_counts
from tests.destinations.server import RecordingServer, Reply

KEY = "pk_test_klaviyo_key"


class FakeKlaviyo:
    def __init__(self) -> None:
        self.jobs: dict[str, dict] = {}
        self.profiles: dict[str, str] = {}  # email -> id
        self.list_members: set[str] = set()
        self.unsubscribed: set[str] = set()
        self.polls = 0
        self.throttled = False

    def __call__(self, req):
        if req.headers.get("Authorization") != f"Klaviyo-API-Key {KEY}":
            return Reply(
                401,
                {
                    "errors": [
                        {
                            "status": 401,
                            "code": "not_authenticated",
                            "title": "Authentication credentials were not provided.",
                        }
                    ]
                },
            )
        assert req.headers.get("revision") == "2024-10-15"
        if req.method == "POST" and req.path == "/api/profile-bulk-import-jobs":
            if not self.throttled:
                self.throttled = True
                return Reply(
                    429, {"errors": [{"status": 429, "code": "throttled"}]}, {"Retry-After": "0"}
                )
            data = req.json()["data"]
            assert data["type"] == "profile-bulk-import-job"
            assert data["relationships"]["lists"]["data"] == [{"type": "list", "id": "L1"}]
            profiles = data["attributes"]["profiles"]["data"]
            errors = []
            for i, p in enumerate(profiles):
                email = p["attributes"].get("email", "")
                if "@" not in email:
                    errors.append(
                        {
                            "type": "import-error",
                            "id": f"e{i}",
                            "attributes": {
                                "code": "invalid",
                                "title": "Invalid input.",
                                "detail": "Invalid email address",
                                "source": {"pointer": f"/data/attributes/profiles/data/{i}"},
                            },
                        }
                    )
                else:
                    pid = self.profiles.setdefault(email, f"K{len(self.profiles)}")
                    self.list_members.add(pid)
            job_id = f"job{len(self.jobs)}"
            self.jobs[job_id] = {"errors": errors, "total": len(profiles)}
            return Reply(
                202,
                {
                    "data": {
                        "type": "profile-bulk-import-job",
                        "id": job_id,
                        "attributes": {"status": "queued"},
                    }
                },
            )
        m = re.fullmatch(r"/api/profile-bulk-import-jobs/(\w+)(/import-errors)?", req.path)
        if req.method == "GET" and m:
            job = self.jobs[m.group(1)]
            if m.group(2):
                return Reply(200, {"data": job["errors"], "links": {"next": None}})
            self.polls += 1
            status = "processing" if self.polls % 2 else "complete"
            return Reply(
                200,
                {
                    "data": {
                        "type": "profile-bulk-import-job",
                        "id": m.group(1),
                        "attributes": {
                            "status": status,
                            "total_count": job["total"],
                            "completed_count": job["total"] - len(job["errors"]),
                            "failed_count": len(job["errors"]),
                        },
                    }
                },
            )
        if req.method == "GET" and req.path == "/api/profiles":
            emails = re.findall(r'"([^"]+)"', req.query["filter"][0])
            return Reply(
                200,
                {
                    "data": [
                        {"type": "profile", "id": self.profiles[e]}
                        for e in emails
                        if e in self.profiles
                    ],
                    "links": {"next": None},
                },
            )
        if req.method == "POST" and req.path == "/api/profile-subscription-bulk-delete-jobs":
            data = req.json()["data"]
            assert data["type"] == "profile-subscription-bulk-delete-job"
            assert data["relationships"]["list"]["data"] == {"type": "list", "id": "L1"}
            profiles = data["attributes"]["profiles"]["data"]
            assert len(profiles) <= 100
            self.unsubscribed |= {p["attributes"]["email"] for p in profiles}
            return Reply(202, None)
        if req.method == "DELETE" and req.path == "/api/lists/L1/relationships/profiles":
            self.list_members -= {d["id"] for d in req.json()["data"]}
            return Reply(204, None)
        return Reply(404, {"errors": [{"status": 404}]})


def test_bulk_import_poll_errors_and_list_removal(project, monkeypatch):
    monkeypatch.setenv("CDP__DESTINATIONS__KL__API_KEY", KEY)
    people = [person(i, email=f"user{i}@example.com") for i in range(12)]
    people[4]["email"] = "broken"
    project.set_members(people)
    fake = FakeKlaviyo()
    with RecordingServer(fake) as server:
        project.write_config(
            {
                "kl": {
                    "connector": "klaviyo",
                    "config": {
                        "list_id": "L1",
                        "base_url": server.url,
                        "poll_seconds": 0,
                        "backoff_seconds": 0.01,
                        "requests_per_second": 1000,
                    },
                }
            },
            [
                {
                    "segment": "vip",
                    "destination": "kl",
                    "mode": "mirror",
                    "fields": {
                        "email": "email",
                        "first_name": "first_name",
                        "ltv": "lifetime_value",
                    },
                }
            ],
        )
        counts = stage_counts(project.sync())["syncs"]["vip->kl"]
        assert counts["added"] == 11 and counts["terminal"] == 1 and counts["retried_requests"] == 1
        posted = next(
            r
            for r in server.requests
            if r.method == "POST" and r.headers.get("Content-Type") == "application/vnd.api+json"
        )
        first = posted.json()["data"]["attributes"]["profiles"]["data"][0]["attributes"]
        assert first["first_name"] == "First0" and first["properties"] == {"ltv": 0.0}
        assert len(fake.list_members) == 11
        people[0]["consent_email"] = False
        project.set_members(people[:8])
        counts = stage_counts(project.sync())["syncs"]["vip->kl"]
    assert counts["removed"] == 5 and len(fake.list_members) == 6 and len(fake.profiles) == 11
    assert fake.unsubscribed == {"user0@example.com"}
