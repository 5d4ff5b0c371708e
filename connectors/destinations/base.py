"""What every destination implements, and the errors the delivery engine understands.

A destination receives batches of :class:`Row` (one per segment member, its mapped fields)
and answers with the rows it could not take (:class:`RowFailure`, by position in the batch).
The engine does the rest: diffing, batching, splitting rejected batches, recording outcomes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cdp.errors import CdpError

__all__ = [
    "AuthError",
    "BatchRejected",
    "Destination",
    "FieldProblem",
    "Limits",
    "Row",
    "RowFailure",
    "SyncSpec",
    "TransientError",
]


@dataclass(frozen=True)
class Limits:
    """How a destination wants its batches cut."""

    max_rows: int = 1000
    max_bytes: int = 5_000_000
    """Upper bound on a batch's JSON payload size (rows' fields serialized)."""


@dataclass(slots=True)
class Row:
    profile_id: str
    fields: dict[str, Any]
    """Destination field name -> value (JSON types; dates as ISO strings)."""
    op: str = "add"
    """add | update | remove"""
    withdrawn: bool = False
    """A removal because the person withdrew consent, unsubscribed or was suppressed: an email
    tool should stop messaging them, not only take them off the synced list."""


@dataclass(frozen=True)
class RowFailure:
    reason: str
    terminal: bool = False
    """True when the destination will never accept this row as it is (do not retry it)."""


@dataclass(frozen=True)
class SyncSpec:
    """One entry of ``syncs:`` as the engine sees it."""

    key: str
    index: int
    segment: str
    destination: str
    mode: str
    fields: Mapping[str, str]
    """Destination field -> source column."""
    types: Mapping[str, str] = field(default_factory=dict)
    """Destination field -> DuckDB type of its source column."""
    run_id: str = ""


class FieldProblem(CdpError):
    """A mapped field the destination does not know (the stage points it at cdp.yml)."""

    def __init__(
        self,
        field_name: str,
        message: str,
        suggestion: str | None = None,
        path: tuple[str | int, ...] | None = None,
    ) -> None:
        self.field_name, self.suggestion = field_name, suggestion
        self.path = path
        """The cdp.yml key to point at when it is not ``syncs[i].fields.<field_name>``."""
        super().__init__(message)


class BatchRejected(Exception):  # noqa: N818 - a signal, not a user error
    """The destination refused the whole batch as invalid; the engine splits it to find why."""

    def __init__(self, reason: str, terminal: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.terminal = reason, terminal


class TransientError(Exception):
    """The destination kept failing (429/5xx/network) after every retry; try again next run."""


class AuthError(CdpError):
    """The destination refused our credentials: nothing more can be sent to it in this run."""


class Destination(Protocol):
    """What ``DestinationConnector.open`` returns."""

    limits: Limits

    def check(self, spec: SyncSpec) -> None:
        """Raise :class:`FieldProblem` for a mapped field the tool does not accept."""

    def upsert(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        """Add or update ``rows``; return failures by index. Raise BatchRejected/TransientError."""

    def remove(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        """Remove ``rows`` (fields as last delivered) from the tool or the synced list."""

    def finish(self, spec: SyncSpec, snapshot: Callable[[], Any]) -> None:
        """Called once a sync's delivery ends; ``snapshot()`` gives the delivered state (Arrow)."""

    def stats(self) -> Mapping[str, int]:
        """Request counters: ``requests`` and ``retried_requests``."""

    def close(self) -> None: ...
