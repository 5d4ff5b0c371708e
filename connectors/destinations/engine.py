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
    row_hash: str | None
    payload: str
    retry: bool


def _batches(items: Iterator[_Item], max_rows: int, max_bytes: int) -> Iterator[list[_Item]]:
    """Consecutive items of the same kind (upsert or remove) cut by count and by bytes."""
    batch: list[_Item] = []
    size, kind = 0, None
    for item in items:
        this_kind = item.row.op == "remove"
        cost = len(item.payload) + 2
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
        for _rn, pid, op, row_hash, payload, retry, fields in rows:
            values = fields if fields is not None else json.loads(payload)
            yield _Item(Row(pid, values, op), row_hash, payload, bool(retry))
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


def _commit(
    con: duckdb.DuckDBPyConnection,
    plan: SyncPlan,
    items: Sequence[_Item],
    outcomes: Sequence[RowFailure | None],
) -> None:
    now = datetime.now(UTC)
    table = pa.table(
        {
            "profile_id": [i.row.profile_id for i in items],
            "op": [i.row.op for i in items],
            "row_hash": [i.row_hash for i in items],
            "payload": [i.payload for i in items],
            "status": [
                "sent" if o is None else "terminal" if o.terminal else "failed" for o in outcomes
            ],
            "reason": [None if o is None else o.reason for o in outcomes],
        }
    )
    spec, key, seq = plan.spec, lit(plan.spec.key), time.time_ns()
    con.register("_cdp_batch", table)
    try:
        con.execute("BEGIN TRANSACTION")
        # one row per delivered member, always: replace the rows of this batch's members
        con.execute(
            f"DELETE FROM sync.delivered_state WHERE sync_key = {key} "
            "AND profile_id IN (SELECT profile_id FROM _cdp_batch WHERE status = 'sent')"
        )
        con.execute(
            "INSERT INTO sync.delivered_state SELECT ?, profile_id, row_hash, payload, false, ?, ?, ? "
            "FROM _cdp_batch WHERE status = 'sent' AND op <> 'remove'",
            [spec.key, now, spec.run_id, seq],
        )
        con.execute(
            "INSERT INTO sync.changelog SELECT ?, ?, ?, profile_id, op, status, reason, ? FROM _cdp_batch",
            [spec.run_id, spec.key, spec.destination, now],
        )
        if any(o is not None for o in outcomes) or any(i.retry for i in items):
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _cdp_fail AS SELECT b.profile_id, b.row_hash, b.op, b.reason, "
                "b.status = 'terminal' AS terminal, coalesce(f.attempts, 0) + 1 AS attempts "
                f"FROM _cdp_batch b LEFT JOIN sync.failures f ON f.sync_key = {key} AND f.profile_id = b.profile_id "
                "WHERE b.status <> 'sent'"
            )
            con.execute(
                f"DELETE FROM sync.failures WHERE sync_key = {key} "
                "AND profile_id IN (SELECT profile_id FROM _cdp_batch)"
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
        con.unregister("_cdp_batch")


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
    return con.execute(
        "SELECT profile_id, payload FROM sync.delivered_state WHERE sync_key = ? ORDER BY profile_id",
        [key],
    ).to_arrow_table()
