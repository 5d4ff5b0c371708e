"""Fellegi-Sunter record linkage with parameters learned by EM, as Splink does.

Each candidate pair has a comparison vector (one level per field). A pair's match probability
is ``λ Π m / (λ Π m + (1-λ) Π u)`` where ``m[f][l]`` is the chance a true match shows level
``l`` on field ``f`` and ``u[f][l]`` the chance a non-match does. u starts from random record
pairs, m from sensible defaults; EM then fits m, u and λ to the candidate pairs themselves,
so the weights come from the data, not from hand-set thresholds. EM runs on the distinct
comparison vectors with their counts, so it costs the same for a thousand pairs or a billion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["FellegiSunter", "decode_patterns", "encode_patterns"]


def encode_patterns(gammas: np.ndarray, n_levels: list[int]) -> np.ndarray:
    """Each comparison vector (levels -1..n-1 per field) as one integer, so a batch of pairs
    reduces to its distinct patterns with one 1-d ``np.unique``."""
    code = np.zeros(len(gammas), dtype=np.int64)
    for j, n in enumerate(n_levels):
        code = code * (n + 1) + (gammas[:, j].astype(np.int64) + 1)
    return code


def decode_patterns(codes: np.ndarray, n_levels: list[int]) -> np.ndarray:
    """The comparison vectors (int8, one row per code) of :func:`encode_patterns` codes."""
    out = np.empty((len(codes), len(n_levels)), dtype=np.int8)
    rest = np.asarray(codes, dtype=np.int64).copy()
    for j in range(len(n_levels) - 1, -1, -1):
        base = n_levels[j] + 1
        out[:, j] = rest % base - 1
        rest //= base
    return out


@dataclass
class FellegiSunter:
    n_levels: list[int]
    prior: float = 1e-2
    m: list[np.ndarray] = field(default_factory=list)
    u: list[np.ndarray] = field(default_factory=list)
    iterations_run: int = 0

    def __post_init__(self) -> None:
        if not self.m:
            # Matches mostly agree exactly; levels below grow rarer.
            self.m = []
            for n in self.n_levels:
                m = np.array([0.5 ** (n - 1 - lv) for lv in range(n)], dtype=float)
                self.m.append(m / m.sum())
        if not self.u:
            self.u = [np.full(n, 1.0 / n) for n in self.n_levels]

    def init_u(self, random_gammas: np.ndarray) -> None:
        """u from comparison vectors of random record pairs (nearly all non-matches)."""
        for f, n in enumerate(self.n_levels):
            col = random_gammas[:, f]
            col = col[col >= 0]
            counts = np.bincount(col, minlength=n).astype(float) + 1.0
            self.u[f] = counts / counts.sum()

    def _likelihoods(self, patterns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lm = np.ones(len(patterns))
        lu = np.ones(len(patterns))
        for f in range(len(self.n_levels)):
            col = patterns[:, f]
            present = col >= 0
            lm[present] *= self.m[f][col[present]]
            lu[present] *= self.u[f][col[present]]
        return lm, lu

    def posterior(self, patterns: np.ndarray) -> np.ndarray:
        lm, lu = self._likelihoods(patterns)
        num = self.prior * lm
        return num / (num + (1 - self.prior) * lu)

    def fit(self, gammas: np.ndarray, iterations: int = 25, tol: float = 1e-6) -> None:
        """EM over the candidate pairs' comparison vectors."""
        if len(gammas) == 0:
            return
        codes, counts = np.unique(encode_patterns(gammas, self.n_levels), return_counts=True)
        self.fit_patterns(decode_patterns(codes, self.n_levels), counts, iterations, tol)

    def fit_patterns(
        self, patterns: np.ndarray, counts: np.ndarray, iterations: int = 25, tol: float = 1e-6
    ) -> None:
        """EM over distinct comparison vectors and how many pairs show each."""
        if len(patterns) == 0:
            return
        counts = counts.astype(float)
        for it in range(iterations):
            p = self.posterior(patterns)
            wm, wu = counts * p, counts * (1 - p)
            new_prior = float(wm.sum() / counts.sum())
            for f, n in enumerate(self.n_levels):
                col = patterns[:, f]
                present = col >= 0
                m = np.bincount(col[present], weights=wm[present], minlength=n) + 1.0
                u = np.bincount(col[present], weights=wu[present], minlength=n) + 1.0
                self.m[f], self.u[f] = m / m.sum(), u / u.sum()
            self.iterations_run = it + 1
            moved = abs(new_prior - self.prior)
            self.prior = min(max(new_prior, 1e-9), 1 - 1e-9)
            if moved < tol:
                break

    def to_params(self) -> dict[str, object]:
        """The learned parameters, JSON-ready (stored for incremental runs)."""
        return {
            "n_levels": list(self.n_levels),
            "prior": self.prior,
            "m": [[float(x) for x in m] for m in self.m],
            "u": [[float(x) for x in u] for u in self.u],
        }

    @classmethod
    def from_params(cls, params: dict[str, object]) -> FellegiSunter:
        n_levels = [int(n) for n in params["n_levels"]]  # type: ignore[attr-defined]
        return cls(
            n_levels,
            prior=float(params["prior"]),  # type: ignore[arg-type]
            m=[np.array(m, dtype=float) for m in params["m"]],  # type: ignore[attr-defined]
            u=[np.array(u, dtype=float) for u in params["u"]],  # type: ignore[attr-defined]
        )

    def match_weights(self, gamma: np.ndarray) -> list[float]:
        """log2(m/u) of each field's level in one comparison vector (0 when missing)."""
        return [
            0.0 if lv < 0 else float(np.log2(self.m[f][lv] / self.u[f][lv]))
            for f, lv in enumerate(gamma)
        ]
