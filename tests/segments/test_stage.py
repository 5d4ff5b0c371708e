"""End to end: a project folder, `cdp sync --only segments` and the `cdp segments` commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from segdata import query

from cdp.cli import cli
from cdp.config import load_project
from cdp.run import run_sync
from warehouse.connection import connect
from warehouse.segments.errors import SegmentValidationError

Write = Callable[[str, str], Path]


def sync(project: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--project", str(project), "sync", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.output


def cdp(project: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["--project", str(project), *args])


def test_sync_materializes_with_history(project: Path, segment: Write) -> None:
    segment(
        "buyers",
        "-- description: Anyone who ordered\nselect profile_id, email from profiles.profiles where order_count > 0",
    )
    segment(
        "repeat",
        "select profile_id, email from segments.buyers where profile_id in "
        "(select profile_id from profiles.profiles where order_count >= 3)",
    )
    out = sync(project, "--only", "identity", "--only", "segments")
    assert "buyers has 40 members (+40 entered, -0 exited)" in out, out
    assert "repeat has 20 members" in out
    assert query(project, "select count(*) from segments.buyers") == [(40,)]
    cols = query(
        project,
        "select column_name from information_schema.columns "
        "where table_schema = 'segments' and table_name = 'buyers' order by ordinal_position",
    )
    assert [c[0] for c in cols] == ["profile_id", "cdp_holdout", "email"]

    # members leave: fewer buyers after orders of profiles p1 (1 order) are deleted
    con = connect(project / ".cdp" / "warehouse.duckdb")
    con.execute("delete from staging.events where record_id in ('c1', 'c6')")
    con.close()
    out = sync(project, "--only", "identity", "--only", "segments")
    assert "buyers has 38 members (+0 entered, -2 exited)" in out, out
    rows = query(
        project,
        "select profile_id, exited_at is not null from segments.membership "
        "where segment = 'buyers' and profile_id in ('p1', 'p6')",
    )
    assert sorted(rows) == [("p1", True), ("p6", True)]
    # and come back: a new open row, the old one stays closed
    con = connect(project / ".cdp" / "warehouse.duckdb")
    con.execute(
        "insert into staging.events (source, event_id, record_id, event, timestamp, revenue) "
        "values ('shop', 'new', 'c1', 'Order Completed', TIMESTAMPTZ '2026-01-30', 5)"
    )
    con.close()
    out = sync(project, "--only", "identity", "--only", "segments")
    assert "buyers has 39 members (+1 entered, -0 exited)" in out
    assert query(
        project,
        "select count(*), count(exited_at) from segments.membership "
        "where segment = 'buyers' and profile_id = 'p1'",
    ) == [(2, 1)]
    runs = query(
        project,
        "select members, entered, exited, status from segments.runs "
        "where segment = 'buyers' order by started_at",
    )
    assert runs == [(40, 40, 0, "succeeded"), (38, 0, 2, "succeeded"), (39, 1, 0, "succeeded")]

    history = cdp(project, "segments", "history", "buyers")
    assert history.exit_code == 0 and "+1" in history.output and "-2" in history.output
    listing = cdp(project, "segments", "list")
    assert (
        "buyers" in listing.output
        and "39" in listing.output
        and "Anyone who ordered" in listing.output
    )


def test_holdout_is_deterministic_and_stable(project: Path, segment: Write) -> None:
    segment("everyone", "-- holdout: 30%\nselect profile_id from profiles.profiles")
    sync(project, "--only", "identity", "--only", "segments")
    first = query(project, "select profile_id from segments.everyone where cdp_holdout order by 1")
    assert 5 <= len(first) <= 25  # 30% of 50, by hash
    sync(project, "--only", "segments")
    assert (
        query(project, "select profile_id from segments.everyone where cdp_holdout order by 1")
        == first
    )
    assert (
        query(
            project,
            "select profile_id from segments.membership where segment = 'everyone' "
            "and cdp_holdout order by 1",
        )
        == first
    )
    # the same profiles land in the control group of a fresh warehouse too
    con = connect(project / ".cdp" / "warehouse.duckdb")
    con.execute("drop table segments.everyone; delete from segments.membership")
    con.close()
    sync(project, "--only", "segments")
    assert (
        query(project, "select profile_id from segments.everyone where cdp_holdout order by 1")
        == first
    )


def test_plan_writes_nothing(project: Path, segment: Write) -> None:
    segment("buyers", "select profile_id from profiles.profiles where order_count > 0")
    sync(project, "--only", "identity")
    out = sync(project, "--only", "segments", "--plan")
    assert "buyers would have 40 members (+40 entered, -0 exited)" in out, out
    assert query(
        project, "select count(*) from information_schema.tables where table_name = 'buyers'"
    ) == [(0,)]


def test_invalid_segment_fails_the_stage_with_every_problem(project: Path, segment: Write) -> None:
    segment("good", "select profile_id from profiles.profiles")
    segment("bad1", "select emial from profiles.profiles")
    segment("bad2", "copy profiles.profiles to 'x.csv'")
    out = sync(project, "--only", "identity", "--only", "segments")
    assert "bad1.sql" in out and "bad2.sql" in out and "failed" in out
    assert query(
        project, "select count(*) from information_schema.tables where table_name = 'good'"
    ) == [(0,)]
    result = cdp(project, "segments", "validate")
    assert result.exit_code == 1
    if isinstance(result.exception, SegmentValidationError):  # raised, or printed by the CLI
        text = str(result.exception)
    else:
        text = result.output
    assert "3 problems in segment files" in text  # emial, no profile_id, COPY
    assert "bad1.sql:1:8: unknown column 'emial' (did you mean 'email'?)" in text
    assert "bad2.sql:1:1: COPY is not allowed" in text


def test_runaway_segment_is_stopped_and_others_materialize(project: Path, segment: Write) -> None:
    segment("fine", "select profile_id from profiles.profiles")
    segment(
        "runaway",
        "-- timeout: 1\nselect profile_id from profiles.profiles, range(1000000000000) as t(i)\n"
        "where hash(i + length(profile_id)) = 42",
    )
    segment("after_runaway", "select profile_id from segments.runaway")
    project_ = load_project(project)
    run_sync(project_, only=["identity"])
    result = run_sync(project_, only=["segments"])
    stage = result.stages[0]
    assert stage.status == "partial" and result.status == "partial"
    assert any("runaway" in e and "time limit" in e for e in stage.errors)
    assert any("after_runaway" in e and "skipped" in e for e in stage.errors)
    assert query(project, "select count(*) from segments.fine") == [(50,)]
    assert query(project, "select segment, status from segments.runs order by segment") == [
        ("after_runaway", "skipped"),
        ("fine", "succeeded"),
        ("runaway", "failed"),
    ]


def test_a_failing_segment_keeps_its_previous_members(project: Path, segment: Write) -> None:
    path = segment("buyers", "select profile_id from profiles.profiles where order_count > 0")
    sync(project, "--only", "identity", "--only", "segments")
    path.write_text(
        # fails on every row, whatever DuckDB's division-by-zero semantics (inf in 2.x)
        "select profile_id from profiles.profiles where cast('x' || profile_id as integer) = 1"
    )
    result = run_sync(load_project(project), only=["segments"])
    assert result.stages[0].status == "failed"
    assert query(project, "select count(*) from segments.buyers") == [(40,)]
    assert query(project, "select count(*) from segments.membership where exited_at is null") == [
        (40,)
    ]


def test_duplicates_and_null_profile_ids_are_counted_not_kept(
    project: Path, segment: Write
) -> None:
    segment(
        "dups",
        "select profile_id from profiles.profiles union all select profile_id from profiles.profiles "
        "union all select null as profile_id",
    )
    out = sync(project, "--only", "identity", "--only", "segments")
    assert (
        "dups has 50 members" in out and "51 rows without a profile_id or repeated skipped" in out
    )
    assert query(project, "select skipped_rows from segments.runs") == [(51,)]


def test_preview_does_not_materialize(project: Path, segment: Write) -> None:
    segment(
        "buyers",
        "select profile_id, order_count from profiles.profiles where order_count > 0 order by profile_id",
    )
    sync(project, "--only", "identity")
    result = cdp(project, "segments", "preview", "buyers", "--limit", "3")
    assert result.exit_code == 0, result.output
    assert "buyers: 40 rows" in result.output and "order_count" in result.output
    assert query(
        project, "select count(*) from information_schema.tables where table_name = 'buyers'"
    ) == [(0,)]
    missing = cdp(project, "segments", "preview", "buyer")
    assert missing.exit_code != 0 and "did you mean 'buyers'" in missing.output


def test_no_segments_is_skipped(project: Path) -> None:
    out = sync(project, "--only", "segments")
    assert "no .sql files" in out


@pytest.mark.parametrize("key", ["segments: queries/", "segments: queries"])
def test_segments_folder_from_config(project: Path, key: str) -> None:
    (project / "cdp.yml").write_text(f"name: acme\n{key}\n", encoding="utf-8")
    (project / "queries").mkdir()
    (project / "queries" / "all.sql").write_text("select profile_id from profiles.profiles")
    out = sync(project, "--only", "identity", "--only", "segments")
    assert "all has 50 members" in out


def test_removed_segment_is_retired(project: Path, segment: Write) -> None:
    path = segment("gone", "select profile_id from profiles.profiles")
    segment("stays", "select profile_id from profiles.profiles where order_count > 0")
    sync(project, "--only", "identity", "--only", "segments")
    path.unlink()
    out = sync(project, "--only", "segments")
    assert "gone retired" in out and "50 members exited" in out, out
    assert query(
        project,
        "select count(*) from segments.membership where segment = 'gone' and exited_at is null",
    ) == [(0,)]
    assert query(
        project, "select count(*) from information_schema.tables where table_name = 'gone'"
    ) == [(0,)]
    assert query(
        project,
        "select count(*) from segments.membership where segment = 'stays' and exited_at is null",
    ) == [(40,)]


def test_changing_the_holdout_updates_open_membership(project: Path, segment: Write) -> None:
    path = segment("everyone", "-- holdout: 30%\nselect profile_id from profiles.profiles")
    sync(project, "--only", "identity", "--only", "segments")
    assert query(project, "select count(*) from segments.membership where cdp_holdout") != [(0,)]
    path.write_text("select profile_id from profiles.profiles")
    out = sync(project, "--only", "segments")
    assert "everyone has 50 members (+0 entered, -0 exited)" in out
    assert query(project, "select count(*) from segments.membership where cdp_holdout") == [(0,)]


def test_list_marks_invalid_segments(project: Path, segment: Write) -> None:
    segment("good", "-- description: fine\nselect profile_id from profiles.profiles")
    segment("broken", "select profile_id from profiles.nope")
    result = cdp(project, "segments", "list")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:] if line.strip()}
    assert "invalid" in lines["broken"] and "never run" in lines["good"]


def test_plan_of_a_chain_reads_the_planned_upstream(project: Path, segment: Write) -> None:
    segment("buyers", "select profile_id from profiles.profiles where order_count > 0")
    segment(
        "big_buyers",
        "select b.profile_id from segments.buyers b join profiles.profiles p "
        "using (profile_id) where p.order_count >= 3",
    )
    sync(project, "--only", "identity")
    out = sync(project, "--only", "segments", "--plan")
    assert "buyers would have 40 members" in out and "big_buyers would have 20 members" in out, out
    assert query(
        project,
        "select count(*) from information_schema.tables where table_schema = 'segments' "
        "and table_name like '%buyers'",
    ) == [(0,)]
