"""Scoring candidate pairs: comparison vectors over Arrow batches, then a fuzzy or
probabilistic decision per pair. Pairs stream from DuckDB in batches, so memory holds only
the small comparison vectors, not the pairs' text."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from identity.blocking import candidate_pairs_sql
from identity.compare import COMPARISONS, Comparison, coded_levels, coded_similarity
from identity.fellegi_sunter import FellegiSunter, decode_patterns, encode_patterns

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from identity.config import FuzzyRule, ProbabilisticRule

__all__ = ["BATCH_SIZE", "FeatureArrays", "ScoredEdges", "score_rule"]

BATCH_SIZE = 200_000
_LEVEL_NAMES = {-1: "missing", 0: "different"}
#: Fields that tell namesakes apart, and the comparison level each must reach to count as
#: evidence beyond names and place (a street needs more than shared words like "Oak St").
EVIDENCE_LEVELS = {"date_of_birth": 1, "street": 2, "email": 1, "phone": 1}


#: Evidence that only counts when both first names are known and alike: a shared street is
#: where a whole household lives, so it cannot tell a nameless record's person.
NEEDS_FIRST_NAME = frozenset({"street"})


def _has_evidence(fields: Sequence[str], g: np.ndarray) -> np.ndarray:
    """One agreeing evidence field; one more for last names, and for postcodes, both known and
    clearly different (two people sharing a first name and a birthday are common in large
    data)."""
    count = np.zeros(len(g), dtype=np.int8)
    first_alike = (
        g[:, fields.index("first_name")] >= 1
        if "first_name" in fields
        else np.ones(len(g), dtype=bool)
    )
    for j, name in enumerate(fields):
        if name in EVIDENCE_LEVELS:
            agree = g[:, j] >= EVIDENCE_LEVELS[name]
            if name in NEEDS_FIRST_NAME:
                agree &= first_alike
            count += agree
    need = np.ones(len(g), dtype=np.int8)
    # Clearly different last names or postcodes (namesakes elsewhere; people do move) ask for
    # a second piece of evidence.
    for name in ("last_name", "postcode"):
        if name in fields:
            need += g[:, fields.index(name)] == 0
    return count >= need


class FeatureArrays:
    """Feature columns indexed by ``rid`` (loaded once per run), of every record of the table
    ``features`` or of those whose rid ``rids_sql`` selects, dictionary-encoded: a pair's two
    values are compared as integer codes, and text is made only for the distinct pairs of
    values a batch needs, so memory stays bounded and repeated values are compared once."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        rids_sql: str | None = None,
        features: str = "id_features",
    ) -> None:
        columns = sorted({c.source_column for c in COMPARISONS.values()})
        cols = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in columns)
        where = f"WHERE rid IN ({rids_sql})" if rids_sql else ""
        table = con.sql(f"SELECT rid, {cols} FROM {features} {where} ORDER BY rid").to_arrow_table()
        self.n = table.num_rows
        self.rids: np.ndarray | None = (
            table.column("rid").to_numpy().astype(np.int64) if rids_sql else None
        )
        self.codes: dict[str, np.ndarray] = {}
        self.values: dict[str, pa.Array] = {}
        for c in columns:
            encoded = table.column(c).combine_chunks().dictionary_encode()
            self.codes[c] = encoded.indices.fill_null(-1).to_numpy().astype(np.int32)
            self.values[c] = encoded.dictionary

    def rows(self, rids: np.ndarray) -> np.ndarray:
        """The rows of records ``rids`` in the columns."""
        return np.searchsorted(self.rids, rids) if self.rids is not None else rids

    def texts(self, column: str) -> Callable[[np.ndarray], list[str]]:
        """The values of an array of the column's codes."""
        return lambda codes: self.values[column].take(codes).to_pylist()

    def similarity(self, scorer: str, column: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Similarity of the column's values in each pair of rows ``a[i], b[i]`` (NaN when
        either is missing)."""
        codes = self.codes[column]
        return coded_similarity(scorer, codes[a], codes[b], self.texts(column))

    def levels(self, comparison: Comparison, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The comparison's level of each pair of rows ``a[i], b[i]``."""
        codes = self.codes[comparison.source_column]
        return coded_levels(comparison, codes[a], codes[b], self.texts(comparison.source_column))


