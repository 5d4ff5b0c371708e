"""Computed traits: what ``profiles.profiles`` adds to each golden record, and how it is built.

``profiles.profiles`` holds every column of ``identity.golden_records`` followed by the
traits in :data:`TRAITS` (in that order). The SQL lives in ``warehouse/sql/traits.sql``.
Events reach a profile through ``identity.record_profiles`` on ``(source, record_id)``, else
through their normalized email (lower-cased, trimmed) to a golden record's email. Orders are
``Order Completed`` events; their ``revenue`` is the order value. Events after "now" are
ignored, so a pinned "now" (``traits.now`` in cdp.yml or ``CDP_NOW``) gives repeatable traits.
"""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from typing import TYPE_CHECKING

from warehouse.connection import table_exists

if TYPE_CHECKING:
    import duckdb

    from warehouse.traits_config import LifecycleConfig

__all__ = ["GOLDEN_RECORD_COLUMNS", "PROFILE_COLUMNS", "RFM_GROUPS", "TRAITS", "build_profiles"]

#: The contract of ``identity.golden_records`` (COMMON.md), column name to DuckDB type.
GOLDEN_RECORD_COLUMNS: dict[str, str] = {
    "profile_id": "VARCHAR",
    "email": "VARCHAR",
    "phone": "VARCHAR",
    "first_name": "VARCHAR",
    "last_name": "VARCHAR",
    "street": "VARCHAR",
    "city": "VARCHAR",
    "postcode": "VARCHAR",
    "region": "VARCHAR",
    "country": "VARCHAR",
    "date_of_birth": "DATE",
    "consent_email": "BOOLEAN",
    "consent_sms": "BOOLEAN",
    "external_ids": "MAP(VARCHAR, VARCHAR)",
    "sources": "VARCHAR[]",
    "record_count": "INTEGER",
    "field_sources": "JSON",
    "first_seen_at": "TIMESTAMPTZ",
    "updated_at": "TIMESTAMPTZ",
}

#: Every computed trait: name -> (DuckDB type, definition). Windows count back from "now".
TRAITS: dict[str, tuple[str, str]] = {
    "first_order_at": ("TIMESTAMPTZ", "time of the first Order Completed event"),
    "last_order_at": ("TIMESTAMPTZ", "time of the most recent Order Completed event"),
    "order_count": ("BIGINT", "number of Order Completed events (0 for prospects)"),
    "total_revenue": ("DECIMAL(18,2)", "sum of revenue over Order Completed events"),
    "avg_order_value": ("DECIMAL(18,2)", "total_revenue / order_count; NULL without orders"),
    "rfm_recency_days": ("INTEGER", "RFM recency: whole days from the last order to now"),
    "rfm_frequency": ("BIGINT", "RFM frequency: order_count"),
    "rfm_monetary": ("DECIMAL(18,2)", "RFM monetary: total_revenue"),
    "rfm_r_score": (
        "INTEGER",
        "1-5, ceil(5 x cume_dist of last_order_at among buyers); 5 = most recent",
    ),
    "rfm_f_score": (
        "INTEGER",
        "1-5, ceil(5 x cume_dist of order_count among buyers); ties share a score",
    ),
    "rfm_m_score": ("INTEGER", "1-5, ceil(5 x cume_dist of total_revenue among buyers)"),
    "rfm_score": ("VARCHAR", "the three scores as text, R then F then M, e.g. '545'"),
    "rfm_group": ("VARCHAR", "named RFM group, see RFM_GROUPS; NULL for prospects"),
    "lifecycle_stage": (
        "VARCHAR",
        "prospect (no order) | new (first order within lifecycle.new_days) | active (last order "
        "within active_days) | at_risk (within churn_days) | churned",
    ),
    "email_delivered_30d": ("BIGINT", "Email Delivered events in the last 30 days"),
    "email_opened_30d": ("BIGINT", "Email Opened events in the last 30 days"),
    "email_clicked_30d": ("BIGINT", "Email Link Clicked events in the last 30 days"),
    "email_delivered_90d": ("BIGINT", "Email Delivered events in the last 90 days"),
    "email_opened_90d": ("BIGINT", "Email Opened events in the last 90 days"),
    "email_clicked_90d": ("BIGINT", "Email Link Clicked events in the last 90 days"),
    "email_engagement_score": (
        "INTEGER",
        "0-100 over 90 days: 100 x (opens + 2 x clicks) / (2 x max(delivered, opens, 1)), capped "
        "at 100; opening every email scores 50, opening and clicking every email scores 100",
    ),
    "last_email_engaged_at": ("TIMESTAMPTZ", "most recent Email Opened or Email Link Clicked"),
    "last_unsubscribed_at": ("TIMESTAMPTZ", "most recent Unsubscribed event"),
    "last_seen_at": ("TIMESTAMPTZ", "most recent event of any kind"),
    "last_product_viewed_at": ("TIMESTAMPTZ", "most recent Product Viewed event"),
    "last_cart_activity_at": ("TIMESTAMPTZ", "most recent Product Added or Checkout Started event"),
    "social_comments": ("BIGINT", "Social Comment events, all time"),
    "social_reactions": ("BIGINT", "Social Reaction events, all time"),
    "can_email": (
        "BOOLEAN",
        "consent_email is true, there is an email, and no Unsubscribed event since the golden "
        "record was last updated",
    ),
    "can_sms": ("BOOLEAN", "consent_sms is true and there is a phone number"),
    "traits_computed_at": ("TIMESTAMPTZ", "the 'now' the traits were computed for"),
}

