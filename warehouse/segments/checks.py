"""The checks run on one segment's sqlglot tree: statement kind, functions, tables, columns,
and the DuckDB translation of other dialects. Each problem is recorded with its file position."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.optimizer.scope import Scope, traverse_scope

from cdp.config import closest
from warehouse.segments.catalog import Catalog, allowed_schema
from warehouse.segments.errors import Problem
from warehouse.segments.files import SegmentFile
from warehouse.segments.rules import ALLOWED_TABLE_FUNCTIONS, forbidden_function, statement_kind

__all__ = ["Checker", "check_translation"]


class Checker:
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


#: Constructs sqlglot carries over verbatim although DuckDB has no such thing.
_NO_DUCKDB_EQUIVALENT: tuple[tuple[type[exp.Expr], str], ...] = (
    (exp.MatchRecognize, "MATCH_RECOGNIZE"),
)


def check_translation(checker: Checker, root: exp.Expr, sql: str) -> None:
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
