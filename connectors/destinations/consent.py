"""Who may be sent to email and ad destinations: consent, unsubscribes, the suppression list.

A profile is eligible for an ``email`` or ``ads`` destination only when its golden record says
``consent_email = true``, no ``Unsubscribed`` event for its email is newer than the profile's
last update, and it is not on the project's suppression list (``suppression:`` in cdp.yml: a
CSV file and/or a warehouse table with columns ``email``, ``phone`` and/or ``profile_id``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cdp.errors import ConfigError
from warehouse.connection import table_exists

if TYPE_CHECKING:
    import duckdb

    from cdp.config import Project

__all__ = ["CONSENT_KINDS", "SUPPRESSED", "UNSUBSCRIBED", "blocked_condition", "prepare_consent"]

#: Destination kinds that only receive people who agreed to be contacted.
CONSENT_KINDS = ("email", "ads")
SUPPRESSED = "_cdp_suppressed"
UNSUBSCRIBED = "_cdp_unsubscribed"
_COLUMNS = ("email", "phone", "profile_id")


def _select_from(con: duckdb.DuckDBPyConnection, relation: str, columns: set[str]) -> str:
    parts = [
        "lower(trim(CAST(email AS VARCHAR)))" if "email" in columns else "NULL::VARCHAR",
        "regexp_replace(CAST(phone AS VARCHAR), '[^0-9]', '', 'g')"
        if "phone" in columns
        else "NULL::VARCHAR",
        "CAST(profile_id AS VARCHAR)" if "profile_id" in columns else "NULL::VARCHAR",
    ]
    return f"SELECT {', '.join(parts)} FROM {relation}"


def prepare_consent(con: duckdb.DuckDBPyConnection, project: Project) -> int:
    """Create the temp tables of suppressed people and unsubscribes; return the list's size."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {SUPPRESSED} (email VARCHAR, phone VARCHAR, profile_id VARCHAR)"
    )
    conf = project.config.suppression
    if conf.file:
        path = Path(conf.file)
        path = path if path.is_absolute() else project.dir / path
        if not path.is_file():
            raise project.error(("suppression", "file"), f"no such file: {path}")
        rel = f"read_csv('{str(path).replace(chr(39), chr(39) * 2)}', all_varchar = true, header = true)"
        cols = {d[0].lower() for d in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()}
        if not cols & set(_COLUMNS):
            raise project.error(
                ("suppression", "file"),
                f"{path} needs a header with a column email, phone or profile_id (found: {', '.join(sorted(cols))})",
            )
        con.execute(f"INSERT INTO {SUPPRESSED} {_select_from(con, rel, cols)}")
    if conf.table:
        schema, _, table = conf.table.rpartition(".")
        if not schema or not table_exists(con, schema, table):
            raise project.error(
                ("suppression", "table"),
                f"no table '{conf.table}' in the warehouse (write schema.table)",
            )
        cols = {
            r[0].lower()
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
                [schema, table],
            ).fetchall()
        }
        if not cols & set(_COLUMNS):
            raise ConfigError(
                f"suppression table {conf.table} needs a column email, phone or profile_id"
            )
        con.execute(f"INSERT INTO {SUPPRESSED} {_select_from(con, f'{schema}.{table}', cols)}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {UNSUBSCRIBED} AS "
        "SELECT lower(trim(email)) AS email, max(timestamp) AS unsubscribed_at FROM staging.events "
        "WHERE event = 'Unsubscribed' AND email IS NOT NULL GROUP BY 1"
        if table_exists(con, "staging", "events")
        else f"CREATE OR REPLACE TEMP TABLE {UNSUBSCRIBED} (email VARCHAR, unsubscribed_at TIMESTAMPTZ)"
    )
    return int(con.execute(f"SELECT count(*) FROM {SUPPRESSED}").fetchall()[0][0])


def blocked_condition(p: str, has: set[str]) -> str:
    """SQL true when the profile aliased ``p`` must not reach email or ad destinations."""
    consent = f"{p}.consent_email IS NOT TRUE" if "consent_email" in has else "TRUE"
    email = f"lower(trim({p}.email))" if "email" in has else "NULL"
    phone = f"regexp_replace({p}.phone, '[^0-9]', '', 'g')" if "phone" in has else "NULL"
    updated = f"{p}.updated_at" if "updated_at" in has else "NULL"
    return (
        f"({consent}"
        f" OR coalesce({p}.profile_id IN (SELECT profile_id FROM {SUPPRESSED} WHERE profile_id IS NOT NULL), FALSE)"
        f" OR coalesce({email} IN (SELECT email FROM {SUPPRESSED} WHERE email IS NOT NULL), FALSE)"
        f" OR coalesce({phone} IN (SELECT phone FROM {SUPPRESSED} WHERE phone IS NOT NULL AND phone <> ''), FALSE)"
        f" OR EXISTS (SELECT 1 FROM {UNSUBSCRIBED} u WHERE u.email = {email}"
        f" AND ({updated} IS NULL OR u.unsubscribed_at >= {updated})))"
    )
