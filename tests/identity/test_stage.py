"""End to end: a project with a cdp.yml, records in its warehouse, `cdp sync --only identity`,
then `cdp profiles show` and `cdp identity explain|never-merge|unmerge` through the CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdp.cli import cli
from cdp.config import Project
from cdp.errors import ConfigError
from tests.identity.conftest import insert, rec, write_project
from warehouse.connection import connect, ensure_layout


def _cdp(project: Project, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--project", str(project.dir), *args], catch_exceptions=False)
    return result.exit_code, result.output


def _seed(project: Project) -> None:
    con = connect(project.warehouse_path)
    ensure_layout(con)
    insert(
        con,
        [
            rec("shop", "1", email="Ann@Example.com", phone="(415) 555-0123", first_name="Ann", last_name="Lee",
                external_ids={"shopify_customer_id": "7001"}),
            rec("crm", "9", email="ann@example.com", first_name="Annie", last_name="Lee", date_of_birth=date(1990, 5, 1),
                external_ids={"hubspot_contact_id": "501"}),
            rec("social", "a", phone="+1 415 555 0123", first_name="Ann", last_name="Lee"),
            rec("shop", "2", email="bob@example.com", first_name="Bob", last_name="Stone"),
        ],
    )  # fmt: skip
    con.execute(
        "INSERT INTO staging.events (source, event_id, record_id, event, timestamp, revenue, currency) "
        "VALUES ('shop', 'e1', '1', 'Order Completed', ?, 42.50, 'USD')",
        [datetime(2026, 1, 2, tzinfo=UTC)],
    )
    con.close()


def test_sync_show_explain_and_correct(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    _seed(project)
    code, out = _cdp(project, "sync", "--only", "identity", "--plan")
    assert code == 0, out
    assert "would" in out and "2 new profiles" in out
    con = connect(project.warehouse_path, read_only=True)
    tables = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'identity'"
    ).fetchall()
    assert tables == []  # a plan writes nothing, not even empty tables
    con.close()

    code, out = _cdp(project, "sync", "--only", "identity")
    assert code == 0, out
    assert "4 records -> 2 profiles; 2 new profiles" in out
    assert "identity: normalizing " in out and " matching " in out and " writing " in out

    code, out = _cdp(project, "profiles", "show", "ANN@example.com")
    assert code == 0, out
    assert "shop:1" in out and "crm:9" in out and "social:a" in out and "Order Completed" in out
    code, out = _cdp(project, "profiles", "show", "415-555-0123", "--json")
    data = json.loads(out)
    pid = data["profile_id"]
    assert data["golden"]["email"] == "ann@example.com" and data["golden"]["record_count"] == 3

    code, out = _cdp(project, "identity", "explain", pid)
    assert code == 0, out
    assert "email = ann@example.com" in out and "phone = +14155550123" in out and "new" in out

    code, out = _cdp(project, "identity", "never-merge", "shop:1", "crm:9")
    assert code == 0, out
    code, out = _cdp(project, "sync", "--only", "identity")
    assert "1 splits" in out
    code, out = _cdp(project, "identity", "overrides")
    assert "never_merge" in out

    code, out = _cdp(project, "sync", "--only", "identity")  # nothing new: nothing changes
    assert "0 new profiles, 0 records joined, 0 merges, 0 splits" in out

    # A new record: an incremental run through the CLI, committed like a full one.
    con = connect(project.warehouse_path)
    insert(con, [rec("crm", "10", email="BOB@example.com", first_name="Bob")])
    con.close()
    code, out = _cdp(project, "sync", "--only", "identity")
    assert code == 0, out
    assert "incremental: 1 new or changed" in out and "1 records joined" in out
    code, out = _cdp(project, "profiles", "show", "bob@example.com", "--json")
    assert {"shop:2", "crm:10"} <= {
        f"{r['source']}:{r['record_id']}" for r in json.loads(out)["records"]
    }


def test_unknown_profile_is_one_clear_error(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    _seed(project)
    _cdp(project, "sync", "--only", "identity")
    result = CliRunner().invoke(
        cli, ["--project", str(project.dir), "profiles", "show", "nobody@example.com"]
    )
    assert result.exit_code == 1
    assert "no profile found" in result.output
    result = CliRunner().invoke(
        cli, ["--project", str(project.dir), "identity", "never-merge", "shop1", "crm:9"]
    )
    assert result.exit_code == 1
    assert "SOURCE:RECORD_ID" in result.output


def test_identity_rules_from_cdp_yml(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        "identity:\n  rules:\n    - {kind: exact, name: by_email, identifiers: [email]}\n",
    )
    _seed(project)
    code, out = _cdp(project, "sync", "--only", "identity")
    assert code == 0, out
    # Without the phone rule the social record stays on its own.
    assert "4 records -> 3 profiles" in out


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (
            "    - kind: fuzzy\n      name: names\n      block_on: [[last_name, postcod]]\n",
            ["'postcod' is not allowed", "did you mean 'postcode'?"],
        ),
        (
            "    - {kind: exact, name: people, identifiers: [email]}\n"
            "    - {kind: probabilistic, name: people}\n",
            ["two rules are named 'people'"],
        ),
    ],
    ids=["misspelt field", "one name twice"],
)
def test_a_mistake_in_the_identity_rules_is_named_with_its_line(
    tmp_path: Path, rules: str, expected: list[str]
) -> None:
    with pytest.raises(ConfigError) as error:
        write_project(tmp_path, "identity:\n  rules:\n" + rules)
    assert "cdp.yml:" in str(error.value)
    for text in expected:
        assert text in str(error.value)
