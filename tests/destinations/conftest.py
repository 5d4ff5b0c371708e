"""Fixtures: a project with segments and profiles tables created directly with SQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from cdp.config import load_project
from cdp.run import RunResult, run_sync

PROFILE_COLUMNS = {
    "profile_id": "VARCHAR", "email": "VARCHAR", "phone": "VARCHAR", "first_name": "VARCHAR",
    "last_name": "VARCHAR", "street": "VARCHAR", "city": "VARCHAR", "postcode": "VARCHAR",
    "region": "VARCHAR", "country": "VARCHAR", "date_of_birth": "DATE", "consent_email": "BOOLEAN",
    "consent_sms": "BOOLEAN", "updated_at": "TIMESTAMPTZ", "lifetime_value": "DOUBLE",
}  # fmt: skip


def person(i: int, **over: Any) -> dict[str, Any]:
    row = {
        "profile_id": f"p{i:06d}", "email": f"User{i}@Example.com", "phone": f"+44 7700 9{i:05d}",
        "first_name": f"First{i}", "last_name": f"Last{i}", "city": "London", "postcode": "SW1A 1AA",
        "region": "England", "country": "GB", "date_of_birth": "1990-01-02", "consent_email": True,
        "consent_sms": True, "lifetime_value": float(i),
    }  # fmt: skip
    row.update(over)
    return row


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.warehouse = root / ".cdp" / "wh.duckdb"

    def write_config(self, destinations: dict, syncs: list, **extra: Any) -> None:
        config = {
            "name": "test",
            "warehouse": {"path": ".cdp/wh.duckdb"},
            "destinations": destinations,
            "syncs": syncs,
            **extra,
        }
        (self.root / "cdp.yml").write_text(yaml.safe_dump(config, sort_keys=False))

    def set_members(
        self, people: list[dict[str, Any]], segment: str = "vip", holdout: set[str] = frozenset()
    ) -> None:
        """(Re)create profiles.profiles with ``people`` and segments.<segment> with all of them."""
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.warehouse))
        try:
            for schema in ("profiles", "segments", "staging"):
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            cols = ", ".join(f"{c} {t}" for c, t in PROFILE_COLUMNS.items())
            con.execute(f"CREATE OR REPLACE TABLE profiles.profiles ({cols})")
            tmp = self.root / "people.json"
            tmp.write_text(json.dumps([{c: p.get(c) for c in PROFILE_COLUMNS} for p in people]))
            if people:
                con.execute(
                    f"INSERT INTO profiles.profiles SELECT * FROM read_json('{tmp}', columns = {{{', '.join(f'{c!r}: {t!r}' for c, t in PROFILE_COLUMNS.items())}}})"
                )
            con.execute(
                f"CREATE OR REPLACE TABLE segments.{segment} AS SELECT profile_id, profile_id IN ({', '.join(repr(h) for h in holdout) or 'NULL'}) AS cdp_holdout, "
                "email, first_name, last_name, phone, lifetime_value FROM profiles.profiles"
            )
        finally:
            con.close()

    def load(self):  # noqa: ANN201
        return load_project(self.root)

    def sync(self, **kw: Any) -> RunResult:
        return run_sync(self.load(), only=["destinations"], **kw)

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse))
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def stage_counts(result: RunResult) -> dict[str, Any]:
    return next(s for s in result.stages if s.stage == "destinations").counts
