"""One resolution of every live customer record into groups: features, blocking, scoring,
clustering. Pure computation over temp tables; :mod:`identity.apply` writes the outcome."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from identity.blocking import (
    candidate_pairs_sql,
    exact_edges,
    mark_shared_identifiers,
    qualified_keys_sql,
)
from identity.cluster import Clustering, Edges, RecordValues, cluster
from identity.config import ExactRule, IdentityConfig
from identity.features import build_features
from identity.paused_gc import paused_gc
from identity.scope import compute_scope
from identity.scoring import FeatureArrays, ScoredEdges, score_rule
from identity.state import RunMode, decide_mode

if TYPE_CHECKING:
    import duckdb

__all__ = ["Resolution", "resolve"]

Key = tuple[str, str]


@dataclass
class Resolution:
    records: list[Key]
    """Live records in rank order (rank = position); an incremental run's only those of its
    scope."""
    clustering: Clustering
    edges: Edges
    rule_names: list[str]
    """Rule name of each edge (index-aligned with ``edges``)."""
    exact_evidence: tuple[np.ndarray, np.ndarray]
    """(identifier, value) of the exact links, which come first among the edges."""
    other_evidence: list[str]
    """Evidence JSON of the other edges, in order."""
    stats: dict[str, object] = field(default_factory=dict)
    full: bool = True
    """False for an incremental run (``id_scope``, ``id_changed``, ``id_gone`` say what),
    which leaves its transaction open for :func:`identity.apply.apply_resolution` to commit."""
    params: dict[str, dict[str, object]] = field(default_factory=dict)
    """Model parameters a full run used (stored for the incremental runs after it)."""
    rids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """The kept number (``rid``) of each record, by position."""

    def evidence(self, i: int) -> str:
        """Evidence JSON of edge ``i`` (exact links render theirs only when asked)."""
        idents, values = self.exact_evidence
        if i < len(idents):
            return json.dumps({"identifier": str(idents[i]), "value": str(values[i])})
        return self.other_evidence[i - len(idents)]


def _exact_rule_for(config: IdentityConfig) -> dict[str, tuple[int, ExactRule]]:
    table: dict[str, tuple[int, ExactRule]] = {}
    for i, rule in enumerate(config.rules):
        if isinstance(rule, ExactRule):
            for ident in rule.identifiers:
                table.setdefault(ident, (i, rule))
    return table


def _overrides(
    con: duckdb.DuckDBPyConnection, index: dict[Key, int]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    rows = con.execute(
        "SELECT kind, source_a, record_id_a, source_b, record_id_b FROM identity.overrides"
    ).fetchall()
    never: list[tuple[int, int]] = []
    always: list[tuple[int, int]] = []
    for kind, sa, ra, sb, rb in rows:
        a, b = index.get((sa, ra)), index.get((sb, rb))
        if a is None or b is None or a == b:
            continue
        (never if kind == "never_merge" else always).append((a, b))
    return never, always


def _localize(con: duckdb.DuckDBPyConnection) -> np.ndarray:
    """Number an incremental run's scope 0..n-1 in ``(source, record_id)`` order, the order
    a full run ranks records in (its ties break by it), and make ``id_features``, ``id_keys``
    and ``id_names`` of the scope's records under those numbers: the rest then runs as a full
    run over the scope (``id_scope_rank`` keeps each record's key and previous profile).
    Returns the kept number (``rid``) of each position."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE id_scope_rank AS
        SELECT f.rid, f.source, f.record_id, p.profile_id,
            CAST(row_number() OVER (ORDER BY f.source, f.record_id) - 1 AS BIGINT) AS pos
        FROM identity.record_features f LEFT JOIN identity.kept_profiles p USING (rid)
        WHERE f.rid IN (SELECT rid FROM id_scope)"""
    )
    local = {
        # (What the rest reads of them: the scope search scored its links already, and the
        # golden records read the rest from staging. Each column costs a pass over the kept
        # rows.)
        "id_features": "SELECT s.pos AS rid, s.source, s.record_id, f.email_clean, f.phone, "
        "f.country, f.date_of_birth FROM identity.record_features f",
        "id_keys_base": "SELECT s.pos AS rid, f.identifier, f.value FROM identity.record_keys f",
        "id_names": "SELECT s.pos AS rid, f.written, f.canon FROM identity.record_names f",
    }
    for table, select in local.items():
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS {select} "
            "JOIN id_scope_rank s ON s.rid = f.rid ORDER BY s.pos"
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE id_keys AS "
        f"{qualified_keys_sql('id_keys_base', 'id_names')} ORDER BY rid"
    )
    return (
        con.sql("SELECT rid FROM id_scope_rank ORDER BY pos")
        .to_arrow_table()
        .column(0)
        .to_numpy()
        .astype(np.int64)
    )


def _record_values(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
) -> RecordValues:
    """The ``(rid, value)`` rows of a query (values not NULL) as :class:`RecordValues`."""
    table = con.sql(sql, params=params).to_arrow_table()
    values = table.column(1).combine_chunks().dictionary_encode()
    return RecordValues(
        table.column(0).to_numpy().astype(np.int64),
        values.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        values.dictionary.to_pylist(),
    )


def _in_positions(scored: ScoredEdges, rids: np.ndarray) -> ScoredEdges:
    """Links between records of the scope (kept numbers) as their positions, lower first."""
    order = np.argsort(rids)
    a = order[np.searchsorted(rids, scored.a, sorter=order)]
    b = order[np.searchsorted(rids, scored.b, sorter=order)]
    return ScoredEdges(
        np.minimum(a, b), np.maximum(a, b), scored.score, scored.evidence, scored.pairs_scored, {}
    )


def resolve(
    con: duckdb.DuckDBPyConnection,
    config: IdentityConfig,
    *,
    plan: bool = False,
    full_refresh: bool = False,
    params: dict[str, dict[str, object]] | None = None,
) -> Resolution:
    """Resolve the live records: incrementally (only what changed records can reach, scored
    with the stored model parameters) when the last run's state allows, else in full
    (learning the parameters again). ``params`` forces a full resolution scored with those
    parameters (what an incremental run is equivalent to)."""
    if params is not None:
        mode = RunMode(True, "given parameters", params)
    else:
        mode = decide_mode(con, config, full_refresh=full_refresh, plan=plan)
    with paused_gc():
        if mode.full:
            return _resolve(con, config, mode, plan=plan)
        # An incremental run brings the kept state up to date as it goes: in a transaction
        # that apply_resolution commits, so a run that stops midway leaves the previous state.
        con.execute("BEGIN TRANSACTION")
        try:
            return _resolve(con, config, mode, plan=plan)
        except BaseException:
            con.execute("ROLLBACK")
            raise


def _resolve(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig, mode: RunMode, *, plan: bool
) -> Resolution:
    started = time.perf_counter()
    n = build_features(con, config, plan=plan, incremental=not mode.full)
    shared = mark_shared_identifiers(con, config, incremental=not mode.full)
    stats: dict[str, object] = {"records": n, "shared_identifiers": shared, "mode": mode.reason}
    # (Where the time went: normalizing the records into features, then matching them.)
    featured = time.perf_counter()
    stats["features_seconds"] = round(featured - started, 3)
    found: dict[int, ScoredEdges] | None = None
    if not mode.full:
        scope_stats, found = compute_scope(con, config, mode.params or {})
        stats.update(scope_stats)
        rids = _localize(con)
    exact_edges(con)
    rows = con.execute("SELECT rid, source, record_id FROM id_features ORDER BY rid").fetchall()
    records: list[Key] = [(s, r) for _, s, r in rows]
    index = {key: i for i, key in enumerate(records)}
    if found is None:
        rids = np.arange(len(records), dtype=np.int64)

    parts: list[Edges] = []
    rule_names: list[str] = []
    evidence: list[str] = []
    exact_for = _exact_rule_for(config)
    table = con.sql(
        "SELECT a, b, identifier, value FROM id_exact_edges ORDER BY a, b, identifier"
    ).to_arrow_table()
    con.execute("DROP TABLE id_exact_edges")
    idents = table.column("identifier").to_numpy(zero_copy_only=False)
    known = (
        np.array([i in exact_for for i in idents], dtype=bool) if len(idents) else np.zeros(0, bool)
    )
    ea = table.column("a").to_numpy()[known].astype(np.int64)
    eb = table.column("b").to_numpy()[known].astype(np.int64)
    idents = idents[known]
    values = table.column("value").to_numpy(zero_copy_only=False)[known]
    ep = np.array([exact_for[i][0] for i in idents], dtype=np.int64)
    ec = np.array([exact_for[i][1].require_compatible_names for i in idents], dtype=bool)
    rule_names.extend(exact_for[i][1].name for i in idents)
    parts.append(Edges(ea, eb, ep, np.ones(len(ea)), ec))
    stats["exact_links"] = len(ea)
    used: dict[str, dict[str, object]] = {}

    features: FeatureArrays | None = None
    for prio, any_rule in enumerate(config.rules):
        if isinstance(any_rule, ExactRule):
            continue
        rule = any_rule
        if found is not None:  # (the scope search found every link inside the scope)
            scored = _in_positions(found[prio], rids)
        else:
            features = features or FeatureArrays(con)
            scored = score_rule(
                con,
                features,
                rule,
                pairs_sql=candidate_pairs_sql(rule.block_on),
                params=(mode.params or {}).get(rule.name),
            )
        if scored.params is not None:
            used[rule.name] = scored.params
        parts.append(
            Edges(
                scored.a,
                scored.b,
                np.full(len(scored.a), prio, np.int64),
                scored.score,
                np.ones(len(scored.a), bool),
            )
        )
        rule_names.extend([rule.name] * len(scored.a))
        evidence.extend(scored.evidence)
        stats[f"{rule.name}_pairs_scored"] = scored.pairs_scored
        stats[f"{rule.name}_links"] = len(scored.a)
        if scored.model:
            stats[f"{rule.name}_model"] = scored.model

    never, always = _overrides(con, index)
    if always:
        parts.append(
            Edges(
                np.array([a for a, _ in always], np.int64),
                np.array([b for _, b in always], np.int64),
                np.full(len(always), -1, np.int64),
                np.ones(len(always)),
                np.zeros(len(always), bool),
            )
        )
        rule_names.extend(["always_merge"] * len(always))
        evidence.extend([json.dumps({"override": "always_merge"})] * len(always))
    edges = Edges.concat(parts)

    limited = {
        ident: _record_values(
            con, "SELECT DISTINCT rid, value FROM id_keys WHERE identifier = ?", [ident]
        )
        for ident in config.limits
        if ident != "date_of_birth"
    }
    if "date_of_birth" in config.limits:
        limited["date_of_birth"] = _record_values(
            con,
            "SELECT rid, CAST(date_of_birth AS VARCHAR) FROM id_features "
            "WHERE date_of_birth IS NOT NULL",
        )
    # (A name is one value: its two forms joined by a separator no name holds.)
    names = _record_values(con, "SELECT rid, written || chr(31) || canon FROM id_names")
    names = RecordValues(names.rids, names.codes, [tuple(v.split("\x1f")) for v in names.values])
    clustering = cluster(
        len(records), edges, limited=limited, limits=config.limits, names=names, never=never
    )
    stats["refused_links"] = dict(clustering.refused)
    stats["overrides"] = {"never_merge": len(never), "always_merge": len(always)}
    stats["matching_seconds"] = round(time.perf_counter() - featured, 3)
    return Resolution(
        records,
        clustering,
        edges,
        rule_names,
        (idents, values),
        evidence,
        stats,
        full=mode.full,
        params=used if mode.full else {},
        rids=rids,
    )
