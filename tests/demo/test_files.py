"""The demo's files: deterministic, readable, shaped like the vendors' exports."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from cdp.demo import SOURCES, DemoResult, write_demo
from cdp.demo.project import WEB_EVENT_COLUMNS
from connectors.sources.files.presets import PRESETS


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".cdp" not in p.parts
    }


AS_OF = date(2026, 3, 1)


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    a = _files(write_demo(tmp_path / "a", 300, seed=3, as_of=AS_OF).dir)
    b = _files(write_demo(tmp_path / "b", 300, seed=3, as_of=AS_OF).dir)
    c = _files(write_demo(tmp_path / "c", 300, seed=4, as_of=AS_OF).dir)
    assert a == b
    assert a.keys() == c.keys()
    assert a["data/shopify_customers.csv"] != c["data/shopify_customers.csv"]
    assert a["truth/records.csv"] != c["truth/records.csv"]


def test_every_file_parses_with_duckdb_and_row_counts_match(demo: DemoResult) -> None:
    con = duckdb.connect()
    for name, export in demo.exports.items():
        total = 0
        for path in export.files:
            if path.suffix == ".csv":
                total += con.sql(
                    f"SELECT count(*) FROM read_csv('{path}', all_varchar=true)"
                ).fetchall()[0][0]
            else:
                total += con.sql(
                    f"SELECT count(*) FROM read_json('{path}', format='newline_delimited')"
                ).fetchall()[0][0]
        assert total == export.rows > 0, name


def _header(path: Path) -> set[str]:
    if path.suffix == ".csv":
        return set(
            duckdb.sql(f"SELECT * FROM read_csv('{path}', all_varchar=true) LIMIT 0").columns
        )
    with path.open(encoding="utf-8") as fh:
        row = json.loads(fh.readline())
    return set(row) | {f"{k}.{sub}" for k, v in row.items() if isinstance(v, dict) for sub in v}


@pytest.mark.parametrize("source", list(SOURCES))
def test_headers_hold_the_preset_columns(demo: DemoResult, source: str) -> None:
    export = demo.exports[source]
    if export.preset in PRESETS:
        preset = PRESETS[export.preset]
        wanted = set(preset.required) | ({preset.record_id} if preset.record_id else set())
    else:
        wanted = set(WEB_EVENT_COLUMNS.values())
    for path in export.files:
        missing = wanted - _header(path)
        assert not missing, f"{path.name} lacks {missing}"


def test_shopify_export_formats(demo: DemoResult) -> None:
    con = duckdb.connect()
    path = demo.dir / "data" / "shopify_orders.csv"
    rows = con.sql(
        f"""SELECT count(*), count(DISTINCT "Name"), count("Total"),
                   count(strptime("Created at", '%Y-%m-%d %H:%M:%S %z')),
                   min(strptime("Created at", '%Y-%m-%d %H:%M:%S %z')),
                   max(strptime("Created at", '%Y-%m-%d %H:%M:%S %z'))
            FROM read_csv('{path}', all_varchar=true)"""
    ).fetchall()[0]
    lines, orders, totals, parsed, first, last = rows
    assert lines > orders == totals  # order-level columns on the first line of each order only
    assert parsed == lines
    assert first.date() >= date(2024, 2, 1) and last.date() <= demo.as_of
    names = con.sql(
        f"""SELECT "Name" FROM read_csv('{path}', all_varchar=true) LIMIT 1"""
    ).fetchall()
    assert names[0][0] == "#1001"
    # Every customer's Total Orders is the number of orders placed with their email.
    cust = demo.dir / "data" / "shopify_customers.csv"
    assert (
        con.sql(
            f"""SELECT sum("Total Orders"::INT) FROM read_csv('{cust}', all_varchar=true)"""
        ).fetchall()[0][0]
        > 0
    )


def test_timestamp_formats_parse(demo: DemoResult) -> None:
    con = duckdb.connect()
    data = demo.dir / "data"
    checks = [
        (data / "hubspot_contacts.csv", "Create Date", "%Y-%m-%d %H:%M"),
        (data / "hubspot_contacts.csv", "Last Modified Date", "%Y-%m-%d %H:%M"),
        (data / "mailchimp_unsubscribed_members.csv", "UNSUB_TIME", "%Y-%m-%d %H:%M:%S"),
        (data / "mailchimp_subscribed_members.csv", "OPTIN_TIME", "%Y-%m-%d %H:%M:%S"),
        (data / "facebook_leads.csv", "created_time", "%Y-%m-%dT%H:%M:%S%z"),
    ]
    for path, column, fmt in checks:
        bad = con.sql(
            f"""SELECT count(*) FROM read_csv('{path}', all_varchar=true)
                WHERE "{column}" IS NOT NULL AND try_strptime("{column}", '{fmt}') IS NULL"""
        ).fetchall()[0][0]
        assert bad == 0, (path.name, column)
    actions = con.sql(
        f"SELECT DISTINCT action FROM read_json('{data / 'mailchimp_activity.jsonl'}', format='newline_delimited')"
    ).fetchall()
    assert {a for (a,) in actions} == {"sent", "open", "click", "bounce", "unsub"}


def test_project_files(demo: DemoResult) -> None:
    from cdp.config import load_project

    project = load_project(demo.dir)
    assert set(project.config.sources) == set(SOURCES)
    assert (demo.dir / "README.md").read_text(encoding="utf-8").startswith("# cdp demo project")
    assert (demo.dir / ".env.example").is_file()
    assert list((demo.dir / "segments").glob("*.sql"))
