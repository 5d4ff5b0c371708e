"""Bench: traits + 20 segments over synthetic profiles and events, and validation of 100 files.

    .venv/bin/python bench/segments_bench.py [--profiles 1000000] [--events 10000000]

Prints wall time per phase and the process's peak memory (DuckDB runs in-process, so the
peak RSS includes it). Data is generated with DuckDB SQL in a temporary warehouse file.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

NOW = "2026-01-31T00:00:00+00:00"

GOLDEN = """
CREATE OR REPLACE TABLE identity.golden_records AS
SELECT 'p' || i AS profile_id, 'user' || i || '@example.com' AS email,
       CASE WHEN i % 3 = 0 THEN '+1555' || lpad(i::VARCHAR, 7, '0') END AS phone,
       'First' || i AS first_name, 'Last' || i AS last_name, NULL::VARCHAR AS street,
       'City' || (i % 500) AS city, NULL::VARCHAR AS postcode, 'R' || (i % 50) AS region,
       ['US', 'DE', 'FR', 'GB', 'US'][1 + i % 5] AS country, NULL::DATE AS date_of_birth,
       i % 4 <> 0 AS consent_email, i % 7 = 0 AS consent_sms,
       MAP {'shopify_customer_id': i::VARCHAR} AS external_ids, ['shop', 'crm'] AS sources,
       2 AS record_count, '{}'::JSON AS field_sources,
       TIMESTAMPTZ '2024-01-01' AS first_seen_at, TIMESTAMPTZ '2025-06-01' AS updated_at
FROM range($n) AS t(i)
"""
LINKS = """
CREATE OR REPLACE TABLE identity.record_profiles AS
SELECT 'shop' AS source, 'c' || i AS record_id, 'p' || i AS profile_id FROM range($n) AS t(i)
"""
EVENTS = """
INSERT INTO staging.events (source, event_id, record_id, email, event, "timestamp", revenue)
SELECT CASE WHEN linked THEN 'shop' ELSE 'mail' END, 'e' || i,
       CASE WHEN linked THEN 'c' || pid END,
       CASE WHEN NOT linked THEN 'user' || pid || '@example.com' END,
       kind,
       TIMESTAMPTZ '2026-01-31' - to_seconds((hash(i * 7) % 34560000)::BIGINT),
       CASE WHEN kind = 'Order Completed' THEN (10 + hash(i * 3) % 300)::DECIMAL(18, 2) END
