"""Vectorized string building and the messy ways people and tools record the same person.

Every function takes and returns Arrow arrays and draws its randomness from the ``rng`` it is
given, so a seed gives the same output. Nothing loops over rows in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cdp.demo import vocab

__all__ = [
    "choose",
    "concat",
    "cut",
    "digits",
    "email_typos",
    "first_rows",
    "format_phones",
    "junk",
    "mask",
    "name_typos",
    "nullify",
    "pad_spaces",
    "patch",
    "scatter",
    "vary_case",
    "where",
]

Arr: TypeAlias = pa.Array
_DIGITS = pa.array(list("0123456789"))
_LETTERS = pa.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
_HEX = pa.array(list("0123456789abcdef"))


def concat(*parts: Arr | str) -> Arr:
    """Element-wise string concatenation; plain strings are broadcast. Null in, null out."""
    args = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, "")


def choose(
    rng: np.random.Generator, values: Sequence[str | None], n: int, p: Sequence[float] | None = None
) -> Arr:
    """``n`` values drawn from ``values`` (with probabilities ``p``)."""
    idx = rng.choice(len(values), size=n, p=None if p is None else np.asarray(p) / np.sum(p))
    return pa.array(list(values), pa.string()).take(pa.array(idx))


def digits(rng: np.random.Generator, n: int, k: int, alphabet: Arr = _DIGITS) -> Arr:
    """``n`` random strings of ``k`` characters from ``alphabet`` (digits by default)."""
    if k == 0:
        return pa.array([""] * n, pa.string())
    cols = [alphabet.take(pa.array(rng.integers(0, len(alphabet), n))) for _ in range(k)]
    return concat(*cols)


def hexes(rng: np.random.Generator, n: int, k: int) -> Arr:
    return digits(rng, n, k, _HEX)


def letters(rng: np.random.Generator, n: int, k: int) -> Arr:
    return digits(rng, n, k, _LETTERS)


def mask(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    return rng.random(n) < p


def where(m: np.ndarray | Arr, a: Arr | str | None, b: Arr) -> Arr:
    """``a`` where ``m`` is true, else ``b`` (a missing ``m`` counts as false)."""
    if a is None:
        a = pa.nulls(len(b), b.type)
    elif isinstance(a, str):
        a = pa.scalar(a, b.type)
    cond = pc.fill_null(m, False) if isinstance(m, pa.Array) else pa.array(m, pa.bool_())
    return pc.if_else(cond, a, b)


def scatter(
    n: int, parts: Sequence[tuple[np.ndarray, Arr]], type_: pa.DataType | None = None
) -> Arr:
    """An array of ``n`` built from (row positions, values) pairs; unset rows are null."""
    type_ = type_ or pa.string()
    if not parts:
        return pa.nulls(n, type_)
    positions = np.concatenate([p for p, _ in parts])
    values = pa.concat_arrays([v.cast(type_) for _, v in parts])
    order = np.full(n, len(values), dtype=np.int64)
    order[positions] = np.arange(len(values))
    return pa.concat_arrays([values, pa.nulls(1, type_)]).take(pa.array(order))


def first_rows(key: Arr) -> np.ndarray:
    """True on the first row of each distinct non-null ``key`` (hash grouping, no sorting)."""
    n = len(key)
    table = pa.table({"k": key, "i": pa.array(np.arange(n))})
    firsts = table.group_by("k", use_threads=False).aggregate([("i", "min")])["i_min"]
    keep = np.zeros(n, dtype=bool)
    keep[firsts.to_numpy()] = True
    keep &= pc.is_valid(key).to_numpy(zero_copy_only=False)
    return keep


def nullify(rng: np.random.Generator, arr: Arr, p: float) -> Arr:
    """Leave ``p`` of the values empty (a missing field)."""
    return where(mask(rng, len(arr), p), None, arr)


def junk(rng: np.random.Generator, arr: Arr, p: float, values: Sequence[str]) -> Arr:
    """Replace ``p`` of the values with placeholders such as ``n/a`` or ``test@test.com``."""
    return where(mask(rng, len(arr), p), choose(rng, values, len(arr)), arr)


def patch(arr: Arr, m: np.ndarray, fn: Callable[[Arr], Arr]) -> Arr:
    """``arr`` with the rows of mask ``m`` replaced by ``fn`` of those rows (``fn`` only sees
    the few rows it changes, so rare variations cost little on millions of rows)."""
    rows = np.flatnonzero(m)
    if not len(rows):
        return arr
    new = fn(arr.take(pa.array(rows))).cast(arr.type)
    order = np.arange(len(arr))
    order[rows] = len(arr) + np.arange(len(rows))
    return pa.concat_arrays([arr, new]).take(pa.array(order))


def vary_case(rng: np.random.Generator, arr: Arr, p_upper: float, p_lower: float) -> Arr:
    u = rng.random(len(arr))
    out = patch(arr, u < p_upper, pc.utf8_upper)
    return patch(out, (u >= p_upper) & (u < p_upper + p_lower), pc.utf8_lower)


def pad_spaces(rng: np.random.Generator, arr: Arr, p: float) -> Arr:
    """Stray spaces before or after the value (copy-paste residue)."""
    u = rng.random(len(arr))
    out = patch(arr, u < p / 2, lambda a: concat(" ", a))
    return patch(out, (u >= p / 2) & (u < p), lambda a: concat(a, "  "))


def cut(arr: Arr, start: int, stop: int | None = None) -> Arr:
    return (
        pc.utf8_slice_codeunits(arr, start, stop)
        if stop is not None
        else pc.utf8_slice_codeunits(arr, start)
    )


def _typo(kind: int) -> Callable[[Arr], Arr]:
    def apply(a: Arr) -> Arr:
        if kind == 0:  # dropped letter
            return concat(cut(a, 0, 2), cut(a, 3))
        if kind == 1:  # doubled letter
            return concat(cut(a, 0, 3), cut(a, 2))
        return concat(cut(a, 0, 1), cut(a, 2, 3), cut(a, 1, 2), cut(a, 3))  # swapped

    return apply


def name_typos(rng: np.random.Generator, arr: Arr, p: float) -> Arr:
    """Typing slips in ``p`` of the values: a dropped, doubled or swapped letter."""
    u = rng.random(len(arr))
    kind = rng.integers(0, 3, len(arr))
    candidates = u < p
    long_enough = np.zeros(len(arr), dtype=bool)
    rows = np.flatnonzero(candidates)
    lengths = pc.utf8_length(arr.take(pa.array(rows)))
    long_enough[rows] = pc.fill_null(pc.greater_equal(lengths, 4), False).to_numpy(
        zero_copy_only=False
    )
    out = arr
    for k in range(3):
        out = patch(out, long_enough & (kind == k), _typo(k))
    return out


def _domain_typos(a: Arr) -> Arr:
    for right, wrong in vocab.DOMAIN_TYPOS:
        a = pc.replace_substring(a, "@" + right, "@" + wrong)
    return a


def email_typos(rng: np.random.Generator, arr: Arr, p: float) -> Arr:
    """A misspelt domain (gmial.com) or a slip in the local part, in ``p`` of the values."""
    u = rng.random(len(arr))
    out = patch(arr, u < p / 2, _domain_typos)
    return patch(out, (u >= p / 2) & (u < p), lambda a: concat(cut(a, 0, 1), cut(a, 2)))


#: Phone layouts: country -> formats; each part is a literal or an (start, stop) slice of the
#: national significant number (NSN). The first format is E.164.
_US: list[list[str | tuple[int, int]]] = [
    ["+1", (0, 10)],
    ["(", (0, 3), ") ", (3, 6), "-", (6, 10)],
    [(0, 3), "-", (3, 6), "-", (6, 10)],
    [(0, 3), ".", (3, 6), ".", (6, 10)],
    [(0, 10)],
    ["+1 ", (0, 3), "-", (3, 6), "-", (6, 10)],
    ["1-", (0, 3), "-", (3, 6), "-", (6, 10)],
]
PHONE_FORMATS: dict[str, list[list[str | tuple[int, int]]]] = {
    "US": _US,
    "CA": _US,
    "GB": [
        ["+44", (0, 10)],
        ["0", (0, 4), " ", (4, 10)],
        ["+44 ", (0, 4), " ", (4, 10)],
        ["0", (0, 10)],
    ],
    "DE": [
        ["+49", (0, 11)],
        ["0", (0, 3), " ", (3, 11)],
        ["+49 ", (0, 3), " ", (3, 11)],
        ["0", (0, 3), "/", (3, 11)],
    ],
    "FR": [
        ["+33", (0, 9)],
        ["0", (0, 1), " ", (1, 3), " ", (3, 5), " ", (5, 7), " ", (7, 9)],
        ["+33 ", (0, 1), " ", (1, 3), " ", (3, 5), " ", (5, 7), " ", (7, 9)],
        ["0", (0, 9)],
    ],
    "AU": [
        ["+61", (0, 9)],
        ["0", (0, 3), " ", (3, 6), " ", (6, 9)],
        ["+61 ", (0, 3), " ", (3, 6), " ", (6, 9)],
    ],
    "NL": [["+31", (0, 9)], ["0", (0, 1), "-", (1, 9)], ["+31 ", (0, 1), " ", (1, 9)]],
}


def format_phones(rng: np.random.Generator, nsn: Arr, country: Arr, p_e164: float = 0.3) -> Arr:
    """Each national number written the way people type it: E.164 for ``p_e164`` of them,
    otherwise one of the country's national or international styles."""
    n = len(nsn)
    codes = list(PHONE_FORMATS)
    cidx = pc.fill_null(pc.index_in(country, pa.array(codes)), -1).to_numpy(zero_copy_only=False)
    u = rng.random(n)
    choice = rng.integers(1, 1_000_000, n)
    parts = []
    for ci, code in enumerate(codes):
        formats = PHONE_FORMATS[code]
        in_country = cidx == ci
        pick = np.where(u < p_e164, 0, 1 + choice % (len(formats) - 1))
        for i, fmt in enumerate(formats):
            rows = np.flatnonzero(in_country & (pick == i))
            if len(rows):
                sub = nsn.take(pa.array(rows))
                parts.append(
                    (
                        rows,
                        concat(*[p if isinstance(p, str) else cut(sub, p[0], p[1]) for p in fmt]),
                    )
                )
    return scatter(n, parts)


def ints(values: np.ndarray) -> Arr:
    """Integers as decimal strings."""
    return pa.array(values.astype("int64")).cast(pa.string())
