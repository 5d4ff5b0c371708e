"""Validation before anything runs: one read-only SELECT over our schemas, known names, profile_id."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.segments.catalog import contract_catalog
from warehouse.segments.errors import SegmentValidationError
from warehouse.segments.files import discover, read_segment
from warehouse.segments.validate import check_segments, validate_segments


def problems_of(tmp_path: Path, files: dict[str, str]) -> list[str]:
    for name, sql in files.items():
        (tmp_path / f"{name}.sql").write_text(sql, encoding="utf-8")
    _, problems = check_segments(discover(tmp_path), contract_catalog())
    return [str(p) for p in problems]


REJECTED = [
    ("insert into profiles.profiles (profile_id) values ('x')", "INSERT"),
    ("update profiles.profiles set email = null", "UPDATE"),
    ("delete from profiles.profiles", "DELETE"),
    ("drop table profiles.profiles", "DROP"),
    ("create table segments.x as select profile_id from profiles.profiles", "CREATE"),
    ("alter table profiles.profiles add column x int", "ALTER"),
    ("copy profiles.profiles to '/tmp/out.csv'", "COPY"),
    ("attach '/tmp/other.duckdb' as other", "ATTACH"),
    ("install httpfs", "INSTALL"),
    ("load httpfs", "LOAD"),
    ("set memory_limit = '100GB'", "SET"),
    ("pragma enable_profiling", "PRAGMA"),
    ("call pragma_version()", "CALL"),
    ("select profile_id from profiles.profiles; select 1 as profile_id", "2 statements"),
    ("select * from read_csv('/etc/passwd')", "read_csv()"),
    ("select * from read_csv_auto('x.csv')", "read_csv_auto()"),
    ("select * from read_parquet('x.parquet')", "read_parquet()"),
    ("select * from read_json_auto('x.json')", "read_json_auto()"),
    ("select content as profile_id from read_text('/etc/hostname')", "read_text()"),
    ("select file as profile_id from glob('*')", "glob()"),
    ("select * from 'customers.csv'", "reading files is not allowed"),
    ("select * from query('select 1 as profile_id')", "query()"),
    ("select * from query_table('profiles.profiles')", "query_table()"),
    ("select name as profile_id from duckdb_secrets()", "duckdb_secrets()"),
    ("select profile_id from profiles.profiles where getenv('HOME') is not null", "getenv()"),
    ("select profile_id from other.profiles", "schema 'other' is not readable"),
    ("select profile_id from wh.profiles.profiles", "database prefix"),
]


@pytest.mark.parametrize(("sql", "expected"), REJECTED)
def test_rejected(tmp_path: Path, sql: str, expected: str) -> None:
    problems = problems_of(tmp_path, {"bad": sql})
    assert problems, sql
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(str(tmp_path / "bad.sql")) for p in problems)


ACCEPTED = [
    "select profile_id, email from profiles.profiles where order_count > 1",
    "with buyers as (select profile_id from profiles.profiles where order_count > 0)\n"
    "select b.profile_id from buyers b",
    "select profile_id from profiles.profiles where country = 'US'\n"
    "union all select profile_id from profiles.profiles where order_count > 3",
    "select rp.profile_id, count(*) as views from staging.events e\n"
    "join identity.record_profiles rp using (source, record_id)\n"
    "where e.event = 'Product Viewed' group by all",
    "select profile_id from profiles.profiles, range(3) as t(i) where i = 0",
    "select profile_id, list_transform([1, 2], x -> x + 1) as l from profiles.profiles",
    "select * from profiles.profiles",
]


@pytest.mark.parametrize("sql", ACCEPTED)
def test_accepted(tmp_path: Path, sql: str) -> None:
    assert problems_of(tmp_path, {"ok": sql}) == []


def test_unknown_table_and_column_have_position_and_suggestion(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        {
            "typo_table": "-- description: x\nselect profile_id\nfrom profiles.profles",
            "typo_column": "select profile_id,\n       p.emial\nfrom profiles.profiles p",
            "bare_column": "select profile_id, total_revnue from profiles.profiles",
        },
    )
    assert (
        f"{tmp_path / 'typo_table.sql'}:3:6: unknown table 'profiles.profles' (did you mean 'profiles.profiles'?)"
        in problems
    )
    assert (
        f"{tmp_path / 'typo_column.sql'}:2:10: unknown column 'p.emial' (did you mean 'email'?)"
        in problems
    )
    assert any(
        "bare_column.sql:1:20: unknown column 'total_revnue' (did you mean 'total_revenue'?)" in p
        for p in problems
    )


def test_missing_profile_id(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, {"noid": "-- owner: me\nselect email from profiles.profiles"})
    assert problems == [
        f"{tmp_path / 'noid.sql'}:2:1: the SELECT must return a profile_id column "
        "(e.g. SELECT profile_id, ... FROM profiles.profiles)"
    ]


def test_all_problems_of_all_files_at_once(tmp_path: Path) -> None:
    for name, sql in {
        "a": "select emial from profiles.profiles",
        "b": "drop table x",
        "c": "select profile_id from profiles.profiles",
    }.items():
        (tmp_path / f"{name}.sql").write_text(sql)
    with pytest.raises(SegmentValidationError) as info:
        validate_segments(discover(tmp_path), contract_catalog())
    files = {p.file.name for p in info.value.problems}
    assert files == {"a.sql", "b.sql"}
    assert "a.sql" in str(info.value) and "b.sql" in str(info.value)


def test_dependency_order_and_cycle(tmp_path: Path) -> None:
    (tmp_path / "base.sql").write_text("select profile_id, email from profiles.profiles")
    (tmp_path / "child.sql").write_text(
        "select profile_id, email from segments.base where not cdp_holdout"
    )
    (tmp_path / "grandchild.sql").write_text("select c.profile_id from segments.child c")
    valid = validate_segments(discover(tmp_path), contract_catalog())
    assert [v.name for v in valid] == ["base", "child", "grandchild"]
    assert valid[1].depends_on == {"base"}

    (tmp_path / "x.sql").write_text("select profile_id from segments.y")
    (tmp_path / "y.sql").write_text("select profile_id from segments.x")
    problems = [str(p) for p in check_segments(discover(tmp_path), contract_catalog())[1]]
    assert any("cycle" in p and ("x -> y -> x" in p or "y -> x -> y" in p) for p in problems), (
        problems
    )


def test_reading_a_missing_segment_suggests(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        {
            "vip": "select profile_id from profiles.profiles",
            "child": "select profile_id from segments.vips",
        },
    )
    assert any("unknown table 'segments.vips'" in p and "segments.vip" in p for p in problems)


def test_dialects_are_transpiled(tmp_path: Path) -> None:
    (tmp_path / "snow.sql").write_text(
        "-- dialect: snowflake\nselect profile_id, iff(order_count > 1, 'repeat', 'once') as kind\n"
        "from profiles.profiles qualify row_number() over (partition by email order by profile_id) = 1"
    )
    (tmp_path / "bq.sql").write_text(
        "-- dialect: bigquery\nselect profile_id, safe_divide(total_revenue, order_count) as aov\n"
        "from profiles.profiles where date_diff(current_date(), date(last_order_at), day) < 30"
    )
    valid = {v.name: v for v in validate_segments(discover(tmp_path), contract_catalog())}
    assert "CASE WHEN" in valid["snow"].sql and "QUALIFY" in valid["snow"].sql
    assert valid["bq"].columns == ["profile_id", "aov"]


def test_untranspilable_construct_is_named(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        {
            "mr": "-- dialect: snowflake\nselect profile_id from profiles.profiles\n"
            "match_recognize (partition by email order by profile_id pattern (a) define a as true)"
        },
    )
    assert problems and ("snowflake" in problems[0] or "syntax" in problems[0]), problems


def test_unknown_dialect_and_header_key(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        {"d": "-- dialect: snowflak\n-- ownr: x\nselect profile_id from profiles.profiles"},
    )
    assert any("unknown dialect 'snowflak'" in p and "snowflake" in p for p in problems)
    assert any(":2:1: unknown header key 'ownr'" in p and "'owner'" in p for p in problems)


@pytest.mark.parametrize(
    ("value", "fraction"), [("10%", 0.10), ("25", 0.25), ("0.05", 0.05), ("0", 0.0)]
)
def test_holdout_header(tmp_path: Path, value: str, fraction: float) -> None:
    path = tmp_path / "h.sql"
    path.write_text(f"-- holdout: {value}\nselect profile_id from profiles.profiles")
    seg = read_segment(path)
    assert seg.problems == [] and seg.holdout == pytest.approx(fraction)


def test_bad_names(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        {
            "Bad-Name": "select profile_id from profiles.profiles",
            "membership": "select profile_id from profiles.profiles",
        },
    )
    assert any("Bad-Name" in p and "lowercase" in p for p in problems)
    assert any("reserved" in p for p in problems)


def test_header_name_overrides_file_name(tmp_path: Path) -> None:
    path = tmp_path / "file.sql"
    path.write_text(
        "-- name: vip_customers\n-- description: Big spenders\nselect profile_id from profiles.profiles"
    )
    seg = read_segment(path)
    assert (seg.name, seg.description) == ("vip_customers", "Big spenders")
