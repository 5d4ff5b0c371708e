"""The ``postgres`` destination: segment members upserted into a table, in transactions.

The table (``config.table``, ``schema.table`` or ``table`` in ``public``) is created when
missing with ``profile_id`` as primary key, one column per mapped field (typed from the
segment's column) and ``cdp_synced_at``; missing columns are added. Each batch is one
transaction: ``INSERT ... ON CONFLICT (profile_id) DO UPDATE``, and in mirror mode members who
left are deleted. The connection string is the secret ``dsn`` (psycopg 3 / libpq syntax).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cdp.connector import DestinationConnector, DestinationContext
from cdp.errors import ConnectorError
from cdp.secrets import env_var_name, mask
from connectors.destinations.base import (
    BatchRejected,
    FieldProblem,
    Limits,
    Row,
    RowFailure,
    SyncSpec,
    TransientError,
)

__all__ = ["CONNECTOR", "PostgresConfig", "PostgresDestination", "pg_type"]

RESERVED = {"profile_id", "cdp_synced_at"}


class PostgresConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str
    batch_rows: int = Field(default=5_000, ge=1)


def pg_type(duckdb_type: str) -> str:
    t = duckdb_type.upper()
    if t in ("VARCHAR", "TEXT", "UUID") or t.startswith("VARCHAR"):
        return "text"
    if t == "BOOLEAN":
        return "boolean"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"):
        return "bigint"
    if t in ("FLOAT", "DOUBLE", "REAL"):
        return "double precision"
    if t.startswith("DECIMAL") or t in ("HUGEINT", "UBIGINT"):
        return "numeric"
    if t == "DATE":
        return "date"
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return "timestamptz"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    return "jsonb"


class PostgresDestination:
    def __init__(self, name: str, config: PostgresConfig, dsn: str) -> None:
        import psycopg

        self.name, self.config = name, config
        self.limits = Limits(max_rows=config.batch_rows, max_bytes=64_000_000)
        schema, _, table = config.table.rpartition(".")
        self.schema, self.table = schema or "public", table
        self._ready: set[str] = set()
        self._hint = env_var_name("destinations", name, "dsn")
        try:
            self.conn = psycopg.connect(dsn, connect_timeout=10)
        except psycopg.OperationalError as exc:
            text = mask(
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            )
            if re.search(r"authentication|password", text, re.I):
                raise ConnectorError(
                    f"destination '{name}'",
                    f"PostgreSQL refused the login ({text}); check {self._hint}",
                ) from None
            raise ConnectorError(
                f"destination '{name}'",
                f"cannot connect ({text}); check {self._hint}",
                retryable=True,
            ) from None

    def _ident(self) -> Any:
        from psycopg import sql

        return sql.Identifier(self.schema, self.table)

    def check(self, spec: SyncSpec) -> None:
        for field in spec.fields:
            if field in RESERVED:
                raise FieldProblem(
                    field,
                    f"'{field}' is a column cdp itself writes; map the field under another name",
                )

    def _ensure(self, spec: SyncSpec) -> None:
        if spec.key in self._ready:
            return
        from psycopg import sql

        columns = [
            sql.SQL("{} {}").format(
                sql.Identifier(f), sql.SQL(pg_type(spec.types.get(f, "VARCHAR")))
            )
            for f in spec.fields
        ]
        with self.conn.transaction():
            self.conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema))
            )
            self.conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (profile_id text PRIMARY KEY, {}, cdp_synced_at timestamptz)"
                ).format(self._ident(), sql.SQL(", ").join(columns))
            )
            for col in columns:
                self.conn.execute(
                    sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {}").format(self._ident(), col)
                )
        self._ready.add(spec.key)

    def _value(self, spec: SyncSpec, field: str, value: Any) -> Any:
        if value is not None and pg_type(spec.types.get(field, "VARCHAR")) == "jsonb":
            return json.dumps(value)
        return value

    def _run(self, spec: SyncSpec, statement: Any, params: Sequence[Any], many: bool) -> None:
        import psycopg

        self._ensure(spec)
        try:
            with self.conn.transaction(), self.conn.cursor() as cur:
                if many:
                    cur.executemany(statement, params)
                else:
                    cur.execute(statement, params)
        except (psycopg.DataError, psycopg.IntegrityError, psycopg.ProgrammingError) as exc:
            raise BatchRejected(mask(str(exc).splitlines()[0]), terminal=True) from None
        except psycopg.OperationalError as exc:
            raise TransientError(
                mask(str(exc).splitlines()[0] if str(exc) else "connection lost")
            ) from None

    def upsert(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        from psycopg import sql

        fields = list(spec.fields)
        names = [sql.Identifier(f) for f in fields]
        statement = sql.SQL(
            "INSERT INTO {t} (profile_id, {cols}, cdp_synced_at) VALUES (%s, {ph}, now()) "
            "ON CONFLICT (profile_id) DO UPDATE SET {sets}, cdp_synced_at = now()"
        ).format(
            t=self._ident(),
            cols=sql.SQL(", ").join(names),
            ph=sql.SQL(", ").join(sql.Placeholder() * len(fields)),
            sets=sql.SQL(", ").join(sql.SQL("{} = EXCLUDED.{}").format(n, n) for n in names),
        )
        params = [
            [r.profile_id, *(self._value(spec, f, r.fields.get(f)) for f in fields)] for r in rows
        ]
        self._run(spec, statement, params, many=True)
        return {}

    def remove(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        from psycopg import sql

        statement = sql.SQL("DELETE FROM {} WHERE profile_id = ANY(%s)").format(self._ident())
        self._run(spec, statement, [[r.profile_id for r in rows]], many=False)
        return {}

    def finish(self, spec: SyncSpec, snapshot: Callable[[], Any]) -> None:
        pass

    def stats(self) -> Mapping[str, int]:
        return {}

    def close(self) -> None:
        self.conn.close()


def _open(ctx: DestinationContext) -> PostgresDestination:
    return PostgresDestination(ctx.name, ctx.config, ctx.secrets["dsn"].get_secret_value())


CONNECTOR = DestinationConnector(
    name="postgres",
    description="A PostgreSQL table kept equal to the segment (upsert, delete in mirror mode)",
    open=_open,
    kind="database",
    config_model=PostgresConfig,
    secrets=("dsn",),
)
