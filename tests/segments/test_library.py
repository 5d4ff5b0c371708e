"""The starter library: written into new projects, valid, and materializing on real data."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from segdata import query

from cdp.cli import cli
from warehouse.segments.catalog import contract_catalog
from warehouse.segments.files import discover
from warehouse.segments.library import starter_segments, write_starter_segments
from warehouse.segments.validate import validate_segments

EXPECTED = {
    "rfm_champions",
    "at_risk_high_value",
    "new_customers",
    "churned_customers",
    "browse_abandonment",
    "cart_abandonment",
    "engaged_email_subscribers",
    "dormant_email_subscribers",
    "high_value_in_region",
    "social_engagers_no_purchase",
}


def test_written_once_and_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "segments"
    written = write_starter_segments(target)
    assert {p.stem for p in written} == EXPECTED == {p.stem for p in starter_segments()}
    (target / "rfm_champions.sql").write_text("select profile_id from profiles.profiles -- mine")
    assert write_starter_segments(target) == []
    assert "mine" in (target / "rfm_champions.sql").read_text()


def test_every_starter_segment_validates_and_is_documented(tmp_path: Path) -> None:
    files = discover(Path(starter_segments()[0]).parent)
    valid = validate_segments(files, contract_catalog())
    assert {v.name for v in valid} == EXPECTED
    assert all(f.description and f.owner for f in files)
    assert all("email" in v.columns for v in valid)  # every one can be synced to an email tool


def test_starter_segments_materialize(project: Path) -> None:
    write_starter_segments(project / "segments")
    from warehouse.connection import connect

    con = connect(project / ".cdp" / "warehouse.duckdb")
    con.execute(
        "INSERT INTO staging.events (source, event_id, record_id, email, event, timestamp) VALUES "
        "('web', 'v1', NULL, 'user0@example.com', 'Product Viewed', TIMESTAMPTZ '2026-01-30 20:00'), "
        "('web', 'a1', NULL, 'user5@example.com', 'Product Added', TIMESTAMPTZ '2026-01-29'), "
        "('social', 's1', NULL, 'user10@example.com', 'Social Comment', TIMESTAMPTZ '2026-01-10')"
    )
    con.close()
    result = CliRunner().invoke(
        cli, ["--project", str(project), "sync", "--only", "identity", "--only", "segments"]
    )
    assert "segments     succeeded" in result.output, result.output
    counts = dict(query(project, "SELECT segment, members FROM segments.runs"))
    assert set(counts) == EXPECTED
    # profile i has i % 5 orders, the last (i % 40) days ago; i % 5 == 0 never ordered
    assert counts["browse_abandonment"] == 1  # user0: viewed, never ordered
    assert counts["cart_abandonment"] == 1  # user5: added to cart, never ordered
    assert counts["social_engagers_no_purchase"] == 1  # user10
    first_orders = query(
        project,
        "SELECT count(*) FROM (SELECT record_id FROM staging.events WHERE event = 'Order Completed' "
        "GROUP BY record_id HAVING min(timestamp) >= TIMESTAMPTZ '2026-01-01')",
    )
    assert counts["new_customers"] == first_orders[0][0] > 0
    assert counts["high_value_in_region"] <= counts["rfm_champions"] + 40
