"""What segment SQL may touch: the project's own schemas, and no function that reads files,
runs other SQL, or reaches secrets and settings. Checked on the sqlglot tree of each file."""

from __future__ import annotations

from sqlglot import exp

__all__ = [
    "ALLOWED_SCHEMAS",
    "ALLOWED_TABLE_FUNCTIONS",
    "forbidden_function",
    "statement_kind",
]

#: Schemas a segment may read; ``raw_<source>`` schemas are allowed too.
ALLOWED_SCHEMAS = ("profiles", "staging", "identity", "segments")

#: Table functions that generate rows without touching files or the catalog.
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})

_FORBIDDEN_NAMES = frozenset(
    {
        "glob",
        "query",
        "query_table",
        "sniff_csv",
        "csv_scan",
        "parquet_scan",
        "json_scan",
        "duckdb_secrets",
        "which_secret",
        "load_aws_credentials",
        "getenv",
        "checkpoint",
        "force_checkpoint",
        "current_setting",
        "set_variable",
        "duckdb_settings",
        "duckdb_extensions",
        "duckdb_temporary_files",
        "st_read",
        "excel",
        "httpfs",
        "iceberg_scan",
        "delta_scan",
        "sqlite_scan",
        "postgres_scan",
        "mysql_scan",
        "postgres_query",
        "mysql_query",
        "sqlite_attach",
        "postgres_attach",
        "read_file",
    }
)
_FORBIDDEN_PREFIXES = (
    "read_",
    "parquet_",
    "sqlite_",
    "postgres_",
    "mysql_",
    "iceberg_",
    "delta_",
    "pragma_",
    "ducklake_",
    "icu_",
    "json_execute",
)

#: Statements that are not a read-only SELECT, by sqlglot node, with the words users know.
_KINDS: tuple[tuple[type[exp.Expression], str], ...] = (
    (exp.Insert, "INSERT (DML)"),
    (exp.Update, "UPDATE (DML)"),
    (exp.Delete, "DELETE (DML)"),
    (exp.Merge, "MERGE (DML)"),
    (exp.Create, "CREATE (DDL)"),
    (exp.Drop, "DROP (DDL)"),
    (exp.Alter, "ALTER (DDL)"),
    (exp.Copy, "COPY"),
    (exp.Attach, "ATTACH"),
    (exp.Detach, "DETACH"),
    (exp.Install, "INSTALL"),
    (exp.Set, "SET"),
    (exp.Pragma, "PRAGMA"),
    (exp.Use, "USE"),
    (exp.Describe, "DESCRIBE"),
    (exp.Summarize, "SUMMARIZE"),
    (exp.Transaction, "a transaction statement"),
    (exp.Commit, "COMMIT"),
    (exp.Rollback, "ROLLBACK"),
)


def statement_kind(node: exp.Expr) -> str | None:
    """What a node that is not allowed in a segment is called, or None when it is fine."""
    if isinstance(node, exp.Command):
        return str(node.this).upper()  # LOAD, CALL, EXPORT, VACUUM, ... that sqlglot keeps as text
    for cls, word in _KINDS:
        if isinstance(node, cls):
            return word
    return None


def function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def forbidden_function(node: exp.Func) -> str | None:
    """The name of a function segments may not call (file readers, query(), secrets), or None."""
    name = function_name(node)
    if name in _FORBIDDEN_NAMES or name.startswith(_FORBIDDEN_PREFIXES):
        return name
    return None