FROM (
  SELECT i, (hash(i) % $n)::BIGINT AS pid, i % 10 < 6 AS linked,
         ['Order Completed', 'Product Viewed', 'Product Viewed', 'Product Viewed', 'Product Added',
          'Checkout Started', 'Email Delivered', 'Email Delivered', 'Email Opened',
          'Email Link Clicked', 'Social Comment', 'Social Reaction', 'Unsubscribed',
          'Email Delivered', 'Product Viewed', 'Order Completed'][1 + (hash(i * 11) % 16)::INTEGER] AS kind
  FROM range($events) AS t(i)
)
"""

VARIANTS = {
    "vip_us": "SELECT profile_id, email, total_revenue FROM profiles.profiles WHERE total_revenue > 1000 AND country = 'US'",
    "repeat_buyers": "SELECT profile_id, email FROM profiles.profiles WHERE order_count >= 3",
    "one_time_buyers": "SELECT profile_id, email FROM profiles.profiles WHERE order_count = 1",
    "lapsed_90": "SELECT profile_id, email FROM profiles.profiles WHERE lifecycle_stage = 'at_risk'",
    "sms_reachable": "SELECT profile_id, phone FROM profiles.profiles WHERE can_sms",
    "champions_engaged": "SELECT c.profile_id, c.email FROM segments.rfm_champions c "
    "JOIN segments.engaged_email_subscribers e USING (profile_id)",
    "viewers_7d": "SELECT rp.profile_id, count(*) AS views FROM staging.events e "
    "JOIN identity.record_profiles rp USING (source, record_id) "
    "WHERE e.event = 'Product Viewed' AND e.timestamp >= TIMESTAMPTZ '2026-01-24' GROUP BY ALL",
    "big_orders": "SELECT rp.profile_id, max(e.revenue) AS biggest FROM staging.events e "
    "JOIN identity.record_profiles rp USING (source, record_id) "
    "WHERE e.event = 'Order Completed' AND e.revenue > 250 GROUP BY ALL",
    "holdout_test": "-- holdout: 10%\nSELECT profile_id, email FROM profiles.profiles WHERE rfm_r_score >= 4",
    "germany": "SELECT profile_id, email, city FROM profiles.profiles WHERE country = 'DE' AND order_count > 0",
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument(
        "--keep", type=Path, help="keep the project here and reuse its data next time"
    )
    args = parser.parse_args(argv)

    from cdp.config import load_project
    from cdp.run import StageContext
    from warehouse import profiles
    from warehouse.connection import connect, ensure_layout
    from warehouse.segments import stage
    from warehouse.segments.catalog import contract_catalog
    from warehouse.segments.files import discover
    from warehouse.segments.library import starter_segments, write_starter_segments
    from warehouse.segments.validate import check_segments

    root = args.keep or Path(tempfile.mkdtemp(prefix="cdp-segments-bench-"))
    reuse = args.keep is not None and (root / ".cdp" / "warehouse.duckdb").exists()
    root.mkdir(parents=True, exist_ok=True)
    try:
        (root / "cdp.yml").write_text(f"name: bench\ntraits: {{now: '{NOW}'}}\n")
        seg_dir = root / "segments"
        write_starter_segments(seg_dir)
        for name, sql in VARIANTS.items():
            (seg_dir / f"{name}.sql").write_text(sql + "\n")
        project = load_project(root)
        con = connect(project.warehouse_path)
        ensure_layout(con)
        started = time.perf_counter()
        if reuse:  # same data as last time; start the segments from scratch
            con.execute("DROP SCHEMA IF EXISTS segments CASCADE; CREATE SCHEMA segments")
        else:
            con.execute(GOLDEN, {"n": args.profiles})
            con.execute(LINKS, {"n": args.profiles})
            con.execute("DELETE FROM staging.events")
            con.execute(EVENTS, {"n": args.profiles, "events": args.events})
        con.execute("CHECKPOINT")
        events = con.execute("SELECT count(*) FROM staging.events").fetchall()[0][0]
        profiles_n = con.execute("SELECT count(*) FROM identity.golden_records").fetchall()[0][0]
        print(
            f"{'reused' if reuse else 'generated'} {profiles_n:,} profiles, {events:,} events "
            f"in {time.perf_counter() - started:.1f}s"
        )

        ctx = StageContext(project=project, con=con, run_id="bench")
        t0 = time.perf_counter()
        profiles.run(ctx)
        t1 = time.perf_counter()
        result = stage.run(ctx)
        t2 = time.perf_counter()
        assert result.status == "succeeded", result.errors
        print(f"traits (profiles.profiles): {t1 - t0:.1f}s")
        print(
            f"{result.counts['segments']} segments materialized: {t2 - t1:.1f}s "
            f"({result.counts['members']:,} members)"
        )
        print(f"traits + segments: {t2 - t0:.1f}s wall, peak RSS {peak_mb():,.0f} MB")
        t3 = time.perf_counter()
        stage.run(ctx)
        print(
            f"second segments run (membership diff against history): {time.perf_counter() - t3:.1f}s"
        )
        con.close()

        many = root / "many"
        many.mkdir(exist_ok=True)
        sources = starter_segments() + sorted(seg_dir.glob("*.sql"))
        for i in range(100):  # header-less copies, so the file name is the segment name
            text = sources[i % len(sources)].read_text()
            body = "\n".join(line for line in text.splitlines() if not line.startswith("-- name:"))
            if "segments." in body:  # reads another segment: point it at a plain one instead
                body = "SELECT profile_id, email FROM profiles.profiles WHERE order_count > 2"
            (many / f"s{i:03d}.sql").write_text(body + "\n")
        t4 = time.perf_counter()
        files = discover(many)
        valid, problems = check_segments(files, contract_catalog())
        t5 = time.perf_counter()
        assert len(valid) == 100, problems[:3]
        print(f"validation of 100 segment files: {t5 - t4:.2f}s")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