@dataclass
class ScoredEdges:
    a: np.ndarray
    b: np.ndarray
    score: np.ndarray
    evidence: list[str]
    pairs_scored: int
    model: dict[str, object]
    params: dict[str, object] | None = None
    """The Fellegi-Sunter parameters used (learned, or given)."""


def _gammas(
    features: FeatureArrays, fields: Sequence[str], a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    out = np.empty((len(a), len(fields)), dtype=np.int8)
    rows_a, rows_b = features.rows(a), features.rows(b)
    for j, name in enumerate(fields):
        out[:, j] = features.levels(COMPARISONS[name], rows_a, rows_b)
    return out


def _level_name(field: str, level: int) -> str:
    top = COMPARISONS[field].n_levels - 1
    if level == top:
        return "exact"
    return _LEVEL_NAMES.get(level, f"similar(level {level})")


def _pairs(con: duckdb.DuckDBPyConnection, pairs_sql: str):  # type: ignore[no-untyped-def]
    reader = con.sql(pairs_sql).to_arrow_reader(BATCH_SIZE)
    for batch in reader:
        yield (
            batch.column(0).to_numpy().astype(np.int64),
            batch.column(1).to_numpy().astype(np.int64),
        )


def _learn(
    model: FellegiSunter,
    features: FeatureArrays,
    fields: Sequence[str],
    patterns: np.ndarray,
    counts: np.ndarray,
    iterations: int,
) -> None:
    """u from random record pairs, then EM over the candidate pairs' patterns."""
    if features.n > 1:
        rng = np.random.default_rng(0)
        size = min(100_000, features.n * 4)
        ra, rb = rng.integers(0, features.n, size), rng.integers(0, features.n, size)
        keep = ra != rb
        if features.rids is not None:
            ra, rb = features.rids[ra], features.rids[rb]
        model.init_u(_gammas(features, fields, ra[keep], rb[keep]))
    model.fit_patterns(patterns, counts, iterations=iterations)


def _score_probabilistic(
    con: duckdb.DuckDBPyConnection,
    features: FeatureArrays,
    rule: ProbabilisticRule,
    pairs_sql: str,
    params: dict[str, object] | None,
) -> ScoredEdges:
    """Pairs stream in batches, each reduced to its comparison pattern (one integer): EM,
    the decision and the evidence then work on the few distinct patterns, not the pairs."""
    fields = [f for f in rule.compare if f in COMPARISONS]
    n_levels = [COMPARISONS[f].n_levels for f in fields]
    parts_a, parts_b, parts_c = [], [], []
    for a, b in _pairs(con, pairs_sql):
        parts_a.append(a)
        parts_b.append(b)
        parts_c.append(encode_patterns(_gammas(features, fields, a, b), n_levels))
    a = np.concatenate(parts_a) if parts_a else np.empty(0, np.int64)
    b = np.concatenate(parts_b) if parts_b else np.empty(0, np.int64)
    codes = np.concatenate(parts_c) if parts_c else np.empty(0, np.int64)
    unique, pattern_of, counts = np.unique(codes, return_inverse=True, return_counts=True)
    patterns = decode_patterns(unique, n_levels)
    if params is not None and params.get("n_levels") == n_levels:
        model = FellegiSunter.from_params(params)
    else:
        model = FellegiSunter(n_levels, prior=max(rule.prior, 1e-3))
        _learn(model, features, fields, patterns, counts, rule.em_iterations)
    prob = model.posterior(patterns) if len(patterns) else np.empty(0)
    passes = prob >= rule.threshold
    if rule.require_evidence and any(f in EVIDENCE_LEVELS for f in fields):
        passes &= _has_evidence(fields, patterns)
    evidence_of = {}
    for p in np.flatnonzero(passes).tolist():
        weights = model.match_weights(patterns[p])
        evidence_of[p] = json.dumps(
            {
                "match_probability": round(float(prob[p]), 6),
                "fields": {
                    f: {"level": _level_name(f, int(lv)), "weight": round(w, 2)}
                    for f, lv, w in zip(fields, patterns[p], weights, strict=True)
                },
            }
        )
    take = passes[pattern_of]
    taken = pattern_of[take]
    summary = {
        "lambda": model.prior,
        "iterations": model.iterations_run,
        "m": {f: [round(x, 4) for x in model.m[i]] for i, f in enumerate(fields)},
        "u": {f: [round(x, 6) for x in model.u[i]] for i, f in enumerate(fields)},
    }
    return ScoredEdges(
        a[take],
        b[take],
        prob[taken],
        [evidence_of[p] for p in taken.tolist()],
        len(codes),
        summary,
        model.to_params(),
    )


def _score_fuzzy(
    con: duckdb.DuckDBPyConnection, features: FeatureArrays, rule: FuzzyRule, pairs_sql: str
) -> ScoredEdges:
    out_a, out_b, out_s, evidence, scored = [], [], [], [], 0
    for a, b in _pairs(con, pairs_sql):
        scored += len(a)
        ok = np.ones(len(a), dtype=bool)
        mins = np.ones(len(a))
        sims: dict[str, np.ndarray] = {}
        rows_a, rows_b = features.rows(a), features.rows(b)
        for name, minimum in rule.min_similarity.items():
            comparison = COMPARISONS[name]
            sim = features.similarity(comparison.scorer, comparison.source_column, rows_a, rows_b)
            present = ~np.isnan(sim)
            sim[~present] = 0.0
            sims[name] = sim
            ok &= present & (sim >= minimum)
            mins = np.minimum(mins, sim)
        out_a.append(a[ok])
        out_b.append(b[ok])
        out_s.append(mins[ok])
        for i in np.flatnonzero(ok):
            evidence.append(
                json.dumps({"similarity": {k: round(float(v[i]), 3) for k, v in sims.items()}})
            )
    cat = lambda xs, dt: np.concatenate(xs) if xs else np.empty(0, dt)  # noqa: E731
    return ScoredEdges(
        cat(out_a, np.int64), cat(out_b, np.int64), cat(out_s, float), evidence, scored, {}
    )


def links_table(
    rules: list[str], a: np.ndarray, b: np.ndarray, score: np.ndarray, evidence: list[str]
) -> pa.Table:
    """Passing links as kept (``identity.kept_links``): each link's rule name and evidence
    dictionary-encoded, for a probabilistic rule's evidence is one of its few patterns' (a
    million links' evidence written out is hundreds of megabytes)."""
    import pyarrow as pa

    def encoded(values: list[str]) -> pa.DictionaryArray:
        index: dict[str, int] = {}
        codes = [index.setdefault(v, len(index)) for v in values]
        return pa.DictionaryArray.from_arrays(
            pa.array(codes, pa.int32()), pa.array(list(index), pa.string())
        )

    return pa.table(
        {
            "rule": encoded(rules),
            "a": pa.array(np.minimum(a, b), pa.int64()),
            "b": pa.array(np.maximum(a, b), pa.int64()),
            "score": pa.array(score, pa.float64()),
            "evidence": encoded(evidence),
        }
    )


def score_rule(
    con: duckdb.DuckDBPyConnection,
    features: FeatureArrays,
    rule: FuzzyRule | ProbabilisticRule,
    *,
    pairs_sql: str | None = None,
    params: dict[str, object] | None = None,
) -> ScoredEdges:
    """Score the rule's candidate pairs (``pairs_sql`` or all its blocking pairs); a
    probabilistic rule uses ``params`` when given, else learns them by EM."""
    sql = pairs_sql or candidate_pairs_sql(rule.block_on)
    if rule.kind == "probabilistic":
        return _score_probabilistic(con, features, rule, sql, params)
    return _score_fuzzy(con, features, rule, sql)
