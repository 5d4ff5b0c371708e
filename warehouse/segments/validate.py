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
from sqlglot.dialects.dialect import Dialect, Dialects
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError, UnsupportedError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

from cdp.config import closest
from warehouse.segments.catalog import MEMBER_COLUMNS, Catalog, allowed_schema
from warehouse.segments.errors import Problem, SegmentValidationError
from warehouse.segments.files import SegmentFile
from warehouse.segments.rules import ALLOWED_TABLE_FUNCTIONS, forbidden_function, statement_kind

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


class _Checker:
    def __init__(self, seg: SegmentFile, catalog: Catalog) -> None:
        self.seg, self.catalog, self.problems = seg, catalog, list[Problem]()
        self.start: dict[str, object] | None = None
        try:  # where the statement starts: root-level problems point there
            tokens = Dialect.get_or_raise(seg.dialect).tokenize(seg.sql)
            self.start = {"start": tokens[0].start} if tokens else None
        except (SqlglotError, ValueError):
            pass

    def at(self, node: exp.Expr | None, message: str, suggestion: str | None = None) -> None:
        line = col = None
        if isinstance(node, exp.Table):  # point at the start of schema.table
            node = node.args.get("catalog") or node.args.get("db") or node.this
        meta = self.start if node is not None and node.parent is None else _meta(node)
        if meta and "start" in meta:
            start = int(str(meta["start"]))
            line = self.seg.sql.count("\n", 0, start) + 1
            col = start - self.seg.sql.rfind("\n", 0, start)
        self.problems.append(Problem(self.seg.path, message, line, col, suggestion))

    def statement(self, root: exp.Expr) -> bool:
        for node in root.walk():
            kind = statement_kind(node)
            if kind:
                self.at(node, f"{kind} is not allowed: a segment is one read-only SELECT")
                return False
        if not isinstance(root, exp.Select | exp.SetOperation):
            self.at(root, f"a segment must be a SELECT, not {type(root).__name__.upper()}")
            return False
        return True

    def functions_and_tables(self, root: exp.Expr) -> set[str]:
        """Report forbidden functions and unknown tables; return the segments it reads."""
        ctes = {cte.alias_or_name for cte in root.find_all(exp.CTE)}
        reads: set[str] = set()
        for func in root.find_all(exp.Func):
            name = forbidden_function(func)
            if name:
                self.at(
                    func,
                    f"function {name}() is not allowed in segments (no file access, no "
                    "query(), no secrets or settings)",
                )
        for table in root.find_all(exp.Table):
            target = table.this
            if isinstance(target, exp.Func):
                name = (
                    target.name.lower()
                    if isinstance(target, exp.Anonymous)
                    else target.sql_name().lower()
                )
                if name not in ALLOWED_TABLE_FUNCTIONS and not forbidden_function(target):
                    self.at(target, f"table function {name}() is not allowed in segments")
                continue
            if not isinstance(target, exp.Identifier):
                continue
            name, schema = table.name, table.db
            if table.catalog:
                self.at(
                    table,
                    f"'{table.sql()}': name tables as schema.table of this warehouse, "
                    "without a database prefix",
                )
            elif not schema:
                if name in ctes:
                    continue
                if any(ch in name for ch in "./\\*:"):
                    self.at(table, f"reading files is not allowed in segments ('{name}')")
                else:
                    self.at(
                        table,
                        f"unknown table '{name}': name tables with their schema",
                        self._closest_table(name),
                    )
            elif not allowed_schema(schema):
                self.at(
                    table,
                    f"schema '{schema}' is not readable by segments; use profiles, "
                    "staging, identity, segments or raw_<source>",
                )
            elif name not in self.catalog.get(schema, {}):
                self.at(
                    table,
                    f"unknown table '{schema}.{name}'",
                    self._closest_table(f"{schema}.{name}"),
                )
            elif schema == "segments" and name not in ("membership", "runs"):
                reads.add(name)
        return reads

    def _closest_table(self, name: str) -> str | None:
        names = {f"{s}.{t}": t for s, tables in self.catalog.items() for t in tables}
        found = closest(name, names)
        if found is None:
            bare = closest(name.rsplit(".", 1)[-1], set(names.values()))
            found = next((full for full, table in names.items() if table == bare), None)
        return found

    def columns(self, root: exp.Expr) -> None:
        try:
            scopes = traverse_scope(root)
        except SqlglotError:
            return
        for scope in scopes:
            self._scope_columns(scope)

    def _source_columns(self, source: object) -> set[str] | None:
        if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
            cols = self.catalog.get(source.db, {}).get(source.name)
            return set(cols) if cols is not None else None
        if isinstance(source, Scope) and isinstance(
            source.expression, exp.Select | exp.SetOperation
        ):
            selects = source.expression.named_selects
            if "*" in selects or any(isinstance(s, exp.Star) for s in source.expression.selects):
                return None
            return set(selects)
        return None

    def _scope_columns(self, scope: Scope) -> None:
        known = {alias: self._source_columns(src) for alias, src in scope.sources.items()}
        aliases = (
            {sel.alias for sel in scope.expression.selects if isinstance(sel, exp.Alias)}
            if isinstance(scope.expression, exp.Select)
            else set()
        )
        outer: dict[str, set[str] | None] = {}
        parent = scope.parent
        while parent is not None:  # a subquery may name columns of the query around it
            for alias, src in parent.sources.items():
                outer.setdefault(alias, self._source_columns(src))
            parent = parent.parent
        visible = [*known.values(), *outer.values()]
        everything = set().union(*(c for c in visible if c))
        for column in scope.columns:
            if isinstance(column.this, exp.Star) or _in_lambda(column):
                continue
            if column.find_ancestor(exp.Select) is not scope.expression:
                continue  # it belongs to a subquery: checked in that subquery's scope
            name = column.name
            if column.table:
                cols = known.get(column.table)
                if column.table in known and cols is not None and name not in cols:
                    self.at(
                        column.this, f"unknown column '{column.table}.{name}'", closest(name, cols)
                    )
            elif None not in visible and name not in everything and name not in aliases:
                self.at(
                    column.this, f"unknown column '{name}'", closest(name, everything | aliases)
                )


