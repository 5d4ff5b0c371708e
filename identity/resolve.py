"""One resolution of every live customer record into groups: features, blocking, scoring,
clustering. Pure computation over temp tables; :mod:`identity.apply` writes the outcome."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from identity.blocking import exact_edges, mark_shared_identifiers
from identity.cluster import Clustering, Edges, cluster
from identity.config import ExactRule, IdentityConfig
from identity.features import build_features
from identity.scoring import FeatureArrays, score_rule

if TYPE_CHECKING:
    import duckdb

__all__ = ["Resolution", "resolve"]

Key = tuple[str, str]


@dataclass
class Resolution:
    records: list[Key]
    """Live records in rank order (rank = position)."""
    clustering: Clustering
    edges: Edges
    rule_names: list[str]
    """Rule name of each edge (index-aligned with ``edges``)."""
    exact_evidence: tuple[np.ndarray, np.ndarray]
    """(identifier, value) of the exact links, which come first among the edges."""
    other_evidence: list[str]
    """Evidence JSON of the other edges, in order."""
    stats: dict[str, object] = field(default_factory=dict)

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
    con: duckdb.DuckDBPyConnection, config: IdentityConfig, *, plan: bool = False
) -> Resolution:
    n = build_features(con, config, plan=plan)
    shared = mark_shared_identifiers(con, config)
    exact_edges(con)
    records: list[Key] = [
        (s, r)
        for s, r in con.execute("SELECT source, record_id FROM id_features ORDER BY rid").fetchall()
    ]
    index = {key: i for i, key in enumerate(records)}

    parts: list[Edges] = []
    rule_names: list[str] = []
    evidence: list[str] = []
    exact_for = _exact_rule_for(config)
    table = con.sql(
        "SELECT a, b, identifier, value FROM id_exact_edges ORDER BY a, b, identifier"
    ).to_arrow_table()
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
    stats: dict[str, object] = {"records": n, "shared_identifiers": shared, "exact_links": len(ea)}

    features: FeatureArrays | None = None
    for prio, any_rule in enumerate(config.rules):
        if isinstance(any_rule, ExactRule):
            continue
        rule = any_rule
        features = features or FeatureArrays(con)
        scored = score_rule(con, features, rule)
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

    limited: dict[str, dict[int, frozenset[str]]] = defaultdict(dict)
    limited_idents = [i for i in config.limits if i != "date_of_birth"]
    if limited_idents:
        placeholders = ", ".join("?" for _ in limited_idents)
        for rid, ident, held in con.execute(
            f"SELECT rid, identifier, list(DISTINCT value) FROM id_keys WHERE identifier IN ({placeholders}) GROUP BY ALL",
            limited_idents,
        ).fetchall():
            limited[ident][rid] = frozenset(held)
    if "date_of_birth" in config.limits:
        for rid, dob in con.execute(
            "SELECT rid, CAST(date_of_birth AS VARCHAR) FROM id_features WHERE date_of_birth IS NOT NULL"
        ).fetchall():
            limited["date_of_birth"][rid] = frozenset((dob,))
    names = {
        rid: (written, canon)
        for rid, written, canon in con.execute(
            "SELECT rid, split_part(first_name, ' ', 1), first_canon FROM id_features WHERE first_canon IS NOT NULL"
        ).fetchall()
    }
    clustering = cluster(n, edges, limited=limited, limits=config.limits, names=names, never=never)
    stats["refused_links"] = dict(clustering.refused)
    stats["overrides"] = {"never_merge": len(never), "always_merge": len(always)}
    return Resolution(records, clustering, edges, rule_names, (idents, values), evidence, stats)
