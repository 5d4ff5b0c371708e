"""Materialize one validated segment: members, holdout, membership history, run sizes.

One transaction on the sandbox cursor rebuilds ``segments.<name>`` from the user's SELECT
(under the time limit), diffs it against the open membership rows, closes the rows of those who
left, opens rows for those who entered and records the run in ``segments.runs``. Until COMMIT
every other connection sees the old members; a failure or a crash rolls the whole step back.
With ``--plan`` the members go to a temp table instead and nothing is written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files

import sqlglot
from sqlglot import exp

from warehouse.connection import table_exists
from warehouse.segments.sandbox import Sandbox
from warehouse.segments.validate import ValidSegment

__all__ = ["Outcome", "ensure_tables", "materialize", "record_failure"]

_NEXT = "cdp_next_members"


@dataclass
class Outcome:
    segment: str
    members: int = 0
    holdout: int = 0
    entered: int = 0
    exited: int = 0
    skipped_rows: int = 0
    status: str = "succeeded"
    error: str | None = None
    seconds: float = 0.0


def ensure_tables(con: object) -> None:
    sql = files("warehouse.segments").joinpath("schema.sql").read_text(encoding="utf-8")
    con.execute(sql)  # type: ignore[attr-defined]


def _member_select(seg: ValidSegment, plan_tables: set[str] | None = None) -> str:
    """profile_id, cdp_holdout, then the segment's other columns, from the validated SELECT."""
    inner = sqlglot.parse_one(seg.sql, read="duckdb")
    if plan_tables:  # --plan: read upstream segments as just computed, not as last written
        for table in inner.find_all(exp.Table):
            if table.db == "segments" and table.name in plan_tables:
                table.replace(exp.to_table(_plan_table(table.name)).as_(table.alias_or_name))
    pid = exp.column("profile_id", table="s")
    holdout: exp.Expression = exp.false()
    if seg.file.holdout > 0:  # deterministic: md5 of "<segment>:<profile_id>", stable across runs
        basis = exp.func(
            "md5_number",
            exp.DPipe(this=exp.Literal.string(f"{seg.name}:"), expression=exp.cast(pid, "VARCHAR")),
        )
        holdout = exp.LT(
            this=exp.Mod(this=basis, expression=exp.Literal.number(10000)),
            expression=exp.Literal.number(round(seg.file.holdout * 10000)),
        )
    others = [exp.column(c, table="s", quoted=True) for c in seg.columns if c != "profile_id"]
    select = exp.select(
        exp.alias_(exp.cast(pid, "VARCHAR"), "profile_id"),
        exp.alias_(holdout, "cdp_holdout"),
        *others,
    ).from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("s"))))
    return select.sql(dialect="duckdb")


def _compute(
    box: Sandbox, seg: ValidSegment, target: str, plan_tables: set[str] | None = None
) -> int:
    """Run the segment into ``target``; returns rows dropped (NULL or repeated profile_id).

    Repeats are rare, so they are looked for with one cheap aggregate and only then removed.
    """
    box.check(seg.sql)
    create = "CREATE OR REPLACE TEMP TABLE" if "." not in target else "CREATE OR REPLACE TABLE"
    box.execute(
        f"{create} {target} AS {_member_select(seg, plan_tables)}", timeout=seg.file.timeout
    )
    rows, distinct = box.cur.execute(
        f"SELECT count(*), count(DISTINCT profile_id) FROM {target}"
    ).fetchall()[0]
    if rows != distinct:
        box.execute(
            f"CREATE OR REPLACE TEMP TABLE {_NEXT} AS SELECT * FROM {target} WHERE profile_id IS NOT NULL "
            "QUALIFY row_number() OVER (PARTITION BY profile_id) = 1",
            timeout=seg.file.timeout,
        )
        box.cur.execute(f"{create} {target} AS SELECT * FROM {_NEXT}")
    return int(rows - distinct)


_DIFF = "cdp_member_changes"


