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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _serve(conn: Any, customers: int, orders: int, token: str) -> None:
    """The fake API in its own process, so it does not share the connector's GIL."""
    from tests.connectors.servers.shopify import FakeShopify

    with FakeShopify(
        token=token,
        customers=customers,
        orders=orders,
        products=0,
        checkouts=0,
        leak_per_second=1e9,
    ) as fake:
        conn.send(fake.base_url)
        while True:
            command = conn.recv()
            if command[0] == "touch":
                fake.touch(command[1], range(*command[2]))
                conn.send("ok")
            else:
                return


def main(argv: list[str] | None = None) -> dict[str, float]:
    import multiprocessing

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--changed", type=float, default=0.01)
    args = parser.parse_args(argv)

    token = "shpat_bench"
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(
        target=_serve, args=(child, args.customers, args.orders, token), daemon=True
    )
    server.start()
    base_url = parent.recv()
    try:
        return _run(args, base_url, token, parent)
    finally:
        parent.send(("stop",))
        server.join(10)


def _run(args: argparse.Namespace, base_url: str, token: str, control: Any) -> dict[str, float]:
    from cdp.testing import SourceCase, run_source
    from connectors.sources.api.shopify import CONNECTOR

    with tempfile.TemporaryDirectory() as tmp:
        case = SourceCase(
            name="shop",
            config={
                "shop": "bench.myshopify.com",
                "base_url": base_url,
                "resources": ["customers", "orders"],
                "detect_deletes": [],
            },
            secrets={"access_token": token},
        )
        start = time.perf_counter()
        full = run_source(CONNECTOR, case, Path(tmp))
        full_s = time.perf_counter() - start
        customers, orders = full.rows.get("customers", 0), full.rows.get("orders", 0)
        items = full.rows.get("order_line_items", 0)
        loaded = customers + orders
        print(
            f"full load: {customers:,} customers + {orders:,} orders (+ {items:,} line items) "
            f"in {full_s:.1f}s = {loaded / full_s:,.0f} records/s "
            f"({(loaded + items) / full_s:,.0f} rows/s with line items)"
        )
        step = int(1 / args.changed)
        for kind, count in (("customers", args.customers), ("orders", args.orders)):
            control.send(("touch", kind, (0, count, step)))
            control.recv()
        start = time.perf_counter()
        inc = run_source(CONNECTOR, case, Path(tmp))
        inc_s = time.perf_counter() - start
        print(
            f"incremental run, {args.changed:.0%} changed: {inc.rows.get('customers', 0):,} "
            f"customers + {inc.rows.get('orders', 0):,} orders in {inc_s:.1f}s"
        )
        return {"full_load_records_per_s": loaded / full_s, "incremental_s": inc_s}


if __name__ == "__main__":
    main()
