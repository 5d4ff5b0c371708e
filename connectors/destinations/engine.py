"""Delivering a plan: batches cut by count and bytes, rejected batches split, state per batch.

Each batch's outcome is committed to the warehouse (``sync.delivered_state``,
``sync.changelog``, ``sync.failures``) in one transaction right after the destination
answered, so a run killed at any point re-sends at most the batch that was in flight.
A batch the destination rejects as invalid is halved until the bad rows are isolated; rows
that still fail are recorded with the reason (terminal ones are not retried until they change).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from cdp.secrets import mask
from connectors.destinations.base import (
    BatchRejected,
    Destination,
    Row,
    RowFailure,
    TransientError,
)
from connectors.destinations.plan import SyncPlan, lit, read_chunk

if TYPE_CHECKING:
    import duckdb

__all__ = ["DeliveryResult", "deliver", "snapshot"]

CHUNK_ROWS = 50_000
#: Consecutive batches that fail after all retries before a sync gives up for this run.
MAX_FAILED_BATCHES = 3


@dataclass
class DeliveryResult:
    added: int = 0
    updated: int = 0
    removed: int = 0
    failed: int = 0
    terminal: int = 0
    retried: int = 0
    error: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)

    def as_counts(self) -> dict[str, int]:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "failed": self.failed,
            "terminal": self.terminal,
            "retried": self.retried,
        }


@dataclass(slots=True)
class _Item:
    row: Row
    rn: int
    """The row's number in the plan table (``rowid + 1``)."""
    size: int
    """Bytes of its fields as JSON."""
    retry: bool


def _batches(items: Iterator[_Item], max_rows: int, max_bytes: int) -> Iterator[list[_Item]]:
    """Consecutive items of the same kind (upsert or remove) cut by count and by bytes."""
    batch: list[_Item] = []
    size, kind = 0, None
    for item in items:
        this_kind = item.row.op == "remove"
        cost = item.size + 2
        if batch and (len(batch) >= max_rows or size + cost > max_bytes or this_kind != kind):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += cost
        kind = this_kind
    if batch:
        yield batch


def _items(con: duckdb.DuckDBPyConnection, plan: SyncPlan) -> Iterator[_Item]:
    start = 0
    while True:
        rows = read_chunk(con, plan, start, CHUNK_ROWS)
        if not rows:
            return
        for rn, pid, op, size, retry, fields, removed_payload, withdrawn in rows:
            values = fields if fields is not None else json.loads(removed_payload)
            yield _Item(Row(pid, values, op, bool(withdrawn)), rn, size, bool(retry))
        start = rows[-1][0]


def _send(dest: Destination, plan: SyncPlan, items: Sequence[_Item]) -> list[RowFailure | None]:
    """Outcome per item: None when delivered, else why not. Splits rejected batches."""
    rows = [i.row for i in items]
    try:
        if rows[0].op == "remove":
            failures = dest.remove(plan.spec, rows)
        else:
            failures = dest.upsert(plan.spec, rows)
    except BatchRejected as exc:
        if len(items) == 1:
            return [RowFailure(mask(exc.reason), exc.terminal)]
        half = len(items) // 2
        return _send(dest, plan, items[:half]) + _send(dest, plan, items[half:])
    return [failures.get(i) for i in range(len(items))]


_FAIL_SCHEMA = pa.schema([("rn", pa.int64()), ("status", pa.string()), ("reason", pa.string())])