#: rfm_group, first rule that matches wins (r = R score, f = F score, fm = round((F + M) / 2)).
RFM_GROUPS: dict[str, str] = {
    "champions": "r >= 4 and fm >= 4",
    "loyal": "r >= 3 and fm >= 3",
    "new_customers": "r >= 4 and f = 1",
    "potential_loyalists": "r >= 4",
    "need_attention": "r = 3",
    "cannot_lose_them": "r = 1 and fm >= 4",
    "at_risk": "fm >= 3",
    "about_to_sleep": "r = 2",
    "hibernating": "fm >= 2",
    "lost": "everyone else with an order",
}

#: The contract of ``profiles.profiles``: golden record columns, then traits.
PROFILE_COLUMNS: dict[str, str] = {
    **GOLDEN_RECORD_COLUMNS,
    **{name: type_ for name, (type_, _) in TRAITS.items()},
}


def _empty_select(columns: dict[str, str]) -> str:
    cols = ", ".join(f'NULL::{type_} AS "{name}"' for name, type_ in columns.items())
    return f"SELECT {cols} WHERE false"


def build_profiles(
    con: duckdb.DuckDBPyConnection, *, now: datetime, lifecycle: LifecycleConfig
) -> int:
    """(Re)build ``profiles.profiles`` in one statement (atomic); returns its row count.

    Without ``identity.golden_records`` (identity not built yet) the table is created empty
    with the contract schema, so segments and syncs over it still bind.
    """
    cur = con.cursor()
    try:
        if table_exists(cur, "identity", "golden_records"):
            golden = "SELECT * FROM identity.golden_records"
        else:
            golden = _empty_select(GOLDEN_RECORD_COLUMNS)
        if table_exists(cur, "identity", "record_profiles"):
            links = "SELECT source, record_id, profile_id FROM identity.record_profiles"
        else:
            links = _empty_select(
                {"source": "VARCHAR", "record_id": "VARCHAR", "profile_id": "VARCHAR"}
            )
        cur.execute(f"CREATE OR REPLACE TEMP VIEW cdp_in_golden AS {golden}")
        cur.execute(f"CREATE OR REPLACE TEMP VIEW cdp_in_record_profiles AS {links}")
        sql = files("warehouse.sql").joinpath("traits.sql").read_text(encoding="utf-8")
        cur.execute(
            sql,
            {
                "now": now,
                "new_days": lifecycle.new_days,
                "active_days": lifecycle.active_days,
                "churn_days": lifecycle.churn_days,
            },
        )
        rows = cur.execute("SELECT count(*) FROM profiles.profiles").fetchall()
        return int(rows[0][0])
    finally:
        cur.execute("DROP VIEW IF EXISTS cdp_in_golden")
        cur.execute("DROP VIEW IF EXISTS cdp_in_record_profiles")
        cur.close()
