"""End to end with the real segments stage: segments/*.sql -> segments.<name> -> a sync."""

from __future__ import annotations

from cdp.run import run_sync
from tests.destinations.conftest import person, stage_counts


def test_segment_sql_to_files(project):
    project.write_config(
        {"out": {"connector": "files", "config": {"format": "csv"}}},
        [
            {
                "segment": "big_spenders",
                "destination": "out",
                "mode": "mirror",
                "fields": {"email": "email", "ltv": "lifetime_value"},
            }
        ],
    )
    (project.root / "segments").mkdir()
    sql = "SELECT profile_id, email, lifetime_value FROM profiles.profiles WHERE lifetime_value >= {n}\n"
    (project.root / "segments" / "big_spenders.sql").write_text(sql.format(n=3))
    project.set_members([person(i) for i in range(8)])
    result = run_sync(project.load(), only=["segments", "destinations"])
    assert result.status == "succeeded", result.error
    assert stage_counts(result)["syncs"]["big_spenders->out"]["added"] == 5
    (project.root / "segments" / "big_spenders.sql").write_text(sql.format(n=5))
    result = run_sync(project.load(), only=["segments", "destinations"])
    assert stage_counts(result)["syncs"]["big_spenders->out"]["removed"] == 2
