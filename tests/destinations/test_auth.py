"""Every SaaS destination turns refused credentials into one line naming the secret to fix."""

from __future__ import annotations

import pytest

from tests.destinations.conftest import person
from tests.destinations.server import RecordingServer, Reply

CASES = [
    ("hubspot", "ACCESS_TOKEN", {}, {"email": "email"}, 401),
    ("klaviyo", "API_KEY", {"list_id": "L1"}, {"email": "email"}, 401),
    ("mailchimp", "API_KEY", {"list_id": "abc"}, {"email": "email"}, 401),
    ("meta_audiences", "ACCESS_TOKEN", {"audience_id": "1"}, {"EMAIL": "email"}, 403),
    ("webhook", "SECRET", {}, {"email": "email"}, 401),
]


@pytest.mark.parametrize(("connector", "secret", "config", "fields", "status"), CASES)
def test_refused_credentials(project, monkeypatch, connector, secret, config, fields, status):
    token = f"super-secret-{connector}-value"
    monkeypatch.setenv(f"CDP__DESTINATIONS__TOOL__{secret}", token)
    project.set_members([person(1)])
    with RecordingServer(
        lambda req: Reply(status, {"message": f"invalid credentials {token}"})
    ) as server:
        base = {"url": server.url} if connector == "webhook" else {"base_url": server.url}
        project.write_config(
            {"tool": {"connector": connector, "config": {**config, **base}}},
            [{"segment": "vip", "destination": "tool", "fields": fields}],
        )
        result = project.sync()
    assert result.status == "failed"
    assert (
        "destination 'tool'" in result.error
        and f"CDP__DESTINATIONS__TOOL__{secret}" in result.error
    )
    assert token not in result.error and len(result.error.splitlines()) == 1
