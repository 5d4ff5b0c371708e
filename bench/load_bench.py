"""Loading a 1,000,000-row Shopify customers CSV: cdp (dlt, Arrow path) against DuckDB's read_csv.

    python bench/load_bench.py [--rows 1000000]

Prints rows/s and peak memory for: DuckDB's own read_csv into a table (the reference), and
`cdp sync --only sources` on a project whose `files` source reads the same file into
raw_<source> and staging.customer_records. Also times `cdp --help`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import measure, row  # noqa: E402

HEADER = [
    "Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing", "Default Address Company",
    "Default Address Address1", "Default Address Address2", "Default Address City", "Default Address Province Code",
    "Default Address Country Code", "Default Address Zip", "Default Address Phone", "Phone", "Accepts SMS Marketing",
    "Total Spent", "Total Orders", "Note", "Tax Exempt", "Tags",
]  # fmt: skip


def write_csv(path: Path, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(1)
    ids = np.arange(1, rows + 1) + 6_000_000_000
    first = np.array(["Ann", "Bob", "Carla", "Dmitri", "Eve", "Farah", "Gus", "Hana", "Ivan", "Jo"])
    last = np.array(
        ["Lee", "Ray", "Smith", "Ng", "Garcia", "Müller", "O'Brien", "Kim", "Rossi", "Dubois"]
    )
    cities = np.array(["Boston", "Austin", "Denver", "Seattle", "Miami"])
    f, l_ = first[rng.integers(0, 10, rows)], last[rng.integers(0, 10, rows)]
    idx = np.char.mod("%d", np.arange(rows))
    emails = np.char.add(np.char.add(np.char.lower(f), idx), "@example.com")
    yes_no = np.array(["yes", "no"])
    table = pa.table(
        {
            "Customer ID": ids.astype(str),
            "First Name": f,
            "Last Name": l_,
            "Email": emails,
            "Accepts Email Marketing": yes_no[rng.integers(0, 2, rows)],
            "Default Address Company": [""] * rows,
            "Default Address Address1": np.char.add(idx, " Main St"),
            "Default Address Address2": [""] * rows,
            "Default Address City": cities[rng.integers(0, 5, rows)],
            "Default Address Province Code": ["MA"] * rows,
            "Default Address Country Code": ["US"] * rows,
            "Default Address Zip": np.char.zfill(
                np.char.mod("%d", rng.integers(1000, 99999, rows)), 5
            ),
            "Default Address Phone": [""] * rows,
            "Phone": np.char.add(
                "+1617555", np.char.zfill(np.char.mod("%d", rng.integers(0, 9999, rows)), 4)
            ),
            "Accepts SMS Marketing": yes_no[rng.integers(0, 2, rows)],
            "Total Spent": np.round(rng.gamma(2.0, 80.0, rows), 2).astype(str),
            "Total Orders": rng.integers(0, 20, rows).astype(str),
            "Note": [""] * rows,
            "Tax Exempt": ["no"] * rows,
            "Tags": [""] * rows,
        }
    )
    pacsv.write_csv(table, path)


DUCKDB_CODE = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE customers AS SELECT * FROM read_csv(?, header=true)", [sys.argv[2]])
"""

CDP_CODE = """
import sys, time
t0 = time.perf_counter()
import dlt
import connectors.sources.stage as stage
from cdp.config import load_project
from cdp.run import run_sync
phases = {"imports": time.perf_counter() - t0}

def timed(owner, name, label):
    inner = getattr(owner, name)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            phases[label] = phases.get(label, 0.0) + time.perf_counter() - start
    setattr(owner, name, wrapper)

timed(dlt.Pipeline, "extract", "extract (CSV -> Parquet)")
timed(dlt.Pipeline, "normalize", "normalize")
timed(dlt.Pipeline, "load", "load into raw")
timed(stage, "rebuild_staging", "staging")
start = time.perf_counter()
project = load_project(sys.argv[1], preflight=True)
phases["project and plugins"] = time.perf_counter() - start
result = run_sync(project, only=["sources"])
assert result.status == "succeeded", result
phases["total"] = time.perf_counter() - t0
print("phases", "; ".join(f"{k} {v:.2f} s" for k, v in phases.items()))
"""

YML = """name: bench
sources:
  shop:
    connector: files
    config: {path: data/customers.csv, preset: shopify_customers}
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="cdp-load-bench-"))
    try:
        project = work / "project"
        (project / "data").mkdir(parents=True)
        (project / "cdp.yml").write_text(YML)
        csv = project / "data" / "customers.csv"
        t = time.perf_counter()
        write_csv(csv, args.rows)
        print(f"wrote {csv.stat().st_size / 2**20:,.0f} MiB CSV in {time.perf_counter() - t:.1f} s")

        ref_s, ref_mem, _ = measure(DUCKDB_CODE, str(work / "reference.duckdb"), str(csv))
        cdp_s, cdp_mem, out = measure(CDP_CODE, str(project))
        print(row("duckdb read_csv -> table (reference)", args.rows, ref_s, ref_mem))
        print(row("cdp: raw_shop + staging.customer_records", args.rows, cdp_s, cdp_mem))
        print("  " + next(line for line in out.splitlines() if line.startswith("phases")))
        print(
            f"cdp rate is {100 * ref_s / cdp_s:.0f}% of DuckDB's own read_csv (target: at least 50%)"
        )

        timings = []
        for _ in range(5):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "cdp", "--help"], capture_output=True, check=True)
            timings.append(time.perf_counter() - t)
        print(
            f"cdp --help: best {min(timings):.3f} s, median {sorted(timings)[2]:.3f} s (target: under 0.3 s)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
