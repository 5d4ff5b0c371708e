"""HubSpot against a local server: batch upsert by email (200/207/400), static list membership."""

from __future__ import annotations

from tests.destinations.conftest import person, stage_counts
from tests.destinations.server import RecordingServer, Reply

TOKEN = "pat-na1-test-token"


class FakeHubspot:
    def __init__(self) -> None:
        self.contacts: dict[str, dict] = {}  # email -> {"id", "properties"}
        self.list_members: set[str] = set()

    def _id(self, email: str) -> str:
        return self.contacts[email]["id"]

    def __call__(self, req):
        if req.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Reply(
                401,
                {
                    "status": "error",
                    "message": "Authentication credentials not found.",
                    "category": "INVALID_AUTHENTICATION",
                },
            )
        if req.method == "GET" and req.path == "/crm/v3/properties/contacts":
            return Reply(
                200, {"results": [{"name": n} for n in ("email", "firstname", "lastname", "phone")]}
            )
        if req.path == "/crm/v3/objects/contacts/batch/upsert":
            inputs = req.json()["inputs"]
            assert len(inputs) <= 100 and all(i["idProperty"] == "email" for i in inputs)
            if any("@" not in i["id"] for i in inputs):
                bad = next(i["id"] for i in inputs if "@" not in i["id"])
                return Reply(
                    400,
                    {
                        "status": "error",
                        "category": "VALIDATION_ERROR",
                        "message": f"Property values were not valid: invalid email {bad}",
                    },
                )
            results, errors = [], []
            for item in inputs:
                email = item["id"]
                if email.startswith("conflict"):
                    errors.append(
                        {
                            "status": "error",
                            "category": "CONFLICT",
                            "message": "Contact is being merged",
                            "context": {"ids": [email]},
                        }
                    )
                    continue
                contact = self.contacts.setdefault(
                    email, {"id": str(1000 + len(self.contacts)), "properties": {}}
                )
                contact["properties"].update(item["properties"])
                results.append({"id": contact["id"], "properties": {"email": email}, "new": True})
            body = {"status": "COMPLETE", "results": results}
            if errors:
                body.update(errors=errors, numErrors=len(errors))
            return Reply(207 if errors else 200, body)
        if req.path == "/crm/v3/objects/contacts/batch/read":
            ids = [i["id"] for i in req.json()["inputs"]]
            return Reply(
                200,
                {
                    "status": "COMPLETE",
                    "results": [
                        {"id": self._id(e), "properties": {"email": e}}
                        for e in ids
                        if e in self.contacts
                    ],
                },
            )
        if req.method == "PUT" and req.path == "/crm/v3/lists/42/memberships/add":
            self.list_members |= set(req.json())
            return Reply(200, {"recordIdsAdded": req.json(), "recordIdsMissing": []})
        if req.method == "PUT" and req.path == "/crm/v3/lists/42/memberships/remove":
            self.list_members -= set(req.json())
            return Reply(200, {"recordIdsRemoved": req.json(), "recordIdsMissing": []})
        return Reply(404, {"status": "error", "message": "not found"})


def test_upsert_multistatus_bad_rows_and_list_membership(project, monkeypatch):
    monkeypatch.setenv("CDP__DESTINATIONS__CRM__ACCESS_TOKEN", TOKEN)
    people = [person(i) for i in range(250)]
    people[10]["email"] = "not-an-email"
    people[20]["email"] = "conflict@example.com"
    project.set_members(people)
    fake = FakeHubspot()
    with RecordingServer(fake) as server:
        project.write_config(
            {"crm": {"connector": "hubspot", "config": {"list_id": "42", "base_url": server.url}}},
            [
                {
                    "segment": "vip",
                    "destination": "crm",
                    "mode": "mirror",
                    "fields": {"email": "email", "firstname": "first_name"},
                }
            ],
        )
        counts = stage_counts(project.sync())["syncs"]["vip->crm"]
        assert counts["added"] == 248 and counts["failed"] == 2 and counts["terminal"] == 1
        assert fake.contacts["user0@example.com"]["properties"]["firstname"] == "First0"
        assert len(fake.list_members) == 248
        reasons = dict(project.query("SELECT profile_id, reason FROM sync.failures"))
        assert "invalid email" in reasons["p000010"] and "CONFLICT" in reasons["p000020"]

        project.set_members(people[:200])
        counts = stage_counts(project.sync())["syncs"]["vip->crm"]
        assert counts["removed"] == 50 and counts["retried"] == 1  # the invalid email is terminal
        assert len(fake.list_members) == 198 and len(fake.contacts) == 248  # never deleted


def test_unknown_property(project, monkeypatch):
    monkeypatch.setenv("CDP__DESTINATIONS__CRM__ACCESS_TOKEN", TOKEN)
    project.set_members([person(1)])
    with RecordingServer(FakeHubspot()) as server:
        project.write_config(
            {"crm": {"connector": "hubspot", "config": {"base_url": server.url}}},
            [
                {
                    "segment": "vip",
                    "destination": "crm",
                    "fields": {"email": "email", "first_name": "first_name"},
                }
            ],
        )
        result = project.sync()
    assert (
        "syncs.0.fields.first_name" in result.error and "did you mean 'firstname'" in result.error
    )


def test_mirror_needs_a_list(project, monkeypatch):
    monkeypatch.setenv("CDP__DESTINATIONS__CRM__ACCESS_TOKEN", TOKEN)
    project.set_members([person(1)])
    project.write_config(
        {"crm": {"connector": "hubspot"}},
        [{"segment": "vip", "destination": "crm", "mode": "mirror", "fields": {"email": "email"}}],
    )
    result = project.sync()
    assert result.status == "failed" and "destinations.crm.config" in result.error
    assert "list_id" in result.error
