"""The second wall: user SQL runs on a locked-down DuckDB connection with a time limit.

Design (DuckDB 2.0, measured): a second DuckDB database in the same process cannot ATTACH the
warehouse file while the run's connection has it open ("Unique file handle conflict"), and a
second process cannot open it at all (file lock). So segment SQL runs on a *cursor* of the
warehouse connection, and the stage locks the warehouse's DuckDB instance down before the first
segment runs:

* ``enable_external_access = false``: no file or network access (read_csv, ``FROM 'x.csv'``,
  COPY, ATTACH, INSTALL, EXPORT, secrets all fail with a permission error);
* ``autoinstall_known_extensions`` / ``autoload_known_extensions`` /
  ``allow_community_extensions`` off: no extension is fetched or loaded behind our back;
* ``python_enable_replacements = false`` on the sandbox cursor: a table name cannot resolve to
  a Python variable of this process;
* ``memory_limit`` from ``warehouse.memory_limit`` (DuckDB's default, 80% of RAM, otherwise);
* ``lock_configuration = true``: no SET/RESET/PRAGMA can change any of the above.

These instance-wide settings cannot be undone, so they hold for the rest of the run (the
destinations stage reads and writes warehouse tables only) until the connection closes.
Write protection does not come from DuckDB here (the connection can write): the engine gate
in :meth:`Sandbox.query` parses the text with DuckDB's own parser and executes only a single
statement of type SELECT, which cannot write. A timer thread calls ``interrupt()`` on the
cursor at the time limit.
"""

from __future__ import annotations

import threading
from typing import Any

import duckdb

from warehouse.segments.errors import SegmentError

__all__ = ["Sandbox", "lock_down"]

_INSTANCE_SETTINGS = (
    ("enable_external_access", False),
    ("autoinstall_known_extensions", False),
    ("autoload_known_extensions", False),
    ("allow_community_extensions", False),
)


def _setting(con: duckdb.DuckDBPyConnection, name: str) -> Any:
    return con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0]


def lock_down(con: duckdb.DuckDBPyConnection, memory_limit: str | None = None) -> None:
    """Apply the instance-wide lock-down (idempotent: a locked instance is left as it is)."""
    if _setting(con, "lock_configuration"):
        if _setting(con, "enable_external_access"):
            raise SegmentError(
                "the warehouse connection is locked with external access enabled; "
                "refusing to run segment SQL on it"
            )
        return
    if memory_limit:
        con.execute("SET memory_limit = ?", [memory_limit])
    for name, value in _INSTANCE_SETTINGS:
        con.execute(f"SET {name} = {'true' if value else 'false'}")
    con.execute("SET lock_configuration = true")


class Sandbox:
    """A cursor of the warehouse connection that runs only single SELECTs, under a time limit."""

    def __init__(self, con: duckdb.DuckDBPyConnection, memory_limit: str | None = None) -> None:
        self.cur = con.cursor()
        if not _setting(con, "lock_configuration"):
            self.cur.execute("SET python_enable_replacements = false")  # local to this cursor
        lock_down(con, memory_limit)

    def close(self) -> None:
        self.cur.close()

    def check(self, sql: str) -> None:
        """The engine gate: DuckDB's own parser must see exactly one SELECT statement."""
        try:
            statements = self.cur.extract_statements(sql)
        except duckdb.Error as exc:
            raise SegmentError(f"the engine cannot parse the segment: {exc}") from None
        if len(statements) != 1:
            raise SegmentError(
                f"the engine refused {len(statements)} statements: run exactly one SELECT"
            )
        kind = statements[0].type
        if kind != duckdb.StatementType.SELECT:
            raise SegmentError(f"the engine refused a {kind.name} statement: only SELECT may run")

    def execute(self, sql: str, params: Any = None, *, timeout: float) -> list[tuple[Any, ...]]:
        """Run ``sql`` (ours, wrapping a checked SELECT) on the sandbox cursor, stopped at ``timeout``."""
        fired = threading.Event()

        def stop() -> None:
            fired.set()
            self.cur.interrupt()

        timer = threading.Timer(timeout, stop)
        timer.daemon = True
        timer.start()
        try:
            return self.cur.execute(sql, params).fetchall()
        except duckdb.InterruptException:
            raise SegmentError(
                f"stopped at the time limit ({timeout:g} s); raise '-- timeout:' in "
                "the segment's header or make the query cheaper"
            ) from None
        except duckdb.Error as exc:
            if fired.is_set():
                raise SegmentError(f"stopped at the time limit ({timeout:g} s)") from None
            raise SegmentError(str(exc).splitlines()[0]) from None
        finally:
            timer.cancel()

    def query(
        self, sql: str, *, timeout: float, limit: int | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one user SELECT (gate-checked) and return its column names and rows."""
        self.check(sql)
        wrapped = f"SELECT * FROM ({sql}\n) AS cdp_q" + (
            f" LIMIT {int(limit)}" if limit is not None else ""
        )
        rows = self.execute(wrapped, timeout=timeout)
        names = [d[0] for d in self.cur.description or []]
        return names, rows
