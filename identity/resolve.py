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
    evidence: list[str]
    """Evidence JSON of each edge."""
    stats: dict[str, object] = field(default_factory=dict)


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
    rows = con.execute(
        "SELECT a, b, identifier, value FROM id_exact_edges ORDER BY a, b, identifier"
    ).fetchall()
    ea, eb, ep, ec = [], [], [], []
    for a, b, ident, value in rows:
        found = exact_for.get(ident)
        if found is None:
            continue
        prio, exact_rule = found
        ea.append(a)
        eb.append(b)
        ep.append(prio)
        ec.append(exact_rule.require_compatible_names)
        rule_names.append(exact_rule.name)
        evidence.append(json.dumps({"identifier": ident, "value": value}))
    parts.append(
        Edges(
            np.array(ea, np.int64),
            np.array(eb, np.int64),
            np.array(ep, np.int64),
            np.ones(len(ea)),
            np.array(ec, bool),
        )
    )
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
    idents = [i for i in config.limits if i != "date_of_birth"]
    if idents:
        placeholders = ", ".join("?" for _ in idents)
        for rid, ident, values in con.execute(
            f"SELECT rid, identifier, list(DISTINCT value) FROM id_keys WHERE identifier IN ({placeholders}) GROUP BY ALL",
            idents,
        ).fetchall():
            limited[ident][rid] = frozenset(values)
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
    return Resolution(records, clustering, edges, rule_names, evidence, stats)
