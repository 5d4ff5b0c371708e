"""Computed traits in profiles.profiles, on a hand-made warehouse with a pinned "now"."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from cdp.errors import ConfigError
from warehouse.connection import ensure_layout
from warehouse.traits import GOLDEN_RECORD_COLUMNS, PROFILE_COLUMNS, TRAITS, build_profiles
from warehouse.traits_config import LifecycleConfig, TraitsConfig

NOW = datetime(2026, 1, 31, tzinfo=UTC)

GOLDEN = """
CREATE TABLE identity.golden_records AS
SELECT * FROM (VALUES
  ('buyer', 'buyer@example.com', '+4912345', true, true),
  ('old', 'old@example.com', NULL, true, false),
  ('fan', 'Fan@Example.com', NULL, false, false),
  ('newbie', 'new@example.com', NULL, true, false),
  ('quiet', NULL, NULL, NULL, NULL)
) AS v(profile_id, email, phone, consent_email, consent_sms),
LATERAL (SELECT NULL::VARCHAR AS first_name, NULL::VARCHAR AS last_name, NULL::VARCHAR AS street,
  NULL::VARCHAR AS city, NULL::VARCHAR AS postcode, NULL::VARCHAR AS region, NULL::VARCHAR AS country,
  NULL::DATE AS date_of_birth, MAP {}::MAP(VARCHAR, VARCHAR) AS external_ids, ['shop'] AS sources,
  1 AS record_count, '{}'::JSON AS field_sources, TIMESTAMPTZ '2025-01-01' AS first_seen_at,
  TIMESTAMPTZ '2025-06-01' AS updated_at)
"""
LINKS = """
CREATE TABLE identity.record_profiles AS SELECT * FROM (VALUES
  ('shop', 'c-buyer', 'buyer'), ('shop', 'c-old', 'old'), ('shop', 'c-new', 'newbie')
) AS v(source, record_id, profile_id)
"""
EVENTS = """
INSERT INTO staging.events (source, event_id, record_id, email, event, "timestamp", revenue) VALUES
  ('shop', '1', 'c-buyer', NULL, 'Order Completed', TIMESTAMPTZ '2026-01-21', 100),
  ('shop', '2', 'c-buyer', NULL, 'Order Completed', TIMESTAMPTZ '2025-12-01', 50),
  ('shop', '3', 'c-buyer', NULL, 'Order Completed', TIMESTAMPTZ '2025-01-01', 30),
  ('shop', '4', 'c-old', NULL, 'Order Completed', TIMESTAMPTZ '2024-06-01', 20),
  ('shop', '5', 'c-new', NULL, 'Order Completed', TIMESTAMPTZ '2026-01-25', 10),
  ('shop', 'future', 'c-new', NULL, 'Order Completed', TIMESTAMPTZ '2026-03-01', 999),
  ('mail', '6', NULL, 'BUYER@example.com ', 'Email Delivered', TIMESTAMPTZ '2026-01-20', NULL),
  ('mail', '7', NULL, 'buyer@example.com', 'Email Delivered', TIMESTAMPTZ '2025-12-15', NULL),
  ('mail', '8', NULL, 'buyer@example.com', 'Email Opened', TIMESTAMPTZ '2026-01-20', NULL),
  ('mail', '9', NULL, 'buyer@example.com', 'Email Link Clicked', TIMESTAMPTZ '2026-01-20', NULL),
  ('mail', '10', NULL, 'buyer@example.com', 'Email Delivered', TIMESTAMPTZ '2025-06-01', NULL),
  ('social', '11', NULL, 'fan@example.com', 'Social Comment', TIMESTAMPTZ '2026-01-10', NULL),
  ('social', '12', NULL, 'fan@example.com', 'Social Reaction', TIMESTAMPTZ '2026-01-11', NULL),
  ('social', '13', NULL, 'fan@example.com', 'Social Reaction', TIMESTAMPTZ '2026-01-12', NULL),
  ('web', '14', NULL, 'fan@example.com', 'Product Viewed', TIMESTAMPTZ '2026-01-30 12:00', NULL),
  ('mail', '15', NULL, 'old@example.com', 'Unsubscribed', TIMESTAMPTZ '2025-07-01', NULL),
  ('web', '16', NULL, 'nobody@example.com', 'Product Viewed', TIMESTAMPTZ '2026-01-30', NULL)
