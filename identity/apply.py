"""Writing a resolution: stable ids, record_profiles, links, journal, golden records.

Everything is written in one transaction: a run killed midway leaves the previous state,
and running again ends in the same place. A run with nothing new writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from identity.golden import refresh_golden
from identity.ids import IdAssignment, assign_ids, new_profile_id
from identity.paused_gc import paused_gc
from identity.scoring import links_table
from identity.state import save_state

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from identity.config import IdentityConfig
    from identity.resolve import Resolution

__all__ = ["Outcome", "apply_resolution", "plan_resolution"]

Key = tuple[str, str]


@dataclass
class Outcome:
    assignment: IdAssignment
    profiles: int
    counts: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)


#: The records of the previous profiles an incremental run re-clusters: its scope's and the
#: deleted ones (the scope holds whole previous profiles, so these are all their records).
_SCOPE_PREVIOUS = """CREATE OR REPLACE TEMP TABLE id_scope_previous AS
    SELECT source, record_id, profile_id FROM id_scope_rank WHERE profile_id IS NOT NULL
    UNION ALL SELECT source, record_id, profile_id FROM id_gone WHERE profile_id IS NOT NULL"""
#: Those profiles.
_SCOPE_PIDS = """CREATE OR REPLACE TEMP TABLE id_scope_pids AS
    SELECT DISTINCT profile_id FROM id_scope_previous"""


def _previous(
    con: duckdb.DuckDBPyConnection, full: bool
) -> tuple[dict[Key, str], dict[str, datetime]]:
    where = "" if full else "WHERE profile_id IN (SELECT profile_id FROM id_scope_pids)"
    if not full:
        con.execute(_SCOPE_PREVIOUS)
        con.execute(_SCOPE_PIDS)
    table = "identity.record_profiles" if full else "id_scope_previous"
    prev = {
        (s, r): p
        for s, r, p in con.execute(f"SELECT source, record_id, profile_id FROM {table}").fetchall()
    }
    created = dict(
        con.execute(f"SELECT profile_id, created_at FROM identity.profile_ids {where}").fetchall()
    )
    return prev, created


def _is_taken(con: duckdb.DuckDBPyConnection, firsts: list[Key]) -> Callable[[str], bool]:
    """Whether an id was ever issued: the id each group's first record would give it is
    looked up in one query; any other (a salted retry) one by one."""
    import pyarrow as pa

    candidates = [new_profile_id(key) for key in firsts]
    con.register("id_candidate_ids", pa.table({"profile_id": pa.array(candidates, pa.string())}))
    hits = {
        pid
        for (pid,) in con.execute(
            # (two semi-joins: the OR of two IN lists took twice as long)
            "SELECT profile_id FROM id_candidate_ids SEMI JOIN identity.profile_ids "
            "USING (profile_id) UNION SELECT profile_id FROM id_candidate_ids "
            "SEMI JOIN identity.record_profiles USING (profile_id)"
        ).fetchall()
    }
    con.unregister("id_candidate_ids")
    checked = set(candidates)

    def lookup(pid: str) -> bool:
        if pid in checked:
            return pid in hits
        return bool(
            con.execute(
                "SELECT 1 FROM identity.profile_ids WHERE profile_id = ? "
                "UNION ALL SELECT 1 FROM identity.record_profiles WHERE profile_id = ? LIMIT 1",
                [pid, pid],
            ).fetchall()
        )

    return lookup


def _fuzzy_links(resolution: Resolution) -> pa.Table:
    """The passing links of the fuzzy and probabilistic rules (by kept number)."""
    edges, exact = resolution.edges, len(resolution.exact_evidence[0])
    fuzzy = np.flatnonzero(edges.priority >= 0)
    fuzzy = fuzzy[fuzzy >= exact]
    at = fuzzy.tolist()
    return links_table(
        [resolution.rule_names[i] for i in at],
        resolution.rids[edges.a[fuzzy]],
        resolution.rids[edges.b[fuzzy]],
        edges.score[fuzzy],
        [resolution.other_evidence[i - exact] for i in at],
    )


def plan_resolution(con: duckdb.DuckDBPyConnection, resolution: Resolution) -> Outcome:
    prev, created = _previous(con, resolution.full)
    labels = resolution.clustering.labels
    is_taken = None
    if not resolution.full:
        # (Records are in rank order: a group's first record is its first position.)
        firsts = np.unique(labels, return_index=True)[1].tolist()
        is_taken = _is_taken(con, [resolution.records[i] for i in firsts])
    assignment = assign_ids(resolution.records, labels.tolist(), prev, created, is_taken=is_taken)
    profiles = len(assignment.group_ids)
    if not resolution.full:
        # (one golden record per profile, written with it: a narrower count than the records')
        outside = con.execute(
            "SELECT count(*) FROM identity.golden_records "
            "WHERE profile_id NOT IN (SELECT profile_id FROM id_scope_pids)"
        ).fetchall()[0][0]
        profiles += int(outside)
    counts = {
        "records": int(resolution.stats.get("records", len(resolution.records))),  # type: ignore[call-overload]
        "profiles": profiles,
        "new_profiles": assignment.count("new"),
        "merges": assignment.count("merge"),
        "splits": assignment.count("split"),
        "joined_records": assignment.count("join"),
        "moved_records": assignment.count("move"),
        "removed_records": assignment.count("remove"),
    }
    samples: dict[str, list[str]] = {}
    for change in assignment.changes:
        bucket = samples.setdefault(change.action, [])
        if len(bucket) < 5:
            text = change.profile_id
            if change.other_profile_id:
                text += f" <- {change.other_profile_id}"
            if change.record:
                text += f" ({change.record[0]}:{change.record[1]})"
            bucket.append(text)
    if not resolution.full:
        counts["scope_records"] = len(resolution.records)
    return Outcome(assignment, counts["profiles"], counts, samples)


def apply_resolution(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig, resolution: Resolution, run_id: str
) -> Outcome:
    """Write ``resolution`` in one transaction (an incremental resolution's own, already open)."""
    if resolution.full:
        con.execute("BEGIN TRANSACTION")
    try:
        with paused_gc():
            return _apply(con, config, resolution, run_id)
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _apply(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig, resolution: Resolution, run_id: str
) -> Outcome:
    import pyarrow as pa

    outcome = plan_resolution(con, resolution)
    assignment = outcome.assignment
    now = datetime.now(UTC)
    records = resolution.records
    labels = resolution.clustering.labels
    group_labels = np.fromiter(assignment.group_ids, np.int64, len(assignment.group_ids))
    by_label = np.argsort(group_labels)
    group_pids = pa.array(list(assignment.group_ids.values()), pa.string())
    profile_ids = group_pids.take(by_label[np.searchsorted(group_labels, labels, sorter=by_label)])
    sources = pa.array([r[0] for r in records], pa.string())
    record_ids = pa.array([r[1] for r in records], pa.string())
    mapping = pa.table(
        {
            "rid": pa.array(resolution.rids, pa.int64()),
            "source": sources,
            "record_id": record_ids,
            "profile_id": profile_ids,
        }
    )
    accepted_idx = resolution.clustering.accepted
    accepted = accepted_idx.tolist()
    edges = resolution.edges
    a_arr, b_arr = edges.a[accepted_idx], edges.b[accepted_idx]
    a_idx, b_idx = a_arr.tolist(), b_arr.tolist()
    # Exact links' evidence ({"identifier", "value"}) is rendered by DuckDB on insert.
    idents, values = resolution.exact_evidence
    exact = accepted_idx < len(idents)
    ev_ident = np.full(len(accepted_idx), None, dtype=object)
    ev_value = np.full(len(accepted_idx), None, dtype=object)
    ev_ident[exact] = idents[accepted_idx[exact]]
    ev_value[exact] = values[accepted_idx[exact]]
    ev_json = np.full(len(accepted_idx), None, dtype=object)
    others = (accepted_idx[~exact] - len(idents)).tolist()
    ev_json[~exact] = [resolution.other_evidence[i] for i in others] if others else []
    links = pa.table(
        {
            "profile_id": profile_ids.take(a_arr),
            "source_a": sources.take(a_arr),
            "record_id_a": record_ids.take(a_arr),
            "source_b": sources.take(b_arr),
            "record_id_b": record_ids.take(b_arr),
            "rule": pa.array([resolution.rule_names[i] for i in accepted], pa.string()),
            "score": pa.array(edges.score[accepted_idx], pa.float64()),
            "evidence": pa.array(ev_json, pa.string()),
            "ev_identifier": pa.array(ev_ident, pa.string()),
            "ev_value": pa.array(ev_value, pa.string()),
        }
    )
    # The link that brought each record in, for the journal's evidence (of the changes that
    # name a record: joins and moves).
    via: dict[Key, int] = {}
    if any(change.record is not None for change in assignment.changes):
        for k, i in enumerate(accepted):
            via.setdefault(records[b_idx[k]], i)
            via.setdefault(records[a_idx[k]], i)
    journal_rows = []
    for change in assignment.changes:
        rule, evidence, score = None, None, None
        if change.record is not None and change.record in via:
            i = via[change.record]
            rule, evidence, score = (
                resolution.rule_names[i],
                resolution.evidence(i),
                float(edges.score[i]),
            )
        journal_rows.append(
            (run_id, now, change.action, change.profile_id, change.other_profile_id,
             change.record[0] if change.record else None, change.record[1] if change.record else None,
             rule, evidence, score)
        )  # fmt: skip
    con.register("id_mapping", mapping)
    try:
        # Only rows that differ are deleted or inserted: unchanged profiles are not touched.
        # An incremental run touches only the previous profiles of its scope.
        in_scope = (
            "" if resolution.full else "profile_id IN (SELECT profile_id FROM id_scope_pids) AND"
        )
        con.execute(
            f"""DELETE FROM identity.record_profiles rp WHERE {in_scope} NOT EXISTS (
                SELECT 1 FROM id_mapping m WHERE m.source = rp.source AND m.record_id = rp.record_id
                AND m.profile_id = rp.profile_id)"""
        )
        con.execute(
            """INSERT INTO identity.record_profiles SELECT m.source, m.record_id, m.profile_id
            FROM id_mapping m WHERE NOT EXISTS (
                SELECT 1 FROM identity.record_profiles rp WHERE m.source = rp.source
                AND m.record_id = rp.record_id AND m.profile_id = rp.profile_id)"""
        )
        con.register("id_links_new", links)
        same = " AND ".join(
            f"l.{c} = n.{c}"
            for c in ("profile_id", "source_a", "record_id_a", "source_b", "record_id_b", "rule")
        )
        con.execute(
            f"DELETE FROM identity.links l WHERE {in_scope.replace('profile_id IN', 'l.profile_id IN', 1)} "
            f"NOT EXISTS (SELECT 1 FROM id_links_new n WHERE {same})"
        )
        con.execute(
            "INSERT INTO identity.links SELECT n.profile_id, n.source_a, n.record_id_a, n.source_b, n.record_id_b, "
            "n.rule, n.score, coalesce(CAST(n.evidence AS JSON), "
            "json_object('identifier', n.ev_identifier, 'value', n.ev_value)) FROM id_links_new n "
            f"WHERE NOT EXISTS (SELECT 1 FROM identity.links l WHERE {same})"
        )
        con.unregister("id_links_new")
        if journal_rows:
            names = [
                "run_id",
                "logged_at",
                "action",
                "profile_id",
                "other_profile_id",
                "source",
                "record_id",
                "rule",
                "evidence",
                "score",
            ]
            cols = list(zip(*journal_rows, strict=True))
            con.register(
                "id_journal_new",
                pa.table(
                    {
                        n: pa.array(list(c))
                        if n != "evidence" and n != "rule" and n != "score"
                        else pa.array(list(c), pa.float64() if n == "score" else pa.string())
                        for n, c in zip(names, cols, strict=True)
                    }
                ),
            )
            con.execute(
                f"INSERT INTO identity.merge_journal SELECT {', '.join(names[:8])}, CAST(evidence AS JSON), score FROM id_journal_new"
            )
            con.unregister("id_journal_new")
        if assignment.created:
            con.register(
                "id_ids_new",
                pa.table(
                    {
                        "profile_id": assignment.created,
                        "created_at": pa.array(
                            [now] * len(assignment.created), pa.timestamp("us", tz="UTC")
                        ),
                    }
                ),
            )
            con.execute(
                "INSERT INTO identity.profile_ids (profile_id, created_at) SELECT profile_id, created_at FROM id_ids_new"
            )
            con.unregister("id_ids_new")
        if assignment.retired:
            con.register(
                "id_retired",
                pa.table(
                    {
                        "profile_id": pa.array(list(assignment.retired), pa.string()),
                        "into": pa.array(list(assignment.retired.values()), pa.string()),
                    }
                ),
            )
            con.execute(
                "UPDATE identity.profile_ids p SET retired_at = ?, retired_into = r.into "
                "FROM id_retired r WHERE p.profile_id = r.profile_id",
                [now],
            )
            con.unregister("id_retired")
        # Golden records read the new mapping itself, not the table this transaction just
        # rewrote (reading a million uncommitted rows back was twice as slow).
        golden_scope, members = None, "id_mapping"
        if not resolution.full:
            # Only profiles whose records changed, joined, left or moved get a new golden
            # record; the scope's other profiles keep theirs. The scope holds whole previous
            # profiles and its records alone get the new ids, so those profiles' records now
            # are in the mapping: reading it saves a scan of every record's profile.
            con.register(
                "id_touched",
                pa.table({"profile_id": pa.array(sorted(assignment.touched), pa.string())}),
            )
            con.execute(
                "CREATE OR REPLACE TEMP TABLE id_golden_scope AS SELECT profile_id FROM id_touched "
                "UNION SELECT m.profile_id FROM id_mapping m SEMI JOIN id_changed_keys USING (rid)"
            )
            con.unregister("id_touched")
            golden_scope, members = "id_golden_scope", "id_golden_members"
            con.execute(
                "CREATE OR REPLACE TEMP TABLE id_golden_members AS "
                "SELECT * FROM id_mapping SEMI JOIN id_golden_scope USING (profile_id)"
            )
        upserted, deleted = refresh_golden(
            con, config.survivorship, members, now, golden_scope, numbered=resolution.full
        )
        save_state(
            con,
            config,
            full=resolution.full,
            learned=resolution.params,
            now=now,
            links=_fuzzy_links(resolution) if resolution.full else None,
        )
        con.execute("COMMIT")
    finally:
        con.unregister("id_mapping")
    outcome.counts["golden_records_written"] = upserted
    outcome.counts["golden_records_deleted"] = deleted
    return outcome
