"""Syncs benchmark: planning against previous state, delivery rates, delivery under faults.

    .venv/bin/python bench/syncs_bench.py [--rows 1000000]

Prints: planning time for a segment of N members against its previous state with 5% churn;
rows/s delivering N members to files (Parquet) and to a local webhook; and, against a local
webhook answering 1% of requests with 429 and 1% with 500, whether every row arrived exactly
as expected and how many extra requests it took.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import yaml

SECRET = "bench-signing-secret"


def make_project(root: Path, rows: int, destinations: dict, syncs: list) -> None:
    (root / "cdp.yml").write_text(
        yaml.safe_dump(
            {
                "name": "bench",
                "warehouse": {"path": ".cdp/wh.duckdb"},
                "destinations": destinations,
                "syncs": syncs,
            }
        )
    )
    (root / ".cdp").mkdir(exist_ok=True)
    con = duckdb.connect(str(root / ".cdp" / "wh.duckdb"))
    con.execute("CREATE SCHEMA IF NOT EXISTS profiles; CREATE SCHEMA IF NOT EXISTS segments")
    con.execute(
        "CREATE OR REPLACE TABLE profiles.profiles AS SELECT 'p' || lpad(i::VARCHAR, 8, '0') AS profile_id, "
        "'user' || i || '@example.com' AS email, '+4479' || lpad(i::VARCHAR, 8, '0') AS phone, "
        "'First' || i AS first_name, 'Last' || i AS last_name, true AS consent_email, "
        "(i % 1000)::DOUBLE AS lifetime_value, now() AS updated_at FROM range(?) t(i)",
        [rows],
    )
    con.execute(
        "CREATE OR REPLACE TABLE segments.vip AS SELECT profile_id, false AS cdp_holdout, email, first_name, "
        "lifetime_value FROM profiles.profiles"
    )
    con.close()


def churn(root: Path, fraction: float) -> None:
    """Replace ``fraction`` of the members: half leave, half change a field; add as many new."""
    con = duckdb.connect(str(root / ".cdp" / "wh.duckdb"))
    n = con.execute("SELECT count(*) FROM segments.vip").fetchall()[0][0]
    k = int(n * fraction / 2)
    con.execute(
        f"DELETE FROM segments.vip WHERE profile_id IN (SELECT profile_id FROM segments.vip USING SAMPLE {k} ROWS (reservoir, 1))"
    )
    con.execute(
        f"UPDATE segments.vip SET first_name = first_name || 'x' WHERE profile_id IN (SELECT profile_id FROM segments.vip USING SAMPLE {k} ROWS (reservoir, 2))"
    )
    con.execute(
        "INSERT INTO segments.vip SELECT 'n' || lpad(i::VARCHAR, 8, '0'), false, 'new' || i || '@example.com', 'New', 1.0 "
        "FROM range(?) t(i)",
        [k],
    )
    con.execute(
        "INSERT INTO profiles.profiles SELECT profile_id, email, NULL, first_name, NULL, true, 1.0, now() FROM segments.vip WHERE profile_id LIKE 'n%'"
    )
    con.close()


class Webhook:
    """A local receiver; ``fault`` decides per request: None, 429 or 500."""

    def __init__(self, fault_rate: float = 0.0) -> None:
        self.rows: dict[str, int] = {}
        self.requests = 0
        self.faults = {429: 0, 500: 0}
        self.lock = threading.Lock()
        self.rng = random.Random(7)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.requests += 1
                    roll = outer.rng.random()
                status = 429 if roll < fault_rate else 500 if roll < 2 * fault_rate else 200
                if status == 200:
                    rows = json.loads(body)["rows"]
                    with outer.lock:
                        for r in rows:
                            outer.rows[r["profile_id"]] = outer.rows.get(r["profile_id"], 0) + 1
                else:
                    with outer.lock:
                        outer.faults[status] += 1
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def bench_plan(rows: int) -> None:
    from cdp.config import load_project
    from cdp.run import run_sync
    from connectors.destinations.consent import prepare_consent
    from connectors.destinations.plan import build_plan, resolve_spec

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        fields = {"email": "email", "FNAME": "first_name", "ltv": "lifetime_value"}
        make_project(root, rows, {"out": {"connector": "files", "config": {"format": "parquet", "write": "changes"}}},
                     [{"segment": "vip", "destination": "out", "mode": "mirror", "fields": fields}])  # fmt: skip
        project = load_project(root)
        t0 = time.perf_counter()
        run_sync(project, only=["destinations"])
        first = time.perf_counter() - t0
        print(
            f"files: delivered {rows:,} members (parquet, changes) in {first:.1f}s = {rows / first:,.0f} rows/s"
        )
        churn(root, 0.05)
        con = duckdb.connect(str(root / ".cdp" / "wh.duckdb"))
        prepare_consent(con, project)
        spec, seg, prof = resolve_spec(con, project, 0, project.config.syncs[0], "bench")
        t0 = time.perf_counter()
        plan = build_plan(con, spec, "files", seg, prof)
        took = time.perf_counter() - t0
        con.close()
        c = plan.counts
        print(
            f"plan: {rows:,}-member segment vs previous state, 5% churn: {took:.2f}s "
            f"(add {c.get('add', 0):,}, update {c.get('update', 0):,}, remove {c.get('remove', 0):,})"
        )


def bench_webhook(rows: int, fault_rate: float, batch_rows: int) -> None:
    from cdp.config import load_project
    from cdp.run import run_sync

    hook = Webhook(fault_rate)
    os.environ["CDP__DESTINATIONS__HOOK__SECRET"] = SECRET
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            make_project(
                root, rows,
                {"hook": {"connector": "webhook", "config": {"url": hook.url, "batch_rows": batch_rows, "max_bytes": 10_000_000, "backoff_seconds": 0.001, "max_attempts": 10}}},
                [{"segment": "vip", "destination": "hook", "mode": "mirror", "fields": {"email": "email", "FNAME": "first_name", "ltv": "lifetime_value"}}],
            )  # fmt: skip
            t0 = time.perf_counter()
            result = run_sync(load_project(root), only=["destinations"])
            took = time.perf_counter() - t0
            counts = result.stages[0].counts["syncs"]["vip->hook"]
    finally:
        hook.close()
    exact = (
        len(hook.rows) == rows
        and all(v == 1 for v in hook.rows.values())
        and counts["added"] == rows
    )
    label = f"webhook ({fault_rate:.0%} 429 + {fault_rate:.0%} 500)" if fault_rate else "webhook"
    print(
        f"{label}: {rows:,} members in {took:.1f}s = {rows / took:,.0f} rows/s, batches of {batch_rows}; "
        f"requests {hook.requests:,}, extra {counts['retried_requests']:,} (429s {hook.faults[429]}, 500s {hook.faults[500]}); "
        f"every row delivered exactly once: {exact}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fault-rows", type=int, default=200_000)
    args = parser.parse_args(argv)
    bench_plan(args.rows)
    bench_webhook(args.rows, 0.0, 5000)
    bench_webhook(args.fault_rows, 0.01, 100)


if __name__ == "__main__":
    main()
