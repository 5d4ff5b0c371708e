"""Built-in destination connectors and the destinations stage (syncs, reverse ETL).

A destination plugin returns a :class:`cdp.connector.DestinationConnector` whose ``open``
gives an object with the methods of :class:`Destination`: ``check``, ``upsert``, ``remove``,
``finish``, ``stats`` and ``close``. The engine (:mod:`.engine`) does everything else:
diffing against what was delivered, batching by :class:`Limits`, splitting batches a tool
rejects (:class:`BatchRejected`), recording per-row :class:`RowFailure` outcomes, retries
of :class:`TransientError` on the next run. HTTP destinations use :class:`.http.HttpClient`
for the request budget, backoff with jitter and ``Retry-After``.
"""

from connectors.destinations.base import (
    AuthError,
    BatchRejected,
    Destination,
    FieldProblem,
    Limits,
    Row,
    RowFailure,
    SyncSpec,
    TransientError,
)

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
