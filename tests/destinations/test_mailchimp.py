"""Mailchimp against a local server speaking its batch-subscribe, merge-field and tag contract."""

from __future__ import annotations

import base64
import re

from connectors.destinations.mailchimp import subscriber_hash
from tests.destinations.conftest import person, stage_counts
from tests.destinations.server import RecordingServer, Reply

KEY = "0123456789abcdef0123456789abcdef-us6"


class FakeMailchimp:
    """Members by subscriber hash, tags as static segments; 'compliance' addresses refuse updates."""

    def __init__(self) -> None:
        self.members: dict[str, dict] = {}
        self.tagged: set[str] = set()
        self.throttle_once = True

    def __call__(self, req):
        auth = req.headers.get("Authorization", "")
        if base64.b64decode(auth.split()[-1]).decode().split(":", 1)[1] != KEY:
            return Reply(401, {"title": "API Key Invalid", "status": 401})
        if req.method == "GET" and req.path.endswith("/merge-fields"):
            return Reply(200, {"merge_fields": [{"tag": "FNAME"}, {"tag": "LNAME"}]})
        if req.method == "GET" and req.path.endswith("/segments"):
            return Reply(200, {"segments": [{"id": 77, "name": "vip"}]})
        if req.method == "POST" and re.fullmatch(r"/3.0/lists/abc123", req.path):
            if self.throttle_once:
                self.throttle_once = False
                return Reply(429, {"title": "Too Many Requests"}, {"Retry-After": "1"})
            body = req.json()
            assert len(body["members"]) <= 500 and body["update_existing"] is True
            new, errors = [], []
            for m in body["members"]:
                email = m["email_address"].lower()
                if "compliance" in email:
                    errors.append(
                        {
                            "email_address": email,
                            "error": f"{email} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.",
                            "error_code": "ERROR_GENERIC",
                        }
                    )
                elif "@" not in email:
                    errors.append(
                        {
                            "email_address": email,
                            "error": "Please provide a valid email address.",
                            "error_code": "ERROR_GENERIC",
                        }
                    )
                else:
                    self.members[subscriber_hash(email)] = m
                    new.append({"email_address": email})
            return Reply(
                200,
                {
                    "new_members": new,
                    "updated_members": [],
                    "errors": errors,
                    "total_created": len(new),
                    "total_updated": 0,
                    "error_count": len(errors),
                },
            )
        if req.method == "POST" and req.path == "/3.0/lists/abc123/segments/77":
            body = req.json()
            added = body.get("members_to_add", [])
            removed = body.get("members_to_remove", [])
            self.tagged |= {e.lower() for e in added}
            self.tagged -= {e.lower() for e in removed}
            return Reply(
                200,
                {
                    "members_added": [],
                    "members_removed": [],
                    "errors": [],
                    "total_added": len(added),
                    "total_removed": len(removed),
                    "error_count": 0,
                },
            )
        return Reply(404, {"title": "Resource Not Found"})


def _config(project, url, mode="mirror", **extra):
    project.write_config(
        {
            "news": {
                "connector": "mailchimp",
                "config": {"list_id": "abc123", "base_url": url + "/3.0", "backoff_seconds": 0.01},
            }
        },
        [
            {
                "segment": "vip",
                "destination": "news",
                "mode": mode,
                "fields": {"email": "email", "FNAME": "first_name"},
            }
        ],
        **extra,
    )


