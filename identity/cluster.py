"""Clustering links into profiles, refusing any link that would break a guard.

Links are applied one by one in a fixed order that depends only on the data (rule priority,
then score, then the records' ranks), so the result does not depend on the order records
arrived in. A link is refused when joining its two groups would:

* put more distinct values of a limited identifier in one profile than allowed
  (``limits: {shopify_customer_id: 1, date_of_birth: 1}``),
* put two clearly different first names in one profile (the household guard), or
* put together two records a user said must never merge.

Because every group is checked as a whole, a chain of weak links cannot glue two people
together: the link that would close the chain is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from identity.compare import first_names_compatible

__all__ = ["Clustering", "Edges", "cluster"]


@dataclass
class Edges:
    """Candidate links as parallel arrays (one entry per link)."""

    a: np.ndarray
    b: np.ndarray
    priority: np.ndarray
    """Lower applies first: -1 for a user's always-merge, then the rule's index in cdp.yml."""
    score: np.ndarray
    check_names: np.ndarray

    @classmethod
    def concat(cls, parts: list[Edges]) -> Edges:
        if not parts:
            e = np.empty(0, np.int64)
            return cls(e, e, e, np.empty(0), np.empty(0, bool))
        return cls(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("a", "b", "priority", "score", "check_names")
            )
        )

    def __len__(self) -> int:
        return len(self.a)


@dataclass
class Clustering:
    labels: np.ndarray
    """Root record rank of each record's group."""
    accepted: np.ndarray
    """Indices into the edges of the links that were applied."""
    refused: dict[str, int] = field(default_factory=dict)


class _Groups:
    def __init__(
        self,
        n: int,
        limited: Mapping[str, Mapping[int, frozenset[str]]],
        limits: Mapping[str, int],
        names: Mapping[int, tuple[str, str]],
        never: Iterable[tuple[int, int]],
    ) -> None:
        self.parent = list(range(n))
        self.limits = limits
        self.values: dict[int, dict[str, set[str]]] = {}
        for ident, per_record in limited.items():
            for rid, vals in per_record.items():
                self.values.setdefault(rid, {}).setdefault(ident, set()).update(vals)
        self.names: dict[int, set[tuple[str, str]]] = {rid: {name} for rid, name in names.items()}
        self.never: dict[int, set[int]] = {}
        for x, y in never:
            self.never.setdefault(x, set()).add(y)
            self.never.setdefault(y, set()).add(x)
        self.members: dict[int, list[int]] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def conflict(self, ra: int, rb: int, *, check_names: bool, check_limits: bool) -> str | None:
        va, vb = self.values.get(ra), self.values.get(rb)
        if check_limits and va and vb:
            for ident, limit in self.limits.items():
                sa, sb = va.get(ident), vb.get(ident)
                if sa and sb and len(sa | sb) > limit:
                    return f"limit:{ident}"
        if check_names:
            na, nb = self.names.get(ra), self.names.get(rb)
            if na and nb:
                small, large = (na, nb) if len(na) <= len(nb) else (nb, na)
                # Every first name of the smaller group must fit one of the other's (a typo
                # of a nickname still fits the person's other spellings).
                if not all(any(first_names_compatible(x, y) for y in large) for x in small):
                    return "different_first_names"
        fa, fb = self.never.get(ra), self.never.get(rb)
        if fa or fb:
            ma, mb = self.members.get(ra, [ra]), self.members.get(rb, [rb])
            if (fa and not fa.isdisjoint(mb)) or (fb and not fb.isdisjoint(ma)):
                return "never_merge"
        return None

    def union(self, ra: int, rb: int) -> None:
        if len(self.members.get(ra, (ra,))) < len(self.members.get(rb, (rb,))):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members.setdefault(ra, [ra]).extend(self.members.pop(rb, [rb]))
        values = self.values.pop(rb, None)
        if values:
            mine = self.values.setdefault(ra, {})
            for key, vals in values.items():
                mine.setdefault(key, set()).update(vals)
        names = self.names.pop(rb, None)
        if names:
            self.names.setdefault(ra, set()).update(names)
        never = self.never.pop(rb, None)
        if never:
            self.never.setdefault(ra, set()).update(never)


def cluster(
    n: int,
    edges: Edges,
    *,
    limited: Mapping[str, Mapping[int, frozenset[str]]],
    limits: Mapping[str, int],
    names: Mapping[int, tuple[str, str]],
    never: Iterable[tuple[int, int]] = (),
) -> Clustering:
    """Group ``n`` records (ranks 0..n-1) along ``edges`` under the guards."""
    groups = _Groups(n, limited, limits, names, never)
    accepted: list[int] = []
    refused: dict[str, int] = {}
    lo, hi = np.minimum(edges.a, edges.b), np.maximum(edges.a, edges.b)
    order = np.lexsort((hi, lo, -edges.score, edges.priority))
    find, conflict, union = groups.find, groups.conflict, groups.union
    a_list, b_list = lo[order].tolist(), hi[order].tolist()
    prio, names_flag = edges.priority[order].tolist(), edges.check_names[order].tolist()
    for k, idx in enumerate(order.tolist()):
        ra, rb = find(a_list[k]), find(b_list[k])
        if ra == rb:
            continue
        # A user's always-merge overrides limits and names, never a user's never-merge.
        user = prio[k] < 0
        reason = conflict(ra, rb, check_names=names_flag[k] and not user, check_limits=not user)
        if reason is not None:
            refused[reason] = refused.get(reason, 0) + 1
            continue
        union(ra, rb)
        accepted.append(idx)
    labels = np.array([find(i) for i in range(n)], dtype=np.int64)
    return Clustering(labels=labels, accepted=np.array(accepted, dtype=np.int64), refused=refused)
