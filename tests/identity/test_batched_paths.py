"""The paths that keep a large resolution fast and its memory bounded give what the plain
computation gives: golden records summarized in slices, EM over pattern codes, and the
exact links' evidence rendered by DuckDB."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import golden
from identity.apply import apply_resolution
from identity.config import IdentityConfig
from identity.fellegi_sunter import FellegiSunter, decode_patterns, encode_patterns
from identity.resolve import resolve
from identity.store import ensure_tables
from tests.identity.conftest import insert, rec

GOLDEN_COLUMNS = "* EXCLUDE (updated_at)"


def _people() -> list[dict]:
    old, mid, new = (datetime(y, 1, 1, tzinfo=UTC) for y in (2024, 2025, 2026))
    rows = []
    for n, (first, last) in enumerate([("Ann", "Lee"), ("Bob", "Ray"), ("Cy", "Oz"), ("Di", "Fu")]):
        email = f"{first.lower()}@example.com"
        rows += [
            rec("shop", f"{n}a", email=email, first_name=first, last_name=last, city="Boston",
                updated_at=old, created_at=old, external_ids={"shopify_customer_id": str(n)}),
            rec("crm", f"{n}b", email=email.upper(), first_name=first, city="Austin",
                updated_at=new, created_at=mid, date_of_birth=date(1990, 1, n + 1),
                external_ids={"hubspot_contact_id": str(n)}),
            rec("social", f"{n}c", email=email, first_name=first.upper(), city=None,
                updated_at=mid, created_at=new),
        ]  # fmt: skip
    return rows


def test_golden_records_in_slices_equal_one_pass(
    warehouse: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert(warehouse, _people())
    config = IdentityConfig.model_validate(
        {
            "survivorship": {
                "default": "most_recent",
                "source_priority": ["social", "shop"],
                "fields": {
                    "first_name": "most_frequent",
                    "city": "first_non_null",
                    "email": "source_priority",
                },
            }
        }
    )
    ensure_tables(warehouse)
    apply_resolution(warehouse, config, resolve(warehouse, config), "r1")
    query = f"SELECT {GOLDEN_COLUMNS} FROM identity.golden_records ORDER BY profile_id"
    one_pass = warehouse.execute(query).fetchall()
    assert len(one_pass) == 4
    warehouse.execute("DELETE FROM identity.golden_records")
    monkeypatch.setattr(golden, "GOLDEN_SLICE", 2)  # 12 records: six slices
    written, _ = golden.refresh_golden(
        warehouse, config.survivorship, "identity.record_profiles", datetime.now(UTC)
    )
    assert written == 4
    assert warehouse.execute(query).fetchall() == one_pass


def test_exact_link_evidence_names_identifier_and_value(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    insert(warehouse, _people())
    config = IdentityConfig()
    ensure_tables(warehouse)
    apply_resolution(warehouse, config, resolve(warehouse, config), "r1")
    rows = warehouse.execute(
        "SELECT rule, CAST(evidence AS VARCHAR) FROM identity.links WHERE rule = 'email'"
    ).fetchall()
    assert rows
    for _, evidence in rows:
        assert json.loads(evidence) == {
            "identifier": "email",
            "value": json.loads(evidence)["value"],
        }
        assert "@example.com" in json.loads(evidence)["value"]


N_LEVELS = [4, 4, 3, 2]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(*(st.integers(-1, n - 1) for n in N_LEVELS)), min_size=1, max_size=60))
def test_pattern_codes_round_trip_and_keep_row_order(rows: list[tuple[int, ...]]) -> None:
    gammas = np.array(rows, dtype=np.int8)
    codes = encode_patterns(gammas, N_LEVELS)
    assert (decode_patterns(codes, N_LEVELS) == gammas).all()
    # Sorting by code sorts the vectors lexicographically (as np.unique(axis=0) did).
    unique_codes = np.unique(codes)
    assert (decode_patterns(unique_codes, N_LEVELS) == np.unique(gammas, axis=0)).all()


def test_em_over_pattern_codes_equals_em_over_distinct_vectors() -> None:
    rng = np.random.default_rng(3)
    gammas = np.stack([rng.integers(-1, n, 5000) for n in N_LEVELS], axis=1).astype(np.int8)
    gammas[:500] = [n - 1 for n in N_LEVELS]  # some clear matches
    by_codes = FellegiSunter(N_LEVELS, prior=0.01)
    by_codes.fit(gammas)
    patterns, counts = np.unique(gammas, axis=0, return_counts=True)
    by_vectors = FellegiSunter(N_LEVELS, prior=0.01)
    by_vectors.fit_patterns(patterns, counts)
    assert by_codes.to_params() == by_vectors.to_params()
    assert by_codes.iterations_run == by_vectors.iterations_run > 0


def test_values_normalized_in_worker_processes_equal_the_serial_ones(monkeypatch):
    from identity import features

    rows = [(f"+1 (415) 555-{i:04d}", "@us") for i in range(300)] + [
        ("020 7946 0958", "GB"),
        ("0000000000", "@us"),
        ("not a phone", "@us"),
    ]
    serial = features._normalize_chunk("phone", rows)
    monkeypatch.setattr(features, "PARALLEL_FROM", 10)
    with features._Normalizer() as normalize:
        parallel = normalize("phone", rows)
        assert normalize.pool is not None  # the workers really ran
        assert normalize("email", [("Ann@Example.com", "")]) == ["ann@example.com"]
    assert parallel == serial and serial[0] == "+14155550000" and serial[-1] is None


@pytest.mark.parametrize("in_transaction", [False, True])
def test_records_are_numbered_by_their_rank_of_key(
    warehouse: duckdb.DuckDBPyConnection, in_transaction: bool
) -> None:
    """``rid`` is a live record's rank by (source, record_id), from its row's position in the
    sorted table: rows written inside a transaction get rowids from a large offset, and a
    record held twice keeps its latest row."""
    from identity.features import build_features

    old = datetime(2020, 1, 1, tzinfo=UTC)
    rows = [rec(s, r, email=f"{s}{r}@example.com") for s in ("b", "a", "c") for r in "91x"]
    insert(warehouse, rows)
    # A second, older row of one record: the latest one is its live row.
    warehouse.execute(
        "INSERT INTO staging.customer_records BY NAME "
        "SELECT 'a' AS source, '9' AS record_id, 'old@example.com' AS email, ? AS updated_at",
        [old],
    )
    if in_transaction:
        warehouse.execute("BEGIN TRANSACTION")
    build_features(warehouse, IdentityConfig(), plan=True)
    got = warehouse.execute("SELECT rid, source, record_id, email FROM id_features").fetchall()
    if in_transaction:
        warehouse.execute("ROLLBACK")
    keys = sorted((s, r) for s in "abc" for r in "91x")
    assert [(rid, s, r) for rid, s, r, _ in sorted(got)] == [
        (i, s, r) for i, (s, r) in enumerate(keys)
    ]
    assert ("a", "9", "a9@example.com") in [(s, r, e) for _, s, r, e in got]