def test_upsert_tag_consent_suppression_and_compliance(project, monkeypatch):
    monkeypatch.setenv("CDP__DESTINATIONS__NEWS__API_KEY", KEY)
    (project.root / "suppression.csv").write_text("email\nSUPPRESSED@example.com\n")
    people = [person(i) for i in range(8)]
    people[1]["consent_email"] = False
    people[2]["email"] = "suppressed@example.com"
    people[3]["email"] = "compliance@example.com"
    people[4]["consent_email"] = None
    project.set_members(people, holdout={"p000006"})
    fake = FakeMailchimp()
    with RecordingServer(fake) as server:
        _config(project, server.url, suppression={"file": "suppression.csv"})
        result = project.sync()
        counts = stage_counts(result)["syncs"]["vip->news"]
        assert counts["added"] == 3 and counts["failed"] == 1 and counts["terminal"] == 1
        assert counts["retried_requests"] == 1  # the 429
        sent = b"".join(r.body for r in server.requests).lower()
        for never in (b"user1@", b"suppressed@", b"user4@", b"user6@"):
            assert never not in sent, never
        assert fake.tagged == {"user0@example.com", "user5@example.com", "user7@example.com"}
        reason = project.query("SELECT reason FROM sync.failures WHERE profile_id = 'p000003'")[0][
            0
        ]
        assert "compliance state" in reason

        # the terminal row is not retried; a member who leaves loses the tag, not the subscription
        project.set_members(
            [p for p in people if p["profile_id"] != "p000005"], holdout={"p000006"}
        )
        before = len(server.requests)
        counts = stage_counts(project.sync())["syncs"]["vip->news"]
        assert counts["removed"] == 1 and counts["failed"] == 0
        assert fake.tagged == {"user0@example.com", "user7@example.com"}
        assert subscriber_hash("user5@example.com") in fake.members
        assert all(b"compliance@" not in r.body for r in server.requests[before:])


def test_consent_withdrawn_leaves_the_list_even_in_upsert_mode(project, monkeypatch):
    monkeypatch.setenv("CDP__DESTINATIONS__NEWS__API_KEY", KEY)
    people = [person(i) for i in range(3)]
    project.set_members(people)
    fake = FakeMailchimp()
    with RecordingServer(fake) as server:
        _config(project, server.url, mode="upsert")
        project.sync()
        people[0]["consent_email"] = False
        project.set_members(people)
        counts = stage_counts(project.sync())["syncs"]["vip->news"]
    assert counts["removed"] == 1 and "user0@example.com" not in fake.tagged
    assert fake.members[subscriber_hash("user0@example.com")]["status"] == "unsubscribed"
    assert fake.members[subscriber_hash("user1@example.com")].get("status") is None


def test_unknown_merge_field_and_bad_key(project, monkeypatch):
    monkeypatch.setenv("CDP__DESTINATIONS__NEWS__API_KEY", KEY)
    project.set_members([person(1)])
    with RecordingServer(FakeMailchimp()) as server:
        project.write_config(
            {
                "news": {
                    "connector": "mailchimp",
                    "config": {"list_id": "abc123", "base_url": server.url + "/3.0"},
                }
            },
            [
                {
                    "segment": "vip",
                    "destination": "news",
                    "fields": {"email": "email", "FNAM": "first_name"},
                }
            ],
        )
        result = project.sync()
        assert "syncs.0.fields.FNAM" in result.error and "did you mean 'FNAME'" in result.error
        monkeypatch.setenv("CDP__DESTINATIONS__NEWS__API_KEY", "wrong-key-us6")
        _config(project, server.url)
        result = project.sync()
    assert result.status == "failed"
    assert "CDP__DESTINATIONS__NEWS__API_KEY" in result.error and "wrong-key" not in result.error


def test_unsubscribed_event_blocks_the_address(project, monkeypatch):
    import duckdb

    monkeypatch.setenv("CDP__DESTINATIONS__NEWS__API_KEY", KEY)
    project.set_members([person(i) for i in range(3)])
    con = duckdb.connect(str(project.warehouse))
    con.execute(
        "CREATE TABLE staging.events (source VARCHAR, event_id VARCHAR, record_id VARCHAR, email VARCHAR, "
        "anonymous_id VARCHAR, event VARCHAR, timestamp TIMESTAMPTZ, properties JSON, revenue DECIMAL(18, 2), "
        "currency VARCHAR)"
    )
    con.execute(
        "INSERT INTO staging.events (source, event_id, email, event, timestamp) "
        "VALUES ('esp', 'e1', 'USER1@example.com', 'Unsubscribed', now())"
    )
    con.close()
    fake = FakeMailchimp()
    with RecordingServer(fake) as server:
        _config(project, server.url)
        counts = stage_counts(project.sync())["syncs"]["vip->news"]
        assert counts["added"] == 2
        assert all(b"user1@" not in r.body.lower() for r in server.requests)
