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

from collections.abc import Collection, Iterable, Mapping, Set
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
    """Union-find whose groups carry the values the guards check. A record alone reads its
    own values from the inputs; sets are built only when groups merge (most records never
    do), which keeps a million-record run's memory and start-up small."""

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
        self.limited = limited
        self.record_names = names
        self.values: dict[int, dict[str, set[str]]] = {}
        """Merged groups' values (by root)."""
        self.names: dict[int, set[tuple[str, str]]] = {}
        """Merged groups' first names (by root)."""
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

    def _values(self, root: int, ident: str) -> Set[str] | None:
        group = self.values.get(root)
        if group is not None:
            return group.get(ident)
        if root in self.members:  # a merged group holding no value of any limited identifier
            return None
        per_record = self.limited.get(ident)
        return per_record.get(root) if per_record else None

    def _names(self, root: int) -> Collection[tuple[str, str]] | None:
        if root in self.names:
            return self.names[root]
        if root in self.members:
            return None
        name = self.record_names.get(root)
        return (name,) if name is not None else None

    def conflict(self, ra: int, rb: int, *, check_names: bool, check_limits: bool) -> str | None:
        if check_limits:
            for ident, limit in self.limits.items():
                sa, sb = self._values(ra, ident), self._values(rb, ident)
                if sa and sb and len(sa | sb) > limit:
                    return f"limit:{ident}"
        if check_names:
            na, nb = self._names(ra), self._names(rb)
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

    def _own(self, root: int) -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
        """The group's values and names as sets it may extend (taken from a merged group)."""
        if root in self.members:
            return self.values.pop(root, {}), self.names.pop(root, set())
        values = {}
        for ident, per_record in self.limited.items():
            held = per_record.get(root)
            if held:
                values[ident] = set(held)
        name = self.record_names.get(root)
        return values, ({name} if name is not None else set())

    def union(self, ra: int, rb: int) -> None:
        if len(self.members.get(ra, (ra,))) < len(self.members.get(rb, (rb,))):
            ra, rb = rb, ra
        values, names = self._own(ra)
        other_values, other_names = self._own(rb)
        for ident, held in other_values.items():
            values.setdefault(ident, set()).update(held)
        names |= other_names
        self.parent[rb] = ra
        self.members.setdefault(ra, [ra]).extend(self.members.pop(rb, [rb]))
        if values:
            self.values[ra] = values
        if names:
            self.names[ra] = names
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
