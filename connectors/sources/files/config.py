"""The ``config:`` block of a ``files`` source, and the spec a preset expands it into."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.sources.files.presets import PRESETS, ColumnType, Preset

__all__ = ["CANONICAL_FIELDS", "FileSpec", "FilesConfig", "column_key"]

Format = Literal["csv", "jsonl", "parquet"]

#: Fields a ``columns:`` mapping may name, by entity.
CANONICAL_FIELDS = {
    "customers": (
        "email",
        "phone",
        "first_name",
        "last_name",
        "full_name",
        "street",
        "city",
        "postcode",
        "region",
        "country",
        "date_of_birth",
        "created_at",
        "updated_at",
        "consent_email",
        "consent_sms",
    ),
    "events": (
        "event_id",
        "email",
        "anonymous_id",
        "event",
        "timestamp",
        "revenue",
        "currency",
        "name",
    ),
}
CANONICAL_FIELDS["orders"] = (
    *CANONICAL_FIELDS["events"],
    "phone",
    "billing_name",
    "street",
    "city",
    "postcode",
    "region",
    "country",
)

#: Canonical fields whose file column is type-checked while reading, and how.
FIELD_TYPES: dict[str, ColumnType] = {
    "created_at": "timestamp",
    "updated_at": "timestamp",
    "timestamp": "timestamp",
    "date_of_birth": "date",
    "revenue": "number",
}


def column_key(name: str) -> str:
    """The column name a file header becomes in the raw table (dlt's snake_case naming)."""
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    return NamingConvention().normalize_identifier(name)


class FilesConfig(BaseModel):
    """Settings of a ``files`` source (CSV, JSON Lines or Parquet exports on local disk)."""

    model_config = ConfigDict(extra="forbid")

    path: str | list[str] = Field(
        description="File path or glob (or a list), relative to the project"
    )
    preset: Literal[tuple(PRESETS)] | None = None  # type: ignore[valid-type]
    entity: Literal["customers", "events"] | None = None
    format: Format | None = Field(default=None, description="Default: from the file extension")
    table: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    columns: dict[str, str] = Field(
        default_factory=dict, description="canonical field -> file column"
    )
    record_id: str | None = None
    external_ids: dict[str, str] = Field(default_factory=dict)
    event: str | None = None
    event_names: dict[str, str] = Field(default_factory=dict)
    types: dict[str, ColumnType] = Field(default_factory=dict)
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: Literal["utf-8", "utf-16", "latin-1"] = "utf-8"
    timestamp_format: str | None = None
    date_format: str | None = None

    @model_validator(mode="after")
    def _entity_known(self) -> FilesConfig:
        if self.preset is None and self.entity is None:
            raise ValueError(
                "set either 'preset' (a known export format) or 'entity' (customers or events)"
            )
        entity = PRESETS[self.preset].entity if self.preset else self.entity
        unknown = sorted(set(self.columns) - set(CANONICAL_FIELDS[entity or "customers"]))
        if unknown:
            raise ValueError(
                f"columns: unknown canonical field(s) {', '.join(unknown)}; "
                f"use: {', '.join(CANONICAL_FIELDS[entity or 'customers'])}"
            )
        return self

    def spec(self) -> FileSpec:
        """The effective reading and mapping spec: the preset's, overridden by explicit keys."""
        base: Preset | None = PRESETS[self.preset] if self.preset else None
        columns = {**(base.columns if base else {}), **self.columns}
        types = dict(base.types) if base else {}
        for fld, column in columns.items():
            if fld in FIELD_TYPES:
                types.setdefault(column, FIELD_TYPES[fld])
        types.update(self.types)
        return FileSpec(
            preset=base.name if base else None,
            description=base.description if base else f"{self.entity} file",
            entity=base.entity if base else (self.entity or "customers"),
            format=self.format or (base.format if base else None),
            table=self.table or (base.name if base else self.entity or "rows"),
            required=base.required if base else tuple(dict.fromkeys(columns.values())),
            columns=columns,
            record_id=self.record_id or (base.record_id if base else None),
            record_id_expr=base.record_id_expr if base and not self.record_id else None,
            external_ids={**(base.external_ids if base else {}), **self.external_ids},
            consent=dict(base.consent) if base else {},
            types=types,
            event=self.event or (base.event if base else None),
            event_names={**(base.event_names if base else {}), **self.event_names},
            delimiter=self.delimiter,
            encoding=self.encoding,
            timestamp_format=self.timestamp_format or (base.timestamp_format if base else None),
            date_format=self.date_format or (base.date_format if base else None),
        )


@dataclass(frozen=True)
class FileSpec:
    preset: str | None
    description: str
    entity: str
    format: Format | None
    table: str
    required: tuple[str, ...]
    columns: dict[str, str]
    record_id: str | None
    record_id_expr: str | None
    external_ids: dict[str, str]
    consent: dict[str, str]
    types: dict[str, ColumnType]
    event: str | None
    event_names: dict[str, str]
    delimiter: str = ","
    encoding: str = "utf-8"
    timestamp_format: str | None = None
    date_format: str | None = None