def _meta(node: exp.Expr | None) -> dict[str, object] | None:
    while node is not None:
        for candidate in (node, node.args.get("this")):
            if isinstance(candidate, exp.Expression) and candidate.meta.get("start") is not None:
                return candidate.meta
        found = next((n for n in node.walk() if n.meta.get("start") is not None), None)
        if found is not None:
            return found.meta
        node = node.parent
    return None


def _in_lambda(column: exp.Column) -> bool:
    lam = column.find_ancestor(exp.Lambda)
    return lam is not None and column.name in {e.name for e in lam.expressions}


def _check_one(
    seg: SegmentFile, catalog: Catalog
) -> tuple[ValidSegment | None, list[Problem], set[str]]:
    checker = _Checker(seg, catalog)
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
        _check_translation(checker, root, sql)
    if checker.problems:
        return None, checker.problems, reads
    return ValidSegment(seg, sql, columns or ["profile_id"], reads), [], reads


#: Constructs sqlglot carries over verbatim although DuckDB has no such thing.
_NO_DUCKDB_EQUIVALENT: tuple[tuple[type[exp.Expr], str], ...] = (
    (exp.MatchRecognize, "MATCH_RECOGNIZE"),
)


def _check_translation(checker: _Checker, root: exp.Expr, sql: str) -> None:
    dialect = checker.seg.dialect
    for node in root.walk():
        for cls, word in _NO_DUCKDB_EQUIVALENT:
            if isinstance(node, cls):
                checker.at(node, f"cannot translate {word} from {dialect} to DuckDB; rewrite it")
                return
    try:
        translated = sqlglot.parse_one(sql, read="duckdb")
    except ParseError as exc:
        near = exc.errors[0].get("highlight") if exc.errors else ""
        checker.problems.append(
            Problem(
                checker.seg.path,
                f"cannot translate from {dialect} to DuckDB "
                f"(the translation fails near '{near}'); rewrite that part",
            )
        )
        return
    for func in translated.find_all(exp.Func):
        name = forbidden_function(func)
        if name:
            checker.problems.append(
                Problem(
                    checker.seg.path,
                    f"the DuckDB translation calls {name}(), which segments may not use",
                )
            )


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