"""


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    ensure_layout(con)
    con.execute(GOLDEN)
    con.execute(LINKS)
    con.execute(EVENTS)
    return con


def profile(con: duckdb.DuckDBPyConnection, pid: str) -> dict[str, object]:
    cur = con.execute("SELECT * FROM profiles.profiles WHERE profile_id = ?", [pid])
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchall()[0], strict=True))


def test_columns_are_the_contract(con: duckdb.DuckDBPyConnection) -> None:
    assert build_profiles(con, now=NOW, lifecycle=LifecycleConfig()) == 5
    cols = [r[0] for r in con.execute("DESCRIBE profiles.profiles").fetchall()]
    assert cols[-len(TRAITS) :] == list(TRAITS)  # every golden column, then the traits
    assert set(cols[: -len(TRAITS)]) == set(GOLDEN_RECORD_COLUMNS)
    assert all(doc for _, doc in TRAITS.values())


def test_order_and_rfm_traits(con: duckdb.DuckDBPyConnection) -> None:
    build_profiles(con, now=NOW, lifecycle=LifecycleConfig())
    buyer = profile(con, "buyer")
    assert buyer["order_count"] == 3
    assert buyer["total_revenue"] == Decimal("180.00")
    assert buyer["avg_order_value"] == Decimal("60.00")
    assert buyer["first_order_at"] == datetime(2025, 1, 1, tzinfo=UTC)
    assert buyer["rfm_recency_days"] == 10
    assert (buyer["rfm_r_score"], buyer["rfm_f_score"], buyer["rfm_m_score"]) == (4, 5, 5)
    assert buyer["rfm_score"] == "455" and buyer["rfm_group"] == "champions"
    assert buyer["lifecycle_stage"] == "active"
    newbie = profile(con, "newbie")
    assert newbie["order_count"] == 1  # the order after "now" is ignored
    assert newbie["lifecycle_stage"] == "new"
    old = profile(con, "old")
    assert old["lifecycle_stage"] == "churned"
    assert (old["rfm_r_score"], old["rfm_group"]) == (2, "at_risk")  # big spender (of 3), long ago
    fan = profile(con, "fan")
    assert (
        fan["lifecycle_stage"] == "prospect"
        and fan["rfm_group"] is None
        and fan["order_count"] == 0
    )
    assert fan["avg_order_value"] is None


def test_engagement_social_and_consent(con: duckdb.DuckDBPyConnection) -> None:
    build_profiles(con, now=NOW, lifecycle=LifecycleConfig())
    buyer = profile(con, "buyer")  # email events reach it through its normalized email
    assert (
        buyer["email_delivered_30d"],
        buyer["email_opened_30d"],
        buyer["email_clicked_30d"],
    ) == (1, 1, 1)
    assert (
        buyer["email_delivered_90d"],
        buyer["email_opened_90d"],
        buyer["email_clicked_90d"],
    ) == (2, 1, 1)
    assert buyer["email_engagement_score"] == 75
    assert buyer["last_email_engaged_at"] == datetime(2026, 1, 20, tzinfo=UTC)
    assert buyer["can_email"] is True and buyer["can_sms"] is True
    fan = profile(con, "fan")
    assert (fan["social_comments"], fan["social_reactions"]) == (1, 2)
    assert fan["last_product_viewed_at"] == datetime(2026, 1, 30, 12, tzinfo=UTC)
    assert fan["last_seen_at"] == datetime(2026, 1, 30, 12, tzinfo=UTC)
    assert fan["can_email"] is False
    assert profile(con, "old")["can_email"] is False  # unsubscribed after the last update
    quiet = profile(con, "quiet")
    assert quiet["last_seen_at"] is None and quiet["email_engagement_score"] == 0


def test_lifecycle_thresholds_are_configurable(con: duckdb.DuckDBPyConnection) -> None:
    build_profiles(
        con, now=NOW, lifecycle=LifecycleConfig(new_days=1, active_days=7, churn_days=2000)
    )
    assert profile(con, "newbie")["lifecycle_stage"] == "active"
    assert profile(con, "buyer")["lifecycle_stage"] == "at_risk"
    assert profile(con, "old")["lifecycle_stage"] == "at_risk"


def test_without_golden_records_the_table_is_empty_with_the_contract(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    ensure_layout(con)
    assert build_profiles(con, now=NOW, lifecycle=LifecycleConfig()) == 0
    assert [r[0] for r in con.execute("DESCRIBE profiles.profiles").fetchall()] == list(
        PROFILE_COLUMNS
    )


def test_now_from_env_config_or_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CDP_NOW", raising=False)
    assert TraitsConfig(now=NOW).resolve_now() == NOW
    assert abs((TraitsConfig().resolve_now() - datetime.now(UTC)).total_seconds()) < 60
    monkeypatch.setenv("CDP_NOW", "2025-05-05T00:00:00Z")
    assert TraitsConfig(now=NOW).resolve_now() == datetime(2025, 5, 5, tzinfo=UTC)
    monkeypatch.setenv("CDP_NOW", "yesterday")
    with pytest.raises(ConfigError, match="CDP_NOW"):
        TraitsConfig().resolve_now()


def test_bad_thresholds_are_rejected() -> None:
    with pytest.raises(ValueError):
        LifecycleConfig(new_days=100, active_days=30)


def test_profiles_step_in_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cdp.config import load_project
    from cdp.run import run_sync

    monkeypatch.setenv("CDP_NOW", "2026-01-31T00:00:00Z")
    (tmp_path / "cdp.yml").write_text("name: acme\ntraits:\n  lifecycle: {new_days: 10}\n")
    lines: list[str] = []
    result = run_sync(load_project(tmp_path), only=["identity"], echo=lines.append)
    assert any("0 profiles with traits as of 2026-01-31" in line for line in lines)
    assert result.stages[0].counts["profiles"] == 0
    (tmp_path / "cdp.yml").write_text("name: acme\ntraits:\n  lifecycle: {new_dayz: 10}\n")
    with pytest.raises(ConfigError, match="new_dayz"):
        load_project(tmp_path)
