"""The delivery engine through the files destination: diffing, modes, holdout, plan, resync."""

from __future__ import annotations

import csv
import json

from click.testing import CliRunner

from cdp.cli import cli
from tests.destinations.conftest import person, stage_counts


def _config(project, mode="mirror", fmt="csv", **extra):
    project.write_config(
        {"out": {"connector": "files", "config": {"path": "exports", "format": fmt}}},
        [
            {
                "segment": "vip",
                "destination": "out",
                "mode": mode,
                "fields": {"email": "email", "FNAME": "first_name", "ltv": "lifetime_value"},
            }
        ],
        **extra,
    )


def _snapshot(project, fmt="csv"):
    path = project.root / "exports" / "vip__out" / f"snapshot.{fmt}"
    if fmt == "csv":
        with path.open() as fh:
            return {r["profile_id"]: r for r in csv.DictReader(fh)}
    return {
        json.loads(line)["profile_id"]: json.loads(line) for line in path.read_text().splitlines()
    }


def test_first_run_adds_everyone_and_rerun_sends_nothing(project):
    _config(project)
    project.set_members([person(i) for i in range(10)], holdout={"p000003"})
    result = project.sync()
    assert result.status == "succeeded"
    counts = stage_counts(result)["syncs"]["vip->out"]
    assert counts["added"] == 9 and counts["updated"] == 0 and counts["removed"] == 0
    snap = _snapshot(project)
    assert set(snap) == {f"p{i:06d}" for i in range(10)} - {"p000003"}  # holdout never sent
    assert snap["p000001"]["FNAME"] == "First1"

    again = stage_counts(project.sync())["syncs"]["vip->out"]
    assert again["added"] == again["updated"] == again["removed"] == 0


def test_changes_updates_and_mirror_removes(project):
    _config(project, fmt="jsonl")
    people = [person(i) for i in range(6)]
    project.set_members(people)
    project.sync()
    people[1]["first_name"] = "Changed"
    del people[5]
    people.append(person(9))
    project.set_members(people)
    counts = stage_counts(project.sync())["syncs"]["vip->out"]
    assert (counts["added"], counts["updated"], counts["removed"]) == (1, 1, 1)
    snap = _snapshot(project, "jsonl")
    assert "p000005" not in snap and snap["p000001"]["FNAME"] == "Changed" and "p000009" in snap
    parts = sorted((project.root / "exports" / "vip__out" / "changes").rglob("*.jsonl"))
    ops = [json.loads(line)["op"] for line in parts[-1].read_text().splitlines()]
    assert sorted(ops) == ["add", "update"] or "remove" in "".join(p.read_text() for p in parts)
    assert (
        project.query("SELECT count(*) FROM sync.delivered_state WHERE sync_key = 'vip->out'")[0][0]
        == 6
    )


def test_upsert_never_removes_and_add_never_updates(project):
    for mode, expect in (("upsert", (0, 1, 0)), ("add", (0, 0, 0))):
        _config(project, mode=mode)
        people = [person(i) for i in range(4)]
        project.set_members(people)
        project.sync(full_refresh=True)
        people[0]["first_name"] = "New"
        project.set_members(people[:3])
        counts = stage_counts(project.sync())["syncs"]["vip->out"]
        assert (counts["added"], counts["updated"], counts["removed"]) == expect, mode


def test_full_refresh_resends_everything(project):
    _config(project)
    project.set_members([person(i) for i in range(5)])
    project.sync()
    counts = stage_counts(project.sync(full_refresh=True))["syncs"]["vip->out"]
    assert counts["added"] + counts["updated"] == 5


def test_plan_prints_samples_and_sends_nothing(project):
    _config(project)
    project.set_members([person(i) for i in range(5)])
    out = CliRunner().invoke(
        cli, ["--project", str(project.root), "sync", "--only", "destinations", "--plan"]
    )
    assert out.exit_code == 0, out.output
    assert "vip->out (mirror): 5 to add, 0 to update, 0 to remove" in out.output
    assert "add    p000000" in out.output
    assert not (project.root / "exports").exists()
    assert (
        project.query("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'sync'")[
            0
        ][0]
        == 0
    )


def test_unknown_segment_column_names_the_cdp_yml_key(project):
    project.write_config(
        {"out": {"connector": "files"}},
        [{"segment": "vip", "destination": "out", "fields": {"email": "emial"}}],
    )
    project.set_members([person(1)])
    result = project.sync()
    assert result.status == "failed"
    assert (
        "cdp.yml:" in result.error
        and "syncs.0.fields.email" in result.error
        and "did you mean 'email'" in result.error
    )


def test_a_files_destination_declared_email_only_gets_consenting_people(project):
    project.write_config(
        {"out": {"connector": "files", "kind": "email", "config": {"format": "jsonl"}}},
        [{"segment": "vip", "destination": "out", "fields": {"email": "email"}}],
    )
    people = [person(i) for i in range(4)]
    people[2]["consent_email"] = False
    project.set_members(people)
    counts = stage_counts(project.sync())["syncs"]["vip->out"]
    assert counts["added"] == 3
    assert "p000002" not in _snapshot(project, "jsonl")
