"""Helpers for the benchmark scripts: run a step in a child process, report time and peak memory."""

from __future__ import annotations

import json
import subprocess
import sys
import time


def measure(code: str, *args: str) -> tuple[float, float, str]:
    """Run ``code`` in a fresh Python; returns (seconds, peak RSS in MiB, its stdout)."""
    wrapper = (
        "import sys, json, time\n"
        "t = time.perf_counter()\n"
        f"exec(compile({code!r}, 'bench', 'exec'))\n"
        "elapsed = time.perf_counter() - t\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
        "peak = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) / 1024\n"
        "print('@@' + json.dumps([elapsed, peak]))\n"
    )
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    marker = [line for line in out.stdout.splitlines() if line.startswith("@@")][-1]
    elapsed, peak = json.loads(marker[2:])
    _ = started
    return elapsed, peak, out.stdout


def row(label: str, rows: int, seconds: float, peak_mib: float) -> str:
    return f"{label:<44}{rows:>12,} rows {seconds:>8.2f} s {rows / seconds:>12,.0f} rows/s {peak_mib:>8.0f} MiB peak"
