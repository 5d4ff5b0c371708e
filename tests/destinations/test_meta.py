"""Meta custom audiences: normalization + SHA-256, no raw identifiers on the wire, batching."""

from __future__ import annotations

import hashlib

import pytest

from connectors.destinations.meta_format import format_key
from tests.destinations.conftest import person, stage_counts
from tests.destinations.server import RecordingServer, Reply

TOKEN = "EAAB-meta-test-token-123"


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("key", "raw", "normalized"),
    [
        ("EMAIL", "  Mary@Example.COM ", "mary@example.com"),
        ("PHONE", "+44 7911 123456", "447911123456"),
        ("FN", "José", "josé"),
        ("LN", "O'Brien", "obrien"),
        ("FI", "Mary", "m"),
        ("CT", "St. Louis", "saintlouis"),
        ("ST", "California", "ca"),
        ("ZIP", "SW1A 1AA", "sw1a1aa"),
        ("COUNTRY", "United Kingdom", "gb"),
        ("DOBY", "1990-01-02", "1990"),
        ("DOBM", "1990-01-02", "01"),
        ("DOBD", "1990-01-02", "02"),
        ("GEN", "Female", "f"),
    ],
)
def test_keys_are_normalized_then_hashed(key, raw, normalized):
    assert format_key(key, raw, "gb") == h(normalized)


def test_golden_vector_hashed_passthrough_and_clear_keys():
    assert (
        format_key("EMAIL", "mary@example.com", None)
        == "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79"
    )
    digest = h("someone@example.com").upper()
    assert format_key("EMAIL", digest, None) == digest.lower()
    assert format_key("EXTERN_ID", " crm-42 ", None) == "crm-42"
    assert format_key("EMAIL", "not an email", None) == ""


def test_audience_add_remove_without_raw_identifiers(project, monkeypatch):
    monkeypatch.setenv("CDP__DESTINATIONS__ADS__ACCESS_TOKEN", TOKEN)
    audience: set[str] = set()

    def handler(req):
        assert req.headers["Authorization"] == f"Bearer {TOKEN}"
        assert req.path == "/v21.0/123456/users"
        payload = req.json()["payload"]
        assert len(payload["data"]) <= 10_000 and len(req.body) <= 2_500
        emails = {row[payload["schema"].index("EMAIL")] for row in payload["data"]}
        if req.method == "POST":
            audience.update(emails)
        else:
            audience.difference_update(emails)
        return Reply(
            200,
            {
                "audience_id": "123456",
                "session_id": "1",
                "num_received": len(emails),
                "num_invalid_entries": 0,
                "invalid_entry_samples": {},
            },
        )

    people = [person(i, phone=f"+44 7911 {100000 + i}") for i in range(30)]
    people[2]["consent_email"] = False
    with RecordingServer(handler) as server:
        project.write_config(
            {
                "ads": {
                    "connector": "meta_audiences",
                    "config": {
                        "audience_id": "123456",
                        "base_url": server.url + "/v21.0",
                        "max_request_bytes": 2_500,
                    },
                }
            },
            [
                {
                    "segment": "vip",
                    "destination": "ads",
                    "mode": "mirror",
                    "fields": {"EMAIL": "email", "PHONE": "phone", "FN": "first_name"},
                }
            ],
        )
        project.set_members(people, holdout={"p000003"})
        counts = stage_counts(project.sync())["syncs"]["vip->ads"]
        assert counts["added"] == 28
        assert audience == {h(f"user{i}@example.com") for i in range(30) if i not in (2, 3)}
        assert len([r for r in server.requests if r.method == "POST"]) > 1  # split by bytes
        project.set_members(people[5:], holdout={"p000003"})
        counts = stage_counts(project.sync())["syncs"]["vip->ads"]
        assert counts["removed"] == 3  # p0, p1, p4 (p2 never had consent, p3 is holdout)
        wire = b"".join(r.body + str(r.headers).encode() for r in server.requests).lower()
    assert audience == {h(f"user{i}@example.com") for i in range(5, 30)}
    for p in people:
        digits = "44" + p["phone"].replace("+44", "").replace(" ", "")
        assert p["email"].lower().encode() not in wire and digits.encode() not in wire
        assert p["first_name"].lower().encode() not in wire


def test_expired_token_names_the_setting(project, monkeypatch):
    monkeypatch.setenv("CDP__DESTINATIONS__ADS__ACCESS_TOKEN", TOKEN)
    error = {
        "error": {
            "message": f"Error validating access token {TOKEN}",
            "type": "OAuthException",
            "code": 190,
        }
    }
    with RecordingServer(lambda req: Reply(400, error)) as server:
        project.write_config(
            {
                "ads": {
                    "connector": "meta_audiences",
                    "config": {"audience_id": "1", "base_url": server.url},
                }
            },
            [{"segment": "vip", "destination": "ads", "fields": {"EMAIL": "email"}}],
        )
        project.set_members([person(1)])
        result = project.sync()
    assert result.status == "failed" and "CDP__DESTINATIONS__ADS__ACCESS_TOKEN" in result.error
    assert TOKEN not in result.error


def test_unknown_meta_key(project, monkeypatch):
    monkeypatch.setenv("CDP__DESTINATIONS__ADS__ACCESS_TOKEN", TOKEN)
    project.write_config(
        {"ads": {"connector": "meta_audiences", "config": {"audience_id": "1"}}},
        [{"segment": "vip", "destination": "ads", "fields": {"EMAL": "email"}}],
    )
    project.set_members([person(1)])
    result = project.sync()
    assert "syncs.0.fields.EMAL" in result.error and "did you mean 'EMAIL'" in result.error
