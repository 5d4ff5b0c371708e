"""Shopify source throughput against the local fake Admin REST API.

Full load of customers + orders (with line items) into a DuckDB file, then an incremental run
after 1% of the customers and orders changed. Prints records/s and seconds.

    .venv/bin/python bench/sources_bench.py                      # 200,000 customers, 1,000,000 orders
    .venv/bin/python bench/sources_bench.py --customers 20000 --orders 100000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> dict[str, float]:
    from cdp.testing import SourceCase, run_source
    from connectors.sources.api.shopify import CONNECTOR
    from tests.connectors.servers.shopify import FakeShopify

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--changed", type=float, default=0.01)
    args = parser.parse_args(argv)

    token = "shpat_bench"
    with (
        FakeShopify(
            token=token,
            customers=args.customers,
            orders=args.orders,
            products=0,
            checkouts=0,
            leak_per_second=1e9,
        ) as fake,
        tempfile.TemporaryDirectory() as tmp,
    ):
        case = SourceCase(
            name="shop",
            config={
                "shop": "bench.myshopify.com",
                "base_url": fake.base_url,
                "resources": ["customers", "orders"],
                "detect_deletes": [],
            },
            secrets={"access_token": token},
        )
        start = time.perf_counter()
        full = run_source(CONNECTOR, case, Path(tmp))
        full_s = time.perf_counter() - start
        loaded = full.rows.get("customers", 0) + full.rows.get("orders", 0)
        print(
            f"full load: {full.rows.get('customers', 0):,} customers + {full.rows.get('orders', 0):,} orders "
            f"(+ {full.rows.get('order_line_items', 0):,} line items) in {full_s:.1f}s "
            f"= {loaded / full_s:,.0f} records/s ({full.rows.get('order_line_items', 0) / full_s + loaded / full_s:,.0f} rows/s with line items)"
        )

        fake.touch("customers", range(0, args.customers, int(1 / args.changed)))
        fake.touch("orders", range(0, args.orders, int(1 / args.changed)))
        start = time.perf_counter()
        inc = run_source(CONNECTOR, case, Path(tmp))
        inc_s = time.perf_counter() - start
        print(
            f"incremental run, {args.changed:.0%} changed: {inc.rows.get('customers', 0):,} customers + "
            f"{inc.rows.get('orders', 0):,} orders in {inc_s:.1f}s"
        )
        return {"full_load_records_per_s": loaded / full_s, "incremental_s": inc_s}


if __name__ == "__main__":
    main()
