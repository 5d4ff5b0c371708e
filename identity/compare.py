"""Comparing two records field by field: vectorized with rapidfuzz over arrays of pairs.

Each field's comparison gives a *level* per pair (Splink's comparison levels): -1 when either
side is missing, 0 for different, and higher levels for closer agreement, the top one exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = [
    "COMPARISONS",
    "Comparison",
    "first_names_compatible",
    "coded_levels",
    "coded_similarity",
    "names_compatible",
    "possible_names",
    "settled_names",
    "similarity",
]


def _forms(name: str) -> frozenset[str]:
    """Every written form of the names ``name`` may stand for (tony -> anthony, tony)."""
    from identity.nicknames import NAME_FORMS, NAME_GROUPS

    out: set[str] = {name}
    for canonical in NAME_GROUPS.get(name, ()):
        out |= NAME_FORMS[canonical]
    return frozenset(out)


@lru_cache(maxsize=262144)
def names_compatible(a: str, b: str) -> bool:
    """Whether two normalized first names may belong to one person: the same, nicknames of
    one name (Kathy, Kathleen), one a prefix of the other (Chris, Christine), a likely typo,
    or a typo of a nickname (Tonny, Anthony). Two different names that are both known given
    names are two names, not a prefix or a typo of one (Paul and Paula, Stefan and Stefanie,
    Andy and Mandy, Marie and Maria)."""
    if a == b:
        return True
    from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

    from identity.nicknames import GIVEN_NAMES, NAME_GROUPS

    if not NAME_GROUPS.get(a, {a}).isdisjoint(NAME_GROUPS.get(b, {b})):
        return True
    if a in GIVEN_NAMES and b in GIVEN_NAMES:
        return False
    if a.startswith(b) or b.startswith(a):
        return True
    if (
        JaroWinkler.normalized_similarity(a, b) >= 0.88
        and DamerauLevenshtein.distance(a, b) == 1
        and (len(a) != len(b) or sorted(a) == sorted(b) or len(a) >= 6)
    ):
        # A typo: one letter dropped, added or swapped, or changed in a long name (Stephan,
        # Stephen). Not two (Alexandra and Alexander are a household's two people).
        return True
    # A dropped, doubled or swapped letter away from a form of the other name. Not a changed
    # letter (Rick and Mick, Tim and Tom are different people's names), and never form
    # against form (Mandy and Sandy).
    return any(
        min(len(x), len(y)) >= 4
        and DamerauLevenshtein.distance(x, y) == 1
        and (len(x) != len(y) or sorted(x) == sorted(y))
        for x, forms in ((a, _forms(b)), (b, _forms(a)))
        for y in forms
    )


def possible_names(name: tuple[str, str]) -> frozenset[str]:
    """The canonical names an (as written, nickname-folded) first name may stand for: Alex is
    Alexander or Alexandra, Sandra only Alexandra."""
    from identity.nicknames import NAME_GROUPS

    return NAME_GROUPS.get(name[0]) or frozenset((name[1],))


def settled_names(
    names: Collection[tuple[str, str]] | None,
) -> Collection[tuple[str, str]] | None:
    """A group's first names without those a more specific name of the group settles: an
    initial its full name begins with (the ``s`` a nameless record on ``sneumann@`` is known
    by fits Sebastian and Sophie alike), or a short form of several names (Charlie: Charles or
    Charlotte) once the group holds one of them. Otherwise, once the group is Sebastian or
    Charles, Sophie or Charlotte would get in through the vaguer name."""
    if not names or len(names) == 1:
        return names
    kept = []
    for x in names:
        vague = possible_names(x)
        settled = any(
            y[0].startswith(x[0]) if len(x[0]) == 1 else possible_names(y) < vague
            for y in names
            if y != x and len(y[0]) > 1
        )
        if not settled:
            kept.append(x)
    return kept


def first_names_compatible(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Two (as written, nickname-folded) first names: compatible when either form is."""
    return names_compatible(a[1], b[1]) or names_compatible(a[0], b[0])


_DIGITS = re.compile(r"\D")


