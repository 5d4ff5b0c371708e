"""Incremental resolution: a run after the first re-clusters only what new, changed or
deleted records can reach, with the stored model parameters; a config change or
``full_refresh`` makes a full run that learns them again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import duckdb
import pytest

from identity.apply import apply_resolution
from identity.config import IdentityConfig
from identity.resolve import resolve
from identity.store import ensure_tables
from tests.identity.conftest import insert, rec


def _run(con: duckdb.DuckDBPyConnection, **kw: object):  # type: ignore[no-untyped-def]
    ensure_tables(con)
    config = IdentityConfig()
    resolution = resolve(con, config, **kw)  # type: ignore[arg-type]
    return resolution, apply_resolution(con, config, resolution, "r").counts


def _profiles(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT source, record_id, profile_id FROM identity.record_profiles")
    return {f"{s}:{r}": p for s, r, p in rows.fetchall()}


def _people(n: int) -> list[dict[str, object]]:
    return [
        rec("shop", f"{i}", email=f"person{i}@example.com", first_name=f"Name{i}", last_name="Smith",
            postcode=f"{10000 + i}", street=f"{i} Main St")
        for i in range(n)
    ]  # fmt: skip


def test_new_record_touches_only_what_it_reaches(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = _people(20)
    for i in range(20):  # a second record per person, so every profile holds a link
        rows.append(rec("crm", f"{i}", email=f"person{i}@example.com", first_name=f"Name{i}"))
    insert(warehouse, rows)
    first, _ = _run(warehouse)
    links = warehouse.execute("SELECT * FROM identity.links ORDER BY ALL").fetchall()
    assert len(links) == 20
    assert (
        first.full
        and warehouse.execute("SELECT count(*) FROM identity.model_params").fetchall()[0][0] == 1
    )
    before = _profiles(warehouse)
    insert(warehouse, [rec("crm", "x", email="PERSON3@example.com", first_name="Name3")])
    second, counts = _run(warehouse)
    assert not second.full
    assert second.stats["changed_records"] == 1
    assert sorted(second.records) == [("crm", "3"), ("crm", "x"), ("shop", "3")]
    after = _profiles(warehouse)
    assert after["crm:x"] == after["shop:3"] == before["shop:3"]
    assert {k: v for k, v in after.items() if k != "crm:x"} == before
    assert counts["records"] == 41 and counts["profiles"] == 20 and counts["joined_records"] == 1
    # Untouched profiles keep their links; the grown one gains one.
    after_links = warehouse.execute("SELECT * FROM identity.links ORDER BY ALL").fetchall()
    assert set(links) < set(after_links) and len(after_links) == 21
    # Nothing new: an empty scope, nothing written.
    third, counts = _run(warehouse)
    assert not third.full and third.records == [] and counts["profiles"] == 20


def test_deleted_and_changed_records_are_resolved_again(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    insert(
        warehouse, [*_people(5), rec("crm", "x", email="person1@example.com", first_name="Name1")]
    )
    _run(warehouse)
    assert _profiles(warehouse)["crm:x"] == _profiles(warehouse)["shop:1"]
    # crm:x changes its email to person2's: it moves.
    insert(warehouse, [rec("crm", "x", email="person2@example.com", first_name="Name2")])
    resolution, counts = _run(warehouse)
    assert not resolution.full and counts["moved_records"] == 1
    assert _profiles(warehouse)["crm:x"] == _profiles(warehouse)["shop:2"]
    # Its older row is still in staging, and matches no kept row: the latest row decides,
    # so a run with nothing new changes nothing.
    resolution, counts = _run(warehouse)
    assert resolution.stats["changed_records"] == 0 and resolution.records == []
    # shop:2 is deleted upstream: crm:x keeps the profile, shop:2 leaves it.
    warehouse.execute(
        "UPDATE staging.customer_records SET deleted = true WHERE source = 'shop' AND record_id = '2'"
    )
    resolution, counts = _run(warehouse)
    assert not resolution.full and counts["removed_records"] == 1
    assert "shop:2" not in _profiles(warehouse)
    golden = warehouse.execute(
        "SELECT count(*), sum(record_count) FROM identity.golden_records"
    ).fetchall()
    assert golden == [(5, 5)]


def test_full_refresh_learns_again(warehouse: duckdb.DuckDBPyConnection) -> None:
    insert(warehouse, _people(5))
    _run(warehouse)
    resolution, _ = _run(warehouse, full_refresh=True)
    assert resolution.full and resolution.stats["mode"] == "full refresh asked"
    assert resolution.params


def test_a_new_resolver_version_resolves_everything_again(
    warehouse: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Profiles resolved by an earlier cdp are all resolved again by the new rules, not only
    those new records reach."""
    from identity import state

    insert(warehouse, _people(3))
    _run(warehouse)
    insert(warehouse, [rec("shop", "new", email="new@example.com", first_name="New")])
    monkeypatch.setattr(state, "RESOLVER_VERSION", state.RESOLVER_VERSION + 1)
    resolution, _ = _run(warehouse)
    assert (
        resolution.full
        and resolution.stats["mode"] == "identity config, resolver or DuckDB version changed"
    )
    assert not _run(warehouse)[0].full