def _diff(box: Sandbox, seg: ValidSegment, members_table: str) -> tuple[int, int, int, int]:
    """Compare the new members with the open membership rows, once, into a temp table.

    Returns members, holdout, entered, exited. Each change row says ``entered``, ``exited`` or
    ``holdout`` (still a member, control-group flag changed).
    """
    members = "segments.membership"
    if not table_exists(box.cur, "segments", "membership"):  # --plan before the first run
        members = "(SELECT NULL::VARCHAR AS segment, NULL::VARCHAR AS profile_id, NULL::BOOLEAN AS cdp_holdout, NULL::TIMESTAMPTZ AS exited_at)"
    box.cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_DIFF} AS
        WITH open AS (
            SELECT profile_id, cdp_holdout FROM {members} AS m WHERE segment = $seg AND exited_at IS NULL
        )
        SELECT coalesce(n.profile_id, o.profile_id) AS profile_id,
               CASE WHEN o.profile_id IS NULL THEN 'entered'
                    WHEN n.profile_id IS NULL THEN 'exited' ELSE 'holdout' END AS change,
               n.cdp_holdout
        FROM {members_table} AS n FULL OUTER JOIN open AS o ON n.profile_id = o.profile_id
        WHERE o.profile_id IS NULL OR n.profile_id IS NULL OR o.cdp_holdout IS DISTINCT FROM n.cdp_holdout
        """,
        {"seg": seg.name},
    )
    rows = box.cur.execute(
        f"""SELECT (SELECT count(*) FROM {members_table}),
                   (SELECT count(*) FILTER (WHERE cdp_holdout) FROM {members_table}),
                   count(*) FILTER (WHERE change = 'entered'), count(*) FILTER (WHERE change = 'exited')
            FROM {_DIFF}"""
    ).fetchall()
    total, holdout, entered, exited = (int(v) for v in rows[0][:4])
    return total, holdout, entered, exited


def _plan_table(name: str) -> str:
    return f"cdp_plan_{name}"


def materialize(
    box: Sandbox,
    seg: ValidSegment,
    run_id: str,
    *,
    plan: bool = False,
    planned: set[str] | None = None,
) -> Outcome:
    """Compute and (unless ``plan``) swap in one segment. Raises SegmentError when it fails.

    With ``plan``, the members stay in a temp table, and segments named in ``planned`` (computed
    earlier in this plan) are read from their temp tables, so a plan of a chain is right.
    """
    started, when = time.perf_counter(), datetime.now(UTC)
    out = Outcome(seg.name)
    cur = box.cur
    try:
        if plan:
            target = _plan_table(seg.name)
            out.skipped_rows = _compute(box, seg, target, planned)
            if planned is not None:
                planned.add(seg.name)
            out.members, out.holdout, out.entered, out.exited = _diff(box, seg, target)
            return out
        table = f'segments."{seg.name}"'
        params = {"seg": seg.name, "now": when}
        cur.execute("BEGIN TRANSACTION")  # readers keep seeing the old members until COMMIT
        try:
            out.skipped_rows = _compute(box, seg, table)
            out.members, out.holdout, out.entered, out.exited = _diff(box, seg, table)
            cur.execute(
                f"""UPDATE segments.membership AS m SET exited_at = $now FROM {_DIFF} AS d
                WHERE d.change = 'exited' AND m.segment = $seg AND m.exited_at IS NULL
                  AND m.profile_id = d.profile_id""",
                params,
            )
            cur.execute(
                f"""UPDATE segments.membership AS m SET cdp_holdout = d.cdp_holdout FROM {_DIFF} AS d
                WHERE d.change = 'holdout' AND m.segment = $seg AND m.exited_at IS NULL
                  AND m.profile_id = d.profile_id""",
                {"seg": seg.name},
            )
            cur.execute(
                f"""INSERT INTO segments.membership (segment, profile_id, entered_at, exited_at, cdp_holdout)
                SELECT $seg, profile_id, $now, NULL, cdp_holdout FROM {_DIFF} WHERE change = 'entered'""",
                params,
            )
            out.seconds = round(time.perf_counter() - started, 3)
            _insert_run(cur, run_id, when, out)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return out
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {_NEXT}")
        cur.execute(f"DROP TABLE IF EXISTS {_DIFF}")


def _insert_run(cur: object, run_id: str, when: datetime, out: Outcome) -> None:
    cur.execute(  # type: ignore[attr-defined]
        "INSERT INTO segments.runs (run_id, segment, started_at, members, holdout, entered, exited, "
        "skipped_rows, status, error, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            out.segment,
            when,
            out.members,
            out.holdout,
            out.entered,
            out.exited,
            out.skipped_rows,
            out.status,
            out.error,
            out.seconds,
        ],
    )


def record_failure(box: Sandbox, run_id: str, out: Outcome) -> None:
    """Record a failed or skipped segment; its table and membership stay as they were."""
    _insert_run(box.cur, run_id, datetime.now(UTC), out)


def retire_removed(box: Sandbox, run_id: str, keep: set[str]) -> list[Outcome]:
    """Segments whose file is gone: close their open membership rows and drop their table."""
    if not table_exists(box.cur, "segments", "membership"):
        return []
    rows = box.cur.execute(
        "SELECT segment, count(*) FROM segments.membership WHERE exited_at IS NULL GROUP BY segment ORDER BY 1"
    ).fetchall()
    retired = []
    for name, members in rows:
        if name in keep:
            continue
        when = datetime.now(UTC)
        out = Outcome(
            name, exited=int(members), status="retired", error="its .sql file was removed"
        )
        box.cur.execute("BEGIN TRANSACTION")
        try:
            box.cur.execute(
                "UPDATE segments.membership SET exited_at = ? WHERE segment = ? AND exited_at IS NULL",
                [when, name],
            )
            box.cur.execute(f'DROP TABLE IF EXISTS segments."{name}"')
            _insert_run(box.cur, run_id, when, out)
            box.cur.execute("COMMIT")
        except BaseException:
            box.cur.execute("ROLLBACK")
            raise
        retired.append(out)
    return retired
