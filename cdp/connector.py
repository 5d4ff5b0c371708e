"""What a connector plugin hands to cdp: plain dataclasses, no base class to inherit.

A *source* connector is a dlt source plus the SQL that maps the tables it loads into the
canonical model (``staging.customer_records`` and ``staging.events``). A *destination*
connector knows how to add, update and remove batches of segment members in a tool.
Plugins return these from the hooks in :mod:`cdp.hookspecs`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

__all__ = [
    "CUSTOMER_RECORD_COLUMNS",
    "EVENT_COLUMNS",
    "FILES_TABLE",
    "REJECTED_TABLE",
    "CanonicalMapping",
    "DestinationConnector",
    "DestinationContext",
    "MappingContext",
    "NoConfig",
    "SourceConnector",
    "SourceContext",
]

#: Rows a source could not read go to this table of its raw dataset, with columns
#: ``file, line, reason, raw`` (all text but ``line``); the sources stage gathers them into
#: ``staging.rejected_rows`` and counts them in the run summary.
REJECTED_TABLE = "_cdp_rejected_rows"

#: A source that reads files records each loaded file here (``_cdp_file``, ``_cdp_sha256``, ...);
#: the sources stage keeps only the rejected rows of each file's current version.
FILES_TABLE = "_cdp_files"

#: The canonical customer record, column name to DuckDB type (see SPEC.md).
CUSTOMER_RECORD_COLUMNS: dict[str, str] = {
    "source": "VARCHAR",
    "record_id": "VARCHAR",
    "email": "VARCHAR",
    "phone": "VARCHAR",
    "first_name": "VARCHAR",
    "last_name": "VARCHAR",
    "street": "VARCHAR",
    "city": "VARCHAR",
    "postcode": "VARCHAR",
    "region": "VARCHAR",
    "country": "VARCHAR",
    "date_of_birth": "DATE",
    "external_ids": "MAP(VARCHAR, VARCHAR)",
    "consent_email": "BOOLEAN",
    "consent_sms": "BOOLEAN",
    "created_at": "TIMESTAMPTZ",
    "updated_at": "TIMESTAMPTZ",
    "deleted": "BOOLEAN",
    "attributes": "JSON",
}

#: The canonical behavioural event (Segment Spec names), column name to DuckDB type.
EVENT_COLUMNS: dict[str, str] = {
    "source": "VARCHAR",
    "event_id": "VARCHAR",
    "record_id": "VARCHAR",
    "email": "VARCHAR",
    "anonymous_id": "VARCHAR",
    "event": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "properties": "JSON",
    "revenue": "DECIMAL(18, 2)",
    "currency": "VARCHAR",
}


class NoConfig(BaseModel):
    """The config model of a connector that takes no settings."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class SourceContext:
    """Everything a source connector gets to build its dlt source for one run."""

    name: str
    """The source's key under ``sources:`` in cdp.yml (``shop``)."""
    config: Any
    """The connector's validated config model instance."""
    secrets: Mapping[str, SecretStr]
    """Resolved secrets by name; a required one that is missing fails before the run starts."""
    project_dir: Path
    dataset: str
    """The raw dataset (DuckDB schema) it loads into: ``raw_<name>``."""
    full_refresh: bool = False
    progress: Callable[[int], None] = field(default=lambda rows: None)
    """Call with the number of rows just read, to move the progress display (optional)."""


@dataclass(frozen=True)
class MappingContext:
    """What a connector's canonical mapping may look at: its raw schema as it now is."""

    source: str
    schema: str
    config: Any
    tables: Mapping[str, tuple[str, ...]]
    """Tables that exist in ``schema``, each with its column names."""


@dataclass(frozen=True)
class CanonicalMapping:
    """SELECT statements (DuckDB SQL) over a source's raw schema.

    Each statement returns columns named as in :data:`CUSTOMER_RECORD_COLUMNS` or
    :data:`EVENT_COLUMNS` (any subset, in any order: the rest are NULL; ``source`` is filled in).
    """

    customer_records: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SourceConnector:
    """A source plugin: a dlt source and how its tables map into the canonical model."""

    name: str
    """The value of ``connector:`` in cdp.yml."""
    description: str
    build: Callable[[SourceContext], Any]
    """Returns a ``dlt.source`` (or a list of ``dlt.resource``) that loads into ``ctx.dataset``."""
    mapping: Callable[[MappingContext], CanonicalMapping]
    config_model: type[BaseModel] = NoConfig
    secrets: tuple[str, ...] = ()
    """Names of required secrets, resolved from the environment or .dlt/secrets.toml."""
    optional_secrets: tuple[str, ...] = ()
    check: Callable[[SourceContext], None] | None = None
    """Optional pre-flight check run before any source loads (e.g. that input files exist);
    raises :class:`cdp.errors.CdpError`."""
    reconcile: Callable[[SourceContext, Any], None] | None = None
    """Optional: run against the warehouse connection after every load of the source (and when
    there was nothing to load, so the work a killed run left undone gets done). For sources
    whose tables dlt *appends* to: remove rows that a newer load superseded or that a load job
    replayed after a crash appended twice. Must be idempotent and cheap when all is well."""


@dataclass(frozen=True)
class DestinationContext:
    """Everything a destination connector gets to open a connection for one run."""

    name: str
    config: Any
    secrets: Mapping[str, SecretStr]
    project_dir: Path


@dataclass(frozen=True)
class DestinationConnector:
    """A destination plugin: how to add, update and remove batches of members in a tool."""

    name: str
    description: str
    open: Callable[[DestinationContext], Any]
    """Returns an object implementing :class:`connectors.destinations.base.Destination`."""
    kind: str = "other"
    """One of ``email``, ``ads``, ``crm``, ``webhook``, ``database``, ``files``, ``other``;
    consent rules for email and ad destinations depend on it."""
    config_model: type[BaseModel] = NoConfig
    secrets: tuple[str, ...] = ()
    optional_secrets: tuple[str, ...] = ()
