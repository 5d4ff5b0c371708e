"""The ``files`` destination: each run's changes, and the full member list, as files.

Layout under ``path`` (relative to cdp.yml): ``<sync>/changes/<run_id>/part-00001.<ext>`` with
``profile_id``, ``op`` (add/update/remove) and the mapped fields, written one part per batch
(so a killed run keeps what it wrote), and ``<sync>/snapshot.<ext>``: every member delivered
so far, replaced atomically when the sync's run ends.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cdp.connector import DestinationConnector, DestinationContext
from connectors.destinations.base import FieldProblem, Limits, Row, RowFailure, SyncSpec

__all__ = ["CONNECTOR", "FilesConfig", "FilesDestination"]


class FilesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = "exports"
    format: Literal["csv", "jsonl", "parquet"] = "csv"
    write: Literal["changes", "snapshot", "both"] = "both"
    batch_rows: int = Field(default=100_000, ge=1)


def _slug(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", key.replace("->", "__"))


def write_columns(path: Path, fmt: str, columns: dict[str, list[Any]]) -> None:
    """Write a table given as column name -> values to ``path`` atomically (temp file, rename)."""
    tmp = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        names = list(columns)
        with tmp.open("w", encoding="utf-8") as fh:
            for values in zip(*columns.values(), strict=True):
                record = dict(zip(names, values, strict=True))
                fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    else:
        import pyarrow as pa

        table = pa.table(
            {
                name: pa.array(values) if values else pa.array([], pa.string())
                for name, values in columns.items()
            }
        )
        if fmt == "csv":
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, tmp)
        else:
            import pyarrow.parquet as pq

            pq.write_table(table, tmp)
    os.replace(tmp, path)


class FilesDestination:
    def __init__(self, name: str, config: FilesConfig, project_dir: Path) -> None:
        self.name, self.config = name, config
        root = Path(config.path)
        self.root = root if root.is_absolute() else project_dir / root
        self.limits = Limits(max_rows=config.batch_rows, max_bytes=1 << 40)
        self._parts: dict[str, int] = {}
        self._touched: set[str] = set()

    def check(self, spec: SyncSpec) -> None:
        for field in spec.fields:
            if field in ("profile_id", "op") or not field.strip():
                raise FieldProblem(
                    field, f"'{field}' cannot be a field name in a file (reserved or empty)"
                )

    def _write(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        self._touched.add(spec.key)
        if self.config.write == "snapshot":
            return {}
        n = self._parts[spec.key] = self._parts.get(spec.key, 0) + 1
        path = (
            self.root
            / _slug(spec.key)
            / "changes"
            / spec.run_id
            / f"part-{n:05d}.{self.config.format}"
        )
        columns: dict[str, list[Any]] = {
            "profile_id": [r.profile_id for r in rows],
            "op": [r.op for r in rows],
        }
        for field in spec.fields:
            columns[field] = [r.fields.get(field) for r in rows]
        write_columns(path, self.config.format, columns)
        return {}

    upsert = _write
    remove = _write

    def finish(self, spec: SyncSpec, snapshot: Callable[[], Any]) -> None:
        if self.config.write == "changes":
            return
        path = self.root / _slug(spec.key) / f"snapshot.{self.config.format}"
        if path.exists() and spec.key not in self._touched:
            return  # nothing changed in this run: the snapshot on disk is current
        table = snapshot()
        payloads = [json.loads(p) for p in table.column("payload").to_pylist()]
        columns: dict[str, list[Any]] = {"profile_id": table.column("profile_id").to_pylist()}
        for field in spec.fields:
            columns[field] = [p.get(field) for p in payloads]
        write_columns(path, self.config.format, columns)

    def stats(self) -> Mapping[str, int]:
        return {}

    def close(self) -> None:
        pass


def _open(ctx: DestinationContext) -> FilesDestination:
    return FilesDestination(ctx.name, ctx.config, ctx.project_dir)


CONNECTOR = DestinationConnector(
    name="files",
    description="CSV, JSON Lines or Parquet files: each run's changes and a full snapshot",
    open=_open,
    kind="files",
    config_model=FilesConfig,
)
