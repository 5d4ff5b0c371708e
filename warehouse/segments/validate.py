"""Validate segment files with sqlglot before anything runs, and order them by their references.

Each file must hold exactly one read-only SELECT (CTEs and set operations allowed) over the
project's own schemas, returning ``profile_id``. Every problem of every file is collected;
:func:`validate_segments` raises one :class:`SegmentValidationError` listing them all.
"""

from __future__ import annotations

import graphlib
import logging
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialects
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError, UnsupportedError
from sqlglot.optimizer.qualify import qualify

from cdp.config import closest
from warehouse.segments.catalog import MEMBER_COLUMNS, Catalog
from warehouse.segments.checks import Checker, check_translation
from warehouse.segments.errors import Problem, SegmentValidationError
from warehouse.segments.files import SegmentFile

__all__ = ["ValidSegment", "check_segments", "validate_segments"]

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # our own messages say it better

#: Dialects a segment may be written in (sqlglot's names); checked without importing them all.
DIALECT_NAMES = frozenset(d.value for d in Dialects if d.value)


@dataclass
class ValidSegment:
    file: SegmentFile
    sql: str
    """The SELECT as DuckDB SQL, generated from the validated tree."""
    columns: list[str]
    depends_on: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.file.name


def _check_one(
    seg: SegmentFile, catalog: Catalog
) -> tuple[ValidSegment | None, list[Problem], set[str]]:
    checker = Checker(seg, catalog)
    checker.problems.extend(seg.problems)
    if seg.dialect not in DIALECT_NAMES:
        checker.problems.append(
            Problem(
                seg.path,
                f"unknown dialect '{seg.dialect}'",
                None,
                None,
                closest(seg.dialect, DIALECT_NAMES),
            )
        )
        return None, checker.problems, set()
    try:
        statements = [s for s in sqlglot.parse(seg.sql, read=seg.dialect) if s is not None]
    except ParseError as exc:
        for err in exc.errors[:3]:
            checker.problems.append(
                Problem(
                    seg.path,
                    f"SQL syntax error: {err['description']}",
                    err.get("line"),
                    err.get("col"),
                )
            )
        return None, checker.problems, set()
    if not statements:
        checker.problems.append(Problem(seg.path, "no SELECT in this file"))
        return None, checker.problems, set()
    if len(statements) > 1:
        checker.at(statements[1], f"{len(statements)} statements; a segment is exactly one SELECT")
        return None, checker.problems, set()
    root = statements[0]
    if not checker.statement(root):
        return None, checker.problems, set()
    reads = checker.functions_and_tables(root)
    checker.columns(root)
    try:
        sql = root.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE, comments=False)
    except UnsupportedError as exc:
        checker.problems.append(
            Problem(seg.path, f"cannot translate from {seg.dialect} to DuckDB: {exc}")
        )
        return None, checker.problems, reads
    columns = _output_columns(root, catalog)
    if columns is not None:
        if "profile_id" not in columns:
            checker.at(
                root,
                "the SELECT must return a profile_id column (e.g. SELECT profile_id, ... "
                "FROM profiles.profiles)",
            )
        for col in columns:
            if col in MEMBER_COLUMNS and col != "profile_id" or columns.count(col) > 1:
                checker.at(root, f"output column '{col}' is reserved or returned twice; rename it")
                break
    if seg.dialect != "duckdb":  # the translation must parse, and add nothing forbidden
        check_translation(checker, root, sql)
    if checker.problems:
        return None, checker.problems, reads
    return ValidSegment(seg, sql, columns or ["profile_id"], reads), [], reads


def _output_columns(root: exp.Expr, catalog: Catalog) -> list[str] | None:
    """The names the SELECT returns (``*`` expanded from the catalog), or None if unknowable."""
    try:
        schema: dict[str, object] = dict(catalog)
        qualified = qualify(
            root.copy(), schema=schema, dialect="duckdb", validate_qualify_columns=False
        )
    except SqlglotError:
        return None
    if not isinstance(qualified, exp.Query):
        return None
    names = list(qualified.named_selects)
    return None if "*" in names or "" in names else names


def check_segments(
    files: list[SegmentFile], catalog: Catalog
) -> tuple[list[ValidSegment], list[Problem]]:
    """Validate every file (upstream segments first); the valid ones come back in run order."""
    by_name = {seg.name: seg for seg in files}
    problems: list[Problem] = []
    deps: dict[str, set[str]] = {}
    trees: dict[str, set[str]] = {}
    for seg in files:  # first pass: which segments each one reads, from the raw tree
        try:
            tree = sqlglot.parse_one(
                seg.sql, read=seg.dialect if seg.dialect in DIALECT_NAMES else None
            )
            refs = {t.name for t in tree.find_all(exp.Table) if t.db == "segments"}
        except (SqlglotError, ValueError):
            refs = set()
        trees[seg.name] = refs
        deps[seg.name] = {r for r in refs if r in by_name}
    sorter = graphlib.TopologicalSorter(deps)
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = list(exc.args[1])
        first = by_name[cycle[0]]
        problems.append(
            Problem(first.path, "segments read each other in a cycle: " + " -> ".join(cycle))
        )
        order = [n for n in by_name if n not in cycle]
        order = list(
            graphlib.TopologicalSorter({n: deps[n] & set(order) for n in order}).static_order()
        )
    catalog = {schema: dict(tables) for schema, tables in catalog.items()}
    catalog.setdefault("segments", {})
    valid: dict[str, ValidSegment] = {}
    for name in order:
        seg = by_name[name]
        broken = sorted(d for d in deps[name] if d not in valid)
        if broken:
            problems.append(
                Problem(seg.path, f"reads segment(s) {', '.join(broken)} which have problems")
            )
            continue
        result, found, _ = _check_one(seg, catalog)
        problems.extend(found)
        if result is not None:
            valid[name] = result
            catalog["segments"][name] = {
                **MEMBER_COLUMNS,
                **{c: "VARCHAR" for c in result.columns if c != "profile_id"},
            }
    problems.sort(key=lambda p: (str(p.file), p.line or 0, p.column or 0))
    return [valid[n] for n in order if n in valid], problems


def validate_segments(files: list[SegmentFile], catalog: Catalog) -> list[ValidSegment]:
    """Every segment, in run order; raises :class:`SegmentValidationError` listing all problems."""
    valid, problems = check_segments(files, catalog)
    if problems:
        raise SegmentValidationError(problems)
    return valid
