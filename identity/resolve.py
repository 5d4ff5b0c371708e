"""One resolution of every live customer record into groups: features, blocking, scoring,
clustering. Pure computation over temp tables; :mod:`identity.apply` writes the outcome."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from identity.blocking import (
    block_table,
    candidate_pairs_sql,
    exact_edges,
    mark_shared_identifiers,
)
from identity.cluster import Clustering, Edges, cluster
from identity.config import ExactRule, IdentityConfig
from identity.features import build_features
from identity.scope import compute_scope
from identity.scoring import FeatureArrays, score_rule
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
    """False for an incremental run (``id_scope``, ``id_changed``, ``id_gone`` say what)."""
    params: dict[str, dict[str, object]] = field(default_factory=dict)
    """Model parameters a full run used (stored for the incremental runs after it)."""

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
    n = build_features(con, config, plan=plan, incremental=not mode.full)
    shared = mark_shared_identifiers(con, config, incremental=not mode.full)
    stats: dict[str, object] = {"records": n, "shared_identifiers": shared, "mode": mode.reason}
    scope = None
    if not mode.full:
        stats.update(compute_scope(con, config, mode.params or {}))
        scope = "id_scope"
    exact_edges(con, scope)
    where = f"WHERE rid IN (SELECT rid FROM {scope})" if scope else ""
    rows = con.execute(
        f"SELECT rid, source, record_id FROM id_features {where} ORDER BY rid"
    ).fetchall()
    rids = np.array([r[0] for r in rows], dtype=np.int64)
    records: list[Key] = [(s, r) for _, s, r in rows]
    index = {key: i for i, key in enumerate(records)}

    def local(x: Any) -> Any:
        """Record rank -> position among the resolved records (the same in a full run)."""
        return np.searchsorted(rids, x) if scope else x

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
    ea = local(table.column("a").to_numpy()[known].astype(np.int64))
    eb = local(table.column("b").to_numpy()[known].astype(np.int64))
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
        features = features or FeatureArrays(con, f"SELECT rid FROM {scope}" if scope else None)
        scored = score_rule(
            con,
            features,
            rule,
            pairs_sql=candidate_pairs_sql(
                rule.block_on,
                within=scope,
                # (an incremental run's scope already materialized the blocks)
                tables=[block_table(prio, i) for i in range(len(rule.block_on))] if scope else None,
            ),
            params=(mode.params or {}).get(rule.name),
        )
        if scored.params is not None:
            used[rule.name] = scored.params
        parts.append(
            Edges(
                local(scored.a),
                local(scored.b),
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

    def located(rows: list[Any]) -> list[Any]:
        """``rows`` (a rid first) with the record's position in place of its rid."""
        at = local(np.array([r[0] for r in rows], dtype=np.int64)).tolist() if rows else []
        return [(p, *r[1:]) for p, r in zip(at, rows, strict=True)]

    limited: dict[str, dict[int, frozenset[str]]] = defaultdict(dict)
    limited_idents = [i for i in config.limits if i != "date_of_birth"]
    if limited_idents:
        placeholders = ", ".join("?" for _ in limited_idents)
        for at, ident, held in located(
            con.execute(
                f"SELECT rid, identifier, list(DISTINCT value) FROM id_keys WHERE identifier IN ({placeholders}) "
                f"{where.replace('WHERE', 'AND')} GROUP BY ALL",
                limited_idents,
            ).fetchall()
        ):
            limited[ident][at] = frozenset(held)
    if "date_of_birth" in config.limits:
        for at, dob in located(
            con.execute(
                "SELECT rid, CAST(date_of_birth AS VARCHAR) FROM id_features WHERE date_of_birth IS NOT NULL "
                + where.replace("WHERE", "AND")
            ).fetchall()
        ):
            limited["date_of_birth"][at] = frozenset((dob,))
    names = {
        at: (written, canon)
        for at, written, canon in located(
            con.execute("SELECT rid, written, canon FROM id_names " + where).fetchall()
        )
    }
    clustering = cluster(
        len(records), edges, limited=limited, limits=config.limits, names=names, never=never
    )
    stats["refused_links"] = dict(clustering.refused)
    stats["overrides"] = {"never_merge": len(never), "always_merge": len(always)}
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
    )
