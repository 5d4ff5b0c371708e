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

Most connected parts of the link graph can never break a guard: all their values fit the
limits, all their first names are alike, no never-merge pair lies in them. Applying their links
one by one in that order accepts exactly their minimum spanning forest (weights = positions in
the order), which scipy computes in C; only the other parts go through the checks one link at a
time. The result is the same as applying every link one by one.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from identity.compare import first_names_compatible, settled_names

__all__ = ["FOREST_FROM", "Clustering", "Edges", "RecordValues", "cluster"]

#: From this many links on, the parts no guard can touch take the spanning-forest shortcut.
FOREST_FROM = 100_000


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


@dataclass(frozen=True)
class RecordValues:
    """Values records hold, as parallel arrays: record ``rids[i]`` holds ``values[codes[i]]``
    (one row per value a record holds). A million records' values stay in two integer
    arrays; Python objects are made only for the records whose groups are checked."""

    rids: np.ndarray
    codes: np.ndarray
    values: Sequence[Any]

    @classmethod
    def of(cls, rows: Iterable[tuple[int, Hashable]]) -> RecordValues:
        """From ``(record, value)`` rows."""
        index: dict[Hashable, int] = {}
        rids, codes = [], []
        for rid, value in rows:
            rids.append(rid)
            codes.append(index.setdefault(value, len(index)))
        return cls(np.array(rids, np.int64), np.array(codes, np.int64), list(index))

    def sets(self, keep: np.ndarray) -> dict[int, frozenset[Any]]:
        """Each record's values, for the records where ``keep`` is true."""
        held: dict[int, set[Any]] = {}
        rows = np.flatnonzero(keep[self.rids])
        for rid, code in zip(self.rids[rows].tolist(), self.codes[rows].tolist(), strict=True):
            held.setdefault(rid, set()).add(self.values[code])
        return {rid: frozenset(v) for rid, v in held.items()}

    def first(self, keep: np.ndarray) -> dict[int, Any]:
        """A value of each record (the first it holds), for the records where ``keep`` is
        true."""
        out: dict[int, Any] = {}
        rows = np.flatnonzero(keep[self.rids])
        for rid, code in zip(self.rids[rows].tolist(), self.codes[rows].tolist(), strict=True):
            out.setdefault(rid, self.values[code])
        return out

    def per_part(self, part: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The distinct ``(part, value code)`` pairs of the records of the parts where
        ``keep`` is true (``part``: each record's part), sorted by part."""
        parts = part[self.rids].astype(np.int64)
        rows = keep[parts]
        width = max(len(self.values), 1)
        pairs = np.unique(parts[rows] * width + self.codes[rows])
        return pairs // width, pairs % width


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
            na, nb = settled_names(self._names(ra)), settled_names(self._names(rb))
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


def _guarded(
    component: np.ndarray,
    limited: Mapping[str, RecordValues],
    limits: Mapping[str, int],
    names: RecordValues,
    never: Iterable[tuple[int, int]],
) -> np.ndarray:
    """Per component of the link graph: whether some link in it could be refused (its
    records together hold more values of a limited identifier than allowed, two first names
    that are not alike, or a never-merge pair)."""
    sizes = np.bincount(component)
    guarded = np.zeros(len(sizes), dtype=bool)
    linked = sizes > 1
    for ident, held in limited.items():
        limit = limits.get(ident)
        if limit is not None:
            parts, _ = held.per_part(component, linked)
            part, count = np.unique(parts, return_counts=True)
            guarded[part[count > limit]] = True
    parts, codes = names.per_part(component, linked)
    part, start, count = np.unique(parts, return_index=True, return_counts=True)
    several = count > 1
    for c, i, k in zip(
        part[several].tolist(), start[several].tolist(), count[several].tolist(), strict=True
    ):
        if not guarded[c]:
            listed = sorted(names.values[code] for code in codes[i : i + k].tolist())
            guarded[c] = not all(
                first_names_compatible(x, y) for j, x in enumerate(listed) for y in listed[j + 1 :]
            )
    for x, y in never:
        if component[x] == component[y]:
            guarded[component[x]] = True
    return guarded


def _spanning_forest(n: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Positions of the links (given in the order they apply) that join two groups when
    applied one by one: the minimum spanning forest with each link weighing its position."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree

    if not len(lo):
        return np.empty(0, np.int64)
    # A pair linked twice (by two rules) counts at its first link.
    _, first = np.unique(lo * n + hi, return_index=True)
    weights = first.astype(np.float64) + 1.0
    graph = coo_matrix((weights, (lo[first], hi[first])), shape=(n, n)).tocsr()
    forest = minimum_spanning_tree(graph).tocoo()
    return np.sort(forest.data.astype(np.int64) - 1)


def cluster(
    n: int,
    edges: Edges,
    *,
    limited: Mapping[str, RecordValues],
    limits: Mapping[str, int],
    names: RecordValues,
    never: Iterable[tuple[int, int]] = (),
) -> Clustering:
    """Group ``n`` records (ranks 0..n-1) along ``edges`` under the guards: ``limited``
    holds the values of each limited identifier, ``names`` each record's first name
    (as written, nickname-folded)."""
    never = list(never)
    lo, hi = np.minimum(edges.a, edges.b), np.maximum(edges.a, edges.b)
    order = np.lexsort((hi, lo, -edges.score, edges.priority))
    lo, hi = lo[order], hi[order]
    positions = []
    if len(lo) < FOREST_FROM:
        # (A few links, as in most incremental runs, go one by one sooner than scipy loads.)
        guarded = np.ones(n, dtype=bool)
        component = np.arange(n)
        labels = component.copy()
    else:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        graph = coo_matrix((np.ones(len(lo), np.int32), (lo, hi)), shape=(n, n)).tocsr()
        _, component = connected_components(graph, directed=False)
        guarded = _guarded(component, limited, limits, names, never)
        # Parts no guard can touch: their spanning forest, each record labelled by its
        # part's smallest record.
        free = np.flatnonzero(~guarded[component[lo]] & (lo != hi))
        positions.append(free[_spanning_forest(n, lo[free], hi[free])])
        smallest = np.full(component.max() + 1 if n else 0, n, dtype=np.int64)
        np.minimum.at(smallest, component, np.arange(n, dtype=np.int64))
        labels = smallest[component]
    checked = guarded[component[lo]] & (lo != hi)

    # The other parts, link by link (their records' values as Python objects).
    checking = guarded[component]
    groups = _Groups(
        n,
        {ident: held.sets(checking) for ident, held in limited.items()},
        limits,
        names.first(checking),
        never,
    )
    refused: dict[str, int] = {}
    find, conflict, union = groups.find, groups.conflict, groups.union
    steps = np.flatnonzero(checked)
    step_links = zip(
        lo[steps].tolist(),
        hi[steps].tolist(),
        steps.tolist(),
        edges.priority[order][steps].tolist(),
        edges.check_names[order][steps].tolist(),
        strict=True,
    )
    applied: list[int] = []
    for x, y, pos, prio, check_names in step_links:
        ra, rb = find(x), find(y)
        if ra == rb:
            continue
        # A user's always-merge overrides limits and names, never a user's never-merge.
        user = prio < 0
        reason = conflict(ra, rb, check_names=check_names and not user, check_limits=not user)
        if reason is not None:
            refused[reason] = refused.get(reason, 0) + 1
            continue
        union(ra, rb)
        applied.append(pos)
    in_checked = np.flatnonzero(checking)
    labels[in_checked] = [find(i) for i in in_checked.tolist()]
    positions.append(np.array(applied, dtype=np.int64))
    accepted = order[np.sort(np.concatenate(positions))]
    return Clustering(labels=labels, accepted=accepted.astype(np.int64), refused=refused)
