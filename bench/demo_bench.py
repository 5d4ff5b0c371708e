"""How long `cdp demo` takes to write its files for a million people (no sync).

.venv/bin/python bench/demo_bench.py [PEOPLE]      # default 1,000,000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def main(argv: list[str] | None = None) -> dict[str, float]:
    from cdp.demo import write_demo

    parser = argparse.ArgumentParser(description="time `cdp demo`'s file generation")
    parser.add_argument("--people", type=int, default=1_000_000)
    people = parser.parse_args(argv).people

    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        result = write_demo(Path(tmp) / "demo", people, seed=42, as_of=date(2026, 1, 1))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file())
        rows = sum(e.rows for e in result.exports.values())
    print(
        f"demo: {people:,} people -> {rows:,} rows in {len(result.exports)} sources, "
        f"{result.truth_rows:,} truth records, {size / 1e6:,.0f} MB"
    )
    for name, export in result.exports.items():
        print(f"  {name:<15}{export.rows:>12,} rows")
    print(
        f"demo: generated and written in {seconds:.1f}s wall, {cpu:.1f}s CPU "
        f"({rows / seconds:,.0f} rows/s; on a busy machine CPU time is the fairer figure)"
    )
    return {
        "people": people,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "rows": rows,
        "megabytes": round(size / 1e6),
    }


if __name__ == "__main__":
    main(sys.argv[1:])
