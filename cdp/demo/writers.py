"""Writing export files fast, and what each export hands back to the project writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cdp.demo.variation import concat

__all__ = ["Export", "jnum", "jstr", "write_csv", "write_jsonl"]


@dataclass
class Export:
    """One kind of export: its files, its rows, and which person each record belongs to."""

    preset: str
    files: list[Path]
    rows: int
    record_ids: pa.Array | None = None
    """The record id the canonical mapping produces for each record (None for pure events)."""
    persons: np.ndarray | None = None
    """The person index of each record id (same length)."""
    extra: dict[str, int] = field(default_factory=dict)


def write_csv(table: pa.Table, path: Path) -> Path:
    """A CSV with a header, strings quoted where needed, empty for missing values."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = table.cast(pa.schema([pa.field(f.name, pa.string()) for f in table.schema]))
    pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=True, batch_size=65_536))
    return path


def write_jsonl(lines: pa.Array, path: Path) -> Path:
    """Write each (already serialized) JSON object as one line, in one buffer copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = pc.binary_join_element_wise(lines, pa.scalar("\n"), "").cast(pa.large_string())
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[
        lines.offset : lines.offset + len(lines) + 1
    ]
    data = lines.buffers()[2]
    with open(path, "wb") as fh:
        if len(lines):
            fh.write(memoryview(data)[offsets[0] : offsets[-1]])
    return path


def jstr(arr: pa.Array) -> pa.Array:
    """A JSON string literal for each value (``null`` when missing); values hold no quotes."""
    return pc.fill_null(concat('"', arr, '"'), "null")


def jnum(arr: pa.Array) -> pa.Array:
    return pc.fill_null(arr.cast(pa.string()), "null")


def jobject(fields: dict[str, pa.Array]) -> pa.Array:
    """``{"key": value, ...}`` from already-encoded JSON values."""
    parts: list[pa.Array | str] = ["{"]
    for i, (key, value) in enumerate(fields.items()):
        parts += [("" if i == 0 else ", ") + f'"{key}": ', value]
    parts.append("}")
    return concat(*parts)
