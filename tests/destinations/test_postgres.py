"""The postgres destination against the real server on 127.0.0.1:5432."""

from __future__ import annotations

import uuid

import pytest

from tests.destinations.conftest import person, stage_counts

psycopg = pytest.importorskip("psycopg")
DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres connect_timeout=3"

pytestmark = pytest.mark.services


@pytest.fixture
def pg():
    try:
        conn = psycopg.connect(DSN, autocommit=True)
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    schema = f"cdp_test_{uuid.uuid4().hex[:8]}"
    yield conn, schema
    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    conn.close()


def test_upsert_and_mirror_delete(project, monkeypatch, pg):
    conn, schema = pg
    monkeypatch.setenv("CDP__DESTINATIONS__WH__DSN", DSN)
    project.write_config(
        {"wh": {"connector": "postgres", "config": {"table": f"{schema}.vip", "batch_rows": 7}}},
        [
            {
                "segment": "vip",
                "destination": "wh",
                "mode": "mirror",
                "fields": {
                    "email": "email",
                    "first_name": "first_name",
                    "ltv": "lifetime_value",
                    "born": "date_of_birth",
                },
            }
        ],
    )
    people = [person(i) for i in range(20)]
    project.set_members(people, holdout={"p000001"})
    counts = stage_counts(project.sync())["syncs"]["vip->wh"]
    assert counts["added"] == 19
    rows = dict(conn.execute(f'SELECT profile_id, ltv FROM "{schema}".vip').fetchall())
    assert len(rows) == 19 and rows["p000004"] == 4.0 and "p000001" not in rows
    born = conn.execute(
        f"SELECT born FROM \"{schema}\".vip WHERE profile_id = 'p000002'"
    ).fetchall()[0][0]
    assert str(born) == "1990-01-02"
    types = dict(
        conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = %s",
            [schema],
        ).fetchall()
    )
    assert types["ltv"] == "double precision" and types["born"] == "date"

    people[0]["first_name"] = "Renamed"
    project.set_members(people[:15], holdout={"p000001"})
    counts = stage_counts(project.sync())["syncs"]["vip->wh"]
    assert (counts["updated"], counts["removed"]) == (1, 5)
    assert conn.execute(f'SELECT count(*) FROM "{schema}".vip').fetchall()[0][0] == 14
    assert (
        conn.execute(
            f"SELECT first_name FROM \"{schema}\".vip WHERE profile_id = 'p000000'"
        ).fetchall()[0][0]
        == "Renamed"
    )


def test_rows_the_table_refuses_fail_alone(project, monkeypatch, pg):
    conn, schema = pg
    monkeypatch.setenv("CDP__DESTINATIONS__WH__DSN", DSN)
    conn.execute(f'CREATE SCHEMA "{schema}"')
    conn.execute(
        f'CREATE TABLE "{schema}".vip (profile_id text PRIMARY KEY, email text, '
        "ltv double precision CHECK (ltv <> 13), cdp_synced_at timestamptz)"
    )
    project.write_config(
        {"wh": {"connector": "postgres", "config": {"table": f"{schema}.vip", "batch_rows": 8}}},
        [
            {
                "segment": "vip",
                "destination": "wh",
                "fields": {"email": "email", "ltv": "lifetime_value"},
            }
        ],
    )
    project.set_members([person(i) for i in range(20)])
    counts = stage_counts(project.sync())["syncs"]["vip->wh"]
    assert counts["added"] == 19 and counts["failed"] == 1 and counts["terminal"] == 1
    assert conn.execute(f'SELECT count(*) FROM "{schema}".vip').fetchall()[0][0] == 19
    reason = project.query("SELECT reason FROM sync.failures WHERE profile_id = 'p000013'")[0][0]
    assert "check constraint" in reason