def _commit(
    con: duckdb.DuckDBPyConnection,
    plan: SyncPlan,
    items: Sequence[_Item],
    outcomes: Sequence[RowFailure | None],
) -> None:
    """Record one batch's outcome in one transaction (its rows are a range of the plan table)."""
    failed = [(i.rn, o) for i, o in zip(items, outcomes, strict=True) if o is not None]
    fails = pa.table(
        {
            "rn": [rn for rn, _ in failed],
            "status": ["terminal" if o.terminal else "failed" for _, o in failed],
            "reason": [o.reason for _, o in failed],
        },
        schema=_FAIL_SCHEMA,
    )
    spec, key, seq, now = plan.spec, lit(plan.spec.key), time.time_ns(), datetime.now(UTC)
    rows = f"{plan.table} p"
    span = f"p.rowid BETWEEN {int(items[0].rn) - 1} AND {int(items[-1].rn) - 1}"
    sent = f"{span} AND p.rowid + 1 NOT IN (SELECT rn FROM _cdp_batch_fail)"
    con.register("_cdp_batch_fail", fails)
    try:
        con.execute("BEGIN TRANSACTION")
        # one row per delivered member, always: replace the rows of this batch's members
        # (members to add had no row when the plan was made, and only this run writes this sync)
        if any(i.row.op != "add" for i in items):
            con.execute(
                f"DELETE FROM sync.delivered_state WHERE sync_key = {key} "
                f"AND profile_id IN (SELECT p.profile_id FROM {rows} WHERE {sent} AND p.op <> 'add')"
            )
        con.execute(
            "INSERT INTO sync.delivered_state SELECT ?, p.profile_id, p.row_hash, p.payload, false, ?, ?, ? "
            f"FROM {rows} WHERE {sent} AND p.op <> 'remove'",
            [spec.key, now, spec.run_id, seq],
        )
        con.execute(
            "INSERT INTO sync.changelog SELECT ?, ?, ?, p.profile_id, p.op, coalesce(f.status, 'sent'), "
            f"f.reason, ? FROM {rows} LEFT JOIN _cdp_batch_fail f ON f.rn = p.rowid + 1 WHERE {span}",
            [spec.run_id, spec.key, spec.destination, now],
        )
        if failed or any(i.retry for i in items):
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _cdp_fail AS SELECT p.profile_id, p.row_hash, p.op, b.reason, "
                "b.status = 'terminal' AS terminal, coalesce(f.attempts, 0) + 1 AS attempts "
                f"FROM {rows} JOIN _cdp_batch_fail b ON b.rn = p.rowid + 1 "
                f"LEFT JOIN sync.failures f ON f.sync_key = {key} AND f.profile_id = p.profile_id"
            )
            con.execute(
                f"DELETE FROM sync.failures WHERE sync_key = {key} "
                f"AND profile_id IN (SELECT p.profile_id FROM {rows} WHERE {span})"
            )
            con.execute(
                "INSERT INTO sync.failures SELECT ?, profile_id, row_hash, op, reason, terminal, attempts, ?, ? "
                "FROM _cdp_fail",
                [spec.key, spec.run_id, now],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_cdp_batch_fail")


def deliver(
    con: duckdb.DuckDBPyConnection,
    dest: Destination,
    plan: SyncPlan,
    progress: Any = None,
    result: DeliveryResult | None = None,
) -> DeliveryResult:
    """Send ``plan`` to ``dest`` batch by batch, committing each batch's outcome.

    ``result`` is filled in as batches go, so a caller still has the counts of what was
    delivered when an error (e.g. refused credentials) stops the delivery half-way.
    """
    result = result if result is not None else DeliveryResult()
    failed_in_a_row = 0
    limits = dest.limits
    for batch in _batches(_items(con, plan), limits.max_rows, limits.max_bytes):
        try:
            outcomes = _send(dest, plan, batch)
            failed_in_a_row = 0
        except TransientError as exc:
            reason = mask(str(exc))
            outcomes = [RowFailure(reason)] * len(batch)
            failed_in_a_row += 1
        _commit(con, plan, batch, outcomes)
        for item, outcome in zip(batch, outcomes, strict=True):
            result.retried += item.retry
            if outcome is None:
                op = item.row.op
                if op == "add":
                    result.added += 1
                elif op == "update":
                    result.updated += 1
                else:
                    result.removed += 1
            else:
                result.failed += 1
                result.terminal += outcome.terminal
                result.reasons[outcome.reason] = result.reasons.get(outcome.reason, 0) + 1
        if progress is not None:
            progress.advance(len(batch))
        if failed_in_a_row >= MAX_FAILED_BATCHES:
            result.error = (
                f"{MAX_FAILED_BATCHES} batches in a row failed after every retry "
                f"({next(iter(result.reasons), 'unknown')}); the rest is sent by the next run"
            )
            break
    return result


def snapshot(con: duckdb.DuckDBPyConnection, key: str) -> pa.Table:
    """What the destination now holds for sync ``key``: profile_id and the delivered payload."""
    return con.sql(
        "SELECT profile_id, payload FROM sync.delivered_state "
        f"WHERE sync_key = {lit(key)} ORDER BY profile_id"
    ).to_arrow_table()