def test_a_new_duckdb_resolves_everything_again(
    warehouse: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept rows hold DuckDB's hashes (the scope search joins on them), which another
    DuckDB release may compute differently: its first run is a full one."""
    insert(warehouse, _people(3))
    _run(warehouse)
    monkeypatch.setattr(duckdb, "__version__", "99.0.0")
    resolution, _ = _run(warehouse)
    assert resolution.full
    assert not _run(warehouse)[0].full


def _kept(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """The kept features, identifiers and names, by record (numbers differ between runs)."""
    features = con.execute(
        "SELECT * EXCLUDE (rid) FROM identity.record_features ORDER BY source, record_id"
    ).fetchall()
    keys, names = (
        con.execute(
            f"SELECT f.source, f.record_id, k.* EXCLUDE (rid) FROM identity.{table} k "
            "JOIN identity.record_features f USING (rid) ORDER BY ALL"
        ).fetchall()
        for table in ("record_keys", "record_names")
    )
    return features, keys, names


def test_kept_state_after_incremental_runs_equals_a_full_runs(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    household = dict(email="smiths@example.com", last_name="Smith")
    insert(warehouse, [*_people(6), rec("crm", "h1", first_name="Ann", **household)])
    _run(warehouse)
    # New records (one on a household inbox that becomes shared), a change, a deletion.
    insert(
        warehouse,
        [
            rec("crm", "x", email="person1@example.com", first_name="Name1", external_ids={"hubspot_contact_id": "7"}),
            rec("crm", "h2", first_name="Bob", **household),
            rec("crm", "h3", first_name="Carla", **household),
            rec("shop", "3", email="new3@example.com", first_name="Name3", last_name="Smith"),
        ],
    )  # fmt: skip
    warehouse.execute(
        "UPDATE staging.customer_records SET deleted = true WHERE source = 'shop' AND record_id = '4'"
    )
    resolution, _ = _run(warehouse)
    assert not resolution.full
    incremental = _kept(warehouse), _profiles(warehouse)
    numbers = warehouse.execute(
        "SELECT count(*), count(DISTINCT rid) FROM identity.record_features"
    ).fetchall()
    assert numbers[0][0] == numbers[0][1] == len(incremental[1])
    resolution, _ = _run(warehouse, full_refresh=True)
    assert resolution.full
    assert (_kept(warehouse), _profiles(warehouse)) == incremental


def test_an_incremental_run_that_fails_leaves_the_previous_state(
    warehouse: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    import identity.resolve

    insert(warehouse, _people(5))
    _run(warehouse)
    before = _kept(warehouse), _profiles(warehouse)
    insert(warehouse, [rec("crm", "x", email="person1@example.com", first_name="Name1")])

    def broken(*args: object) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(identity.resolve, "compute_scope", broken)
    with pytest.raises(RuntimeError):
        _run(warehouse)
    assert (_kept(warehouse), _profiles(warehouse)) == before
    monkeypatch.undo()
    resolution, counts = _run(warehouse)
    assert not resolution.full and counts["joined_records"] == 1


def test_a_changed_record_refreshes_its_profiles_golden_record_only(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    insert(
        warehouse, [*_people(3), rec("crm", "1", email="person1@example.com", first_name="Name1")]
    )
    _run(warehouse)
    golden = dict(
        warehouse.execute("SELECT profile_id, updated_at FROM identity.golden_records").fetchall()
    )
    # shop:1 moves house: same person, same profile, a new address.
    warehouse.execute(
        "UPDATE staging.customer_records SET street = '9 Elm St', updated_at = now() "
        "WHERE source = 'shop' AND record_id = '1'"
    )
    resolution, counts = _run(warehouse)
    assert not resolution.full and counts["golden_records_written"] == 1
    pid = _profiles(warehouse)["shop:1"]
    rows = dict(
        warehouse.execute("SELECT profile_id, street FROM identity.golden_records").fetchall()
    )
    assert rows[pid] == "9 Elm St"
    after = dict(
        warehouse.execute("SELECT profile_id, updated_at FROM identity.golden_records").fetchall()
    )
    assert {p: t for p, t in after.items() if p != pid} == {
        p: t for p, t in golden.items() if p != pid
    }


def test_golden_records_kept_without_hashes_are_not_rewritten(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    """A warehouse from before the golden records' hashes were kept: the next run hashes
    the kept ones and rewrites only the golden record whose content changed."""
    insert(warehouse, _people(3))
    _run(warehouse)
    warehouse.execute("DELETE FROM identity.golden_hashes")
    before = dict(
        warehouse.execute("SELECT profile_id, updated_at FROM identity.golden_records").fetchall()
    )
    insert(warehouse, [rec("crm", "1", email="person1@example.com", first_name="Name1",
                           region="CA")])  # fmt: skip
    resolution, counts = _run(warehouse)
    assert not resolution.full and counts["golden_records_written"] == 1
    after = dict(
        warehouse.execute("SELECT profile_id, updated_at FROM identity.golden_records").fetchall()
    )
    changed = [p for p in after if after[p] != before.get(p)]
    assert changed == [_profiles(warehouse)["crm:1"]]
    assert (
        warehouse.execute(
            "SELECT count(*) FROM identity.golden_hashes h JOIN identity.golden_records USING (profile_id)"
        ).fetchall()[0][0]
        == 3
    )


def _hand_set() -> IdentityConfig:
    from identity.config import DEFAULT_RULES, FuzzyRule

    rules = [r for r in DEFAULT_RULES if r.kind == "exact"]
    rules.append(FuzzyRule(kind="fuzzy", name="names_and_address"))
    return IdentityConfig(rules=rules)


def _incremental_equals_full(
    con: duckdb.DuckDBPyConnection,
    config: IdentityConfig,
    first: list[dict[str, object]],
    later: list[dict[str, object]],
    change: Callable[[], None] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Resolve ``first``, then ``later`` (and what ``change`` does) incrementally; check a
    full resolution with the same parameters gives the same profiles. Returns the profiles
    before and after."""
    from identity.state import load_params

    insert(con, first)
    ensure_tables(con)
    apply_resolution(con, config, resolve(con, config), "r1")
    before = _profiles(con)
    insert(con, later)
    if change is not None:
        change()
    resolution = resolve(con, config)
    assert not resolution.full
    apply_resolution(con, config, resolution, "r2")
    incremental = _profiles(con)
    # (One kept row per record, under one number.)
    assert con.execute(
        "SELECT count(*) = count(DISTINCT (source, record_id)) AND count(*) = count(DISTINCT rid) "
        "FROM identity.record_features"
    ).fetchall() == [(True,)]
    apply_resolution(con, config, resolve(con, config, params=load_params(con)), "r3")
    assert _profiles(con) == incremental
    return before, incremental


@pytest.mark.parametrize("change", ["grows", "shrinks"])
def test_a_block_crossing_its_size_cap_is_resolved_again(
    warehouse: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """A record joining a block at its size cap ends the links of the others in it (a full run
    no longer pairs them), and one leaving a block over the cap lets the others pair: both
    reach records no identifier connects to the changed one."""
    from identity import blocking

    monkeypatch.setattr(blocking, "MAX_BLOCK", 2)
    config = _hand_set()
    lee = {"last_name": "Lee", "postcode": "94105", "street": "1 Oak Street"}
    pair = [
        rec("shop", "a", first_name="Robert", email="rob@example.com", **lee),
        rec("crm", "b", first_name="Robert", email="robert.lee@example.org", **lee),
    ]
    third = rec("email", "c", first_name="Anna", email="anna@example.net", **lee)
    if change == "grows":
        _, incremental = _incremental_equals_full(warehouse, config, pair, [third])
    else:
        _, incremental = _incremental_equals_full(
            warehouse, config, [*pair, third], [{**third, "deleted": True}]
        )
    linked = incremental["shop:a"] == incremental["crm:b"]
    assert linked == (change == "shrinks")


@pytest.mark.parametrize("case", ["held_by_a_fuzzy_link", "refused_last_time"])
def test_fuzzy_links_kept_from_the_last_run_resolve_as_a_full_run(
    warehouse: duckdb.DuckDBPyConnection, case: str
) -> None:
    """Pairs of unchanged records are not scored again: their passing links come from the
    last run. A profile that only a fuzzy link holds together stays whole when a new record
    joins it, and a link refused last time (two birth dates) both brings its other record
    into the scope and is taken once the record that blocked it is deleted."""
    config = _hand_set()
    lee = {"last_name": "Lee", "postcode": "94105", "street": "1 Oak Street"}
    x = rec("shop", "x", first_name="Robert", email="rob@example.com", **lee)
    if case == "held_by_a_fuzzy_link":
        first = [x, rec("crm", "y", first_name="Robert", email="robert.lee@example.org", **lee)]
        later = [rec("email", "c", first_name="Robert", email="rob@example.com")]
    else:
        w = rec("crm", "w", first_name="Robert", email="rob@example.com",
                date_of_birth=date(1980, 1, 1))  # fmt: skip
        z = rec("email", "z", first_name="Robert", email="bob.lee@example.net",
                date_of_birth=date(1990, 5, 5), **lee)  # fmt: skip
        first, later = [x, w, z], [{**w, "deleted": True}]
    before, incremental = _incremental_equals_full(warehouse, config, first, later)
    if case == "held_by_a_fuzzy_link":
        assert incremental["shop:x"] == incremental["crm:y"] == incremental["email:c"]
    else:
        assert before["shop:x"] != before["email:z"]
        assert incremental["shop:x"] == incremental["email:z"]


def test_a_newer_row_beside_the_resolved_one_changes_the_record(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    """A record whose resolved staging row is still there beside a newer one is a changed
    record (its latest row counts), not a new one."""
    config = _hand_set()
    old = datetime(2020, 1, 1, tzinfo=UTC)
    first = [
        rec("shop", "1", first_name="Ann", email="ann@example.com", updated_at=old),
        rec("crm", "7", first_name="Ann", email="ann.b@example.org"),
    ]

    def newer_row() -> None:
        warehouse.execute(
            "INSERT INTO staging.customer_records BY NAME SELECT 'shop' AS source, "
            "'1' AS record_id, 'Ann' AS first_name, 'ann.b@example.org' AS email, "
            "now() AS updated_at"
        )

    before, incremental = _incremental_equals_full(warehouse, config, first, [], newer_row)
    assert before["shop:1"] != before["crm:7"]
    assert incremental["shop:1"] == incremental["crm:7"]
