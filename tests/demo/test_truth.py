"""The ground truth: every customer record once, with the id the canonical mapping gives it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cdp.demo import DemoResult
from cdp.demo.vocab import JUNK_EMAILS


def _truth(con: duckdb.DuckDBPyConnection, demo: DemoResult) -> None:
    con.execute(
        f"CREATE TEMP TABLE truth AS SELECT * FROM read_csv('{demo.dir / 'truth' / 'records.csv'}', all_varchar=true)"
    )


def test_truth_covers_each_canonical_record_exactly_once(demo: DemoResult, synced: Path) -> None:
    con = duckdb.connect(str(synced), read_only=True)
    _truth(con, demo)
    assert (
        con.sql("SELECT count(*) - count(DISTINCT (source, record_id)) FROM truth").fetchall()[0][0]
        == 0
    )
    missing = con.sql(
        "SELECT source, record_id FROM staging.customer_records EXCEPT SELECT source, record_id FROM truth"
    ).fetchall()
    extra = con.sql(
        "SELECT source, record_id FROM truth EXCEPT SELECT source, record_id FROM staging.customer_records"
    ).fetchall()
    assert missing == [] and extra == []
    assert (
        con.sql("SELECT count(*) FROM staging.customer_records").fetchall()[0][0] == demo.truth_rows
    )


def test_people_appear_in_several_sources(demo: DemoResult) -> None:
    con = duckdb.connect()
    _truth(con, demo)
    shares = dict(
        con.sql(
            f"SELECT source, count(DISTINCT person_id) / {demo.people} FROM truth GROUP BY source"
        ).fetchall()
    )
    expected = {
        "shop_customers": 0.70,
        "crm_contacts": 0.50,
        "email_audience": 0.60,
        "fb_leads": 0.10,
        "fb_page": 0.15,
    }
    for source, share in expected.items():
        assert abs(shares[source] - share) < 0.06, (source, shares[source])
    multi = con.sql(
        "SELECT avg(n) FROM (SELECT person_id, count(DISTINCT source) AS n FROM truth GROUP BY person_id)"
    ).fetchall()[0][0]
    assert multi > 2


def test_household_emails_are_shared_by_distinct_people(demo: DemoResult, synced: Path) -> None:
    con = duckdb.connect(str(synced), read_only=True)
    _truth(con, demo)
    households = con.sql(
        f"SELECT * FROM read_csv('{demo.dir / 'truth' / 'households.csv'}', all_varchar=true)"
    ).fetchall()
    assert households and all(a != b for a, b, _ in households)
    shared = con.sql(
        f"""SELECT lower(trim(c.email)) AS email, count(DISTINCT t.person_id) AS people
            FROM staging.customer_records c JOIN truth t USING (source, record_id)
            WHERE c.email IS NOT NULL AND lower(trim(c.email)) NOT IN {tuple(JUNK_EMAILS)}
            GROUP BY 1 HAVING people > 1"""
    ).fetchall()
    household_emails = {email for _, _, email in households}
    in_households = [email for email, _ in shared if email in household_emails]
    assert len(in_households) >= len(households) // 3
    # Anything else two people share is a rare typo collision, never a pattern.
    assert len(shared) - len(in_households) <= max(3, len(shared) // 20)


def test_variation_is_present(demo: DemoResult, synced: Path) -> None:
    con = duckdb.connect(str(synced), read_only=True)
    _truth(con, demo)
    junk = con.sql(
        f"SELECT count(*) FROM staging.customer_records WHERE lower(email) IN {tuple(JUNK_EMAILS)}"
    ).fetchall()[0][0]
    assert junk > 0
    # One person's first names differ across their records (nicknames, typos, case).
    variants = con.sql(
        """SELECT count(*) FROM (
             SELECT t.person_id FROM staging.customer_records c JOIN truth t USING (source, record_id)
             WHERE c.first_name IS NOT NULL GROUP BY 1 HAVING count(DISTINCT c.first_name) > 1)"""
    ).fetchall()[0][0]
    assert variants > demo.people * 0.05
    phones = con.sql(
        "SELECT count(*) FILTER (WHERE phone LIKE '+%'), count(*) FILTER (WHERE phone LIKE '(%'), "
        "count(*) FILTER (WHERE phone LIKE '0%') FROM staging.customer_records"
    ).fetchall()[0]
    assert all(n > 0 for n in phones)
