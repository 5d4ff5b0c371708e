"""Run every benchmark in this folder (`make bench`); each prints its own figures.

    python bench/run_all.py [--only load_bench,identity_bench] [--quick]

``--quick`` passes each script its small-size option where it has one (for a smoke run).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
QUICK_ARGS = {"load_bench": ["--rows", "100000"], "demo_bench": ["--people", "100000"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated script names")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    names = sorted(p.stem for p in HERE.glob("*_bench.py"))
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    for name in names:
        print(f"\n=== {name}", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(name)
        module.main(QUICK_ARGS.get(name, []) if args.quick else [])
        print(f"=== {name} took {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
