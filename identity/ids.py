"""Stable profile ids across runs, and the changes between two resolutions.

* A profile keeps its id when records join it.
* When profiles merge, the oldest id survives; the others are retired into it.
* When a profile splits, the part holding most of its records keeps the id (ties: the larger
  part counting records that are new, then the part with the first record); the other parts
  get new ids.
* A brand-new group gets a new id derived from its first record (so a fresh resolution of the
  same data always yields the same ids).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

__all__ = ["Change", "IdAssignment", "assign_ids", "new_profile_id"]

Key = tuple[str, str]


@dataclass(frozen=True)
class Change:
    action: str
    """new | join | merge | split | move | remove"""
    profile_id: str
    other_profile_id: str | None = None
    record: Key | None = None


@dataclass
class IdAssignment:
    group_ids: dict[int, str]
    """group label -> profile id"""
    changes: list[Change] = field(default_factory=list)
    retired: dict[str, str] = field(default_factory=dict)
    """retired id -> the id it was merged into"""
    created: list[str] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)
    """Profile ids whose set of records changed (including retired and new ones)."""

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)


class _Taken(set[str]):
    """Ids known locally, plus a lookup of every id ever issued."""

    def __init__(self, known: set[str], lookup: Callable[[str], bool]) -> None:
        super().__init__(known)
        self.lookup = lookup

    def __contains__(self, pid: object) -> bool:
        return super().__contains__(pid) or (isinstance(pid, str) and self.lookup(pid))


def new_profile_id(first: Key, taken: set[str] | frozenset[str] = frozenset()) -> str:
    salt = 0
    while True:
        text = f"{first[0]}\x1f{first[1]}" + (f"\x1f{salt}" if salt else "")
        pid = "p_" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
        if pid not in taken:
            return pid
        salt += 1


def assign_ids(
    records: Sequence[Key],
    labels: Sequence[int],
    previous: Mapping[Key, str],
    created_at: Mapping[str, datetime],
    is_taken: Callable[[str], bool] | None = None,
) -> IdAssignment:
    """Ids for the groups of ``labels`` (``records[i]`` is in group ``labels[i]``).

    ``records`` are sorted, so the first record of a group is its smallest key. An
    incremental run passes only the records it re-clustered (with ``previous`` holding every
    record of their old profiles) and ``is_taken`` to check other ids ever issued.
    """
    # The groups' records (by numpy: a million records in Python lists cost seconds): group
    # ``j`` holds ``order[starts[j]:ends[j]]``, its smallest record first.
    lab = np.asarray(labels, dtype=np.int64)
    order = np.argsort(lab, kind="stable")
    starts = np.flatnonzero(np.r_[True, lab[order][1:] != lab[order][:-1]]) if len(lab) else lab
    ends = np.r_[starts[1:], len(lab)].astype(np.int64)
    group_labels = lab[order[starts]].tolist()
    firsts = order[starts].tolist()
    first = dict(zip(group_labels, firsts, strict=True))
    size = dict(zip(group_labels, (ends - starts).tolist(), strict=True))

    def members(j: int) -> list[int]:
        return order[starts[j] : ends[j]].tolist()

    # Each record's previous profile id (looked up once; none at all on a first run).
    before_of = [previous.get(key) for key in records] if previous else [None] * len(records)
    old_in_group: dict[int, Counter[str]] = {}
    old_groups: dict[str, Counter[int]] = defaultdict(Counter)
    if previous:
        for j, label in enumerate(group_labels):
            counter: Counter[str] = Counter()
            for i in members(j):
                pid = before_of[i]
                if pid is not None:
                    counter[pid] += 1
                    old_groups[pid][label] += 1
            old_in_group[label] = counter
    # Each old id goes to the group holding most of its records.
    claims: dict[int, list[str]] = defaultdict(list)
    home: dict[str, int] = {}
    for pid, groups in old_groups.items():
        label = min(groups, key=lambda g: (-groups[g], -size[g], first[g]))
        home[pid] = label
        claims[label].append(pid)
    out = IdAssignment(group_ids={})
    taken: set[str] | _Taken = set(previous.values()) | set(created_at)
    if is_taken is not None:
        taken = _Taken(taken, is_taken)
    epoch = datetime.min
    for j in np.argsort(firsts).tolist():
        label = group_labels[j]
        pids = sorted(claims.get(label, []), key=lambda p: (created_at.get(p, epoch), p))
        if pids:
            survivor = pids[0]
            for other in pids[1:]:
                out.retired[other] = survivor
                out.changes.append(Change("merge", survivor, other))
                out.touched.update((survivor, other))
        else:
            survivor = new_profile_id(records[firsts[j]], taken)
            taken.add(survivor)
            out.created.append(survivor)
            out.touched.add(survivor)
            split_from = [p for p in old_in_group.get(label, ()) if home.get(p) != label]
            if split_from:
                for p in sorted(split_from):
                    out.changes.append(Change("split", survivor, p))
                    out.touched.add(p)
            else:
                out.changes.append(Change("new", survivor))
        out.group_ids[label] = survivor
        if not previous:
            continue
        for i in members(j):
            before = before_of[i]
            if before is None:
                if pids:
                    out.changes.append(Change("join", survivor, None, records[i]))
                    out.touched.add(survivor)
            elif before != survivor and out.retired.get(before) != survivor:
                out.changes.append(Change("move", survivor, before, records[i]))
                out.touched.update((survivor, before))
    live = set(records) if previous else set()
    for key, pid in previous.items():
        if key not in live:
            out.changes.append(Change("remove", pid, None, key))
            out.touched.add(pid)
    return out