def _houses_differ(left: list[str], right: list[str]) -> np.ndarray:
    """Whether the house numbers (a street line's first number, or none) of each pair of
    normalized streets differ, over Arrow (the streets are ASCII: RE2's digits are Python's)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def houses(texts: list[str]) -> pa.Array:
        return pc.struct_field(pc.extract_regex(pa.array(texts, pa.string()), r"(?P<n>\d+)"), [0])

    a, b = houses(left), houses(right)
    same = pc.if_else(pc.is_null(a), pc.is_null(b), pc.fill_null(pc.equal(a, b), False))
    return ~same.to_numpy(zero_copy_only=False)


@dataclass(frozen=True)
class Comparison:
    field: str
    """Feature column compared (``first_name`` compares the nickname-folded ``first_canon``)."""
    scorer: str
    """``jaro_winkler`` | ``token_set`` | ``street`` (token set, 0 when the house numbers differ)
    | ``levenshtein`` | ``one_slip`` | ``exact``"""
    thresholds: tuple[float, ...]
    """Similarity needed for levels 1..n-1 (ascending); level n is exact equality."""
    column: str = ""
    only_agreement: bool = False
    """A difference counts as missing (no weight): one person's records often carry two
    addresses (work and personal), so only agreement says something."""

    @property
    def n_levels(self) -> int:
        return len(self.thresholds) + 2

    @property
    def source_column(self) -> str:
        return self.column or self.field


COMPARISONS: dict[str, Comparison] = {
    c.field: c
    for c in (
        Comparison("first_name", "jaro_winkler", (0.8, 0.92), column="first_canon"),
        Comparison("last_name", "jaro_winkler", (0.8, 0.92)),
        Comparison("date_of_birth", "levenshtein", (0.75,)),
        Comparison("street", "street", (0.7, 0.9)),
        Comparison("postcode", "levenshtein", (0.8,)),
        Comparison("city", "jaro_winkler", (0.9,)),
        Comparison("email_local", "jaro_winkler", (0.88,)),
        Comparison("email", "one_slip", (1.0,), only_agreement=True),
        Comparison("phone", "exact", ()),
    )
}


def similarity(scorer: str, left: list[str], right: list[str]) -> np.ndarray:
    """Similarity in 0..1 of each pair ``left[i], right[i]`` (both non-empty)."""
    from rapidfuzz import fuzz, process
    from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler, Levenshtein

    if scorer == "jaro_winkler":
        return process.cpdist(left, right, scorer=JaroWinkler.normalized_similarity, workers=-1)
    if scorer == "levenshtein":
        return process.cpdist(left, right, scorer=Levenshtein.normalized_similarity, workers=-1)
    if scorer in ("token_set", "street"):
        sim = process.cpdist(left, right, scorer=fuzz.token_set_ratio, workers=-1) / 100.0
        if scorer == "street":
            # Two house numbers make two addresses, however alike the street names (only
            # pairs alike enough to matter are looked at).
            sim[_houses_differ(left, right)] = 0.0
        return sim
    if scorer == "one_slip":
        # 1 when one letter of the local part was dropped, added, changed or swapped
        # (mrgan.samuel@): at the same domain (jsmith@gmail.com and jsmith@mail.com are two
        # mailboxes; mistyped providers are folded by email_match_key), with the same digits
        # (jsmith1@ and jsmith2@ are two people).
        slips = process.cpdist(left, right, scorer=DamerauLevenshtein.distance, workers=-1)
        out = np.zeros(len(left))
        for i in np.flatnonzero(slips <= 1).tolist():
            a, b = left[i], right[i]
            out[i] = float(
                a.rpartition("@")[2] == b.rpartition("@")[2]
                and _DIGITS.sub("", a) == _DIGITS.sub("", b)
            )
        return out
    return np.array([a == b for a, b in zip(left, right, strict=True)], dtype=float)


def coded_similarity(
    scorer: str, left: np.ndarray, right: np.ndarray, texts: Callable[[np.ndarray], list[str]]
) -> np.ndarray:
    """Similarity of each pair given as dictionary codes (-1 when missing, then NaN), with
    ``texts`` giving the values of an array of codes. Equal codes are 1; the others are
    compared once per distinct pair of values (a batch of pairs repeats the same first names,
    cities and postcodes many times)."""
    sim = np.full(len(left), np.nan)
    present = (left >= 0) & (right >= 0)
    same = present & (left == right)
    sim[same] = 1.0
    differ = np.flatnonzero(present & ~same)
    if len(differ):
        x, y = left[differ].astype(np.int64), right[differ].astype(np.int64)
        width = int(max(x.max(), y.max())) + 1
        combos, inverse = np.unique(x * width + y, return_inverse=True)
        sim[differ] = similarity(scorer, texts(combos // width), texts(combos % width))[inverse]
    return sim


def coded_levels(
    comparison: Comparison,
    left: np.ndarray,
    right: np.ndarray,
    texts: Callable[[np.ndarray], list[str]],
) -> np.ndarray:
    """Comparison level (int8) of each pair, given as in :func:`coded_similarity`."""
    sim = coded_similarity(comparison.scorer, left, right, texts)
    out = np.where(np.isnan(sim), -1, 0).astype(np.int8)
    for i, threshold in enumerate(comparison.thresholds, start=1):
        out[sim >= threshold] = i
    if comparison.only_agreement:
        out[out == 0] = -1
    out[(left == right) & (left >= 0)] = comparison.n_levels - 1
    return out
