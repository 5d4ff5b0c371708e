"""The starter library: ready-made segments that ``cdp init`` and ``cdp demo`` write into a
new project's ``segments/`` folder. Each is a plain ``.sql`` file over ``profiles.profiles``
(see :mod:`warehouse.traits` for the traits they use); users edit or delete them freely.

| file | who |
|---|---|
| rfm_champions.sql | RFM group 'champions': recent, frequent, big spenders |
| at_risk_high_value.sql | top spenders (M score 4-5) whose RFM group is slipping; 10% holdout |
| new_customers.sql | first order in the last 30 days |
| churned_customers.sql | lifecycle_stage 'churned' |
| browse_abandonment.sql | viewed a product in the last 24 h, no purchase in 30 days |
| cart_abandonment.sql | cart/checkout in the last 7 days, no order since |
| engaged_email_subscribers.sql | can be emailed, engagement score 50+ |
| dormant_email_subscribers.sql | can be emailed, got email in 90 days, opened/clicked none |
| high_value_in_region.sql | M score 4-5 in one country (edit the list) |
| social_engagers_no_purchase.sql | social comments/reactions, never ordered |
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["STARTER_DIR", "starter_segments", "write_starter_segments"]

STARTER_DIR = Path(__file__).parent / "library"


def starter_segments() -> list[Path]:
    """The starter ``.sql`` files shipped with cdp, sorted by name."""
    return sorted(STARTER_DIR.glob("*.sql"))


def write_starter_segments(segments_dir: Path) -> list[Path]:
    """Copy the starter segments into ``segments_dir``; files already there are left alone.

    Returns the paths written.
    """
    segments_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in starter_segments():
        target = segments_dir / source.name
        if target.exists():
            continue
        target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
        written.append(target)
    return written
