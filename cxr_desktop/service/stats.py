"""Small, exact statistics for the quality view, the drift test and the site calibration.

No scipy here (the app does not ship it): Wilson score intervals for proportions, the exact
binomial upper tail for the one-sided drift test, and reliability bins with the expected
calibration error. Every function is pure and works on plain numbers or numpy arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Two-sided 95%: the normal quantile 0.975.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Proportion:
    """k of n, with its Wilson 95% interval (``estimate``/``low``/``high`` are None when n = 0)."""

    k: int
    n: int

    @property
    def estimate(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.k, self.n)

    @property
    def low(self) -> float | None:
        ci = self.interval
        return None if ci is None else ci[0]

    @property
    def high(self) -> float | None:
        ci = self.interval
        return None if ci is None else ci[1]

    def as_json(self) -> dict[str, float | int | None]:
        ci = self.interval
        return {"k": self.k, "n": self.n, "estimate": self.estimate,
                "ci95": None if ci is None else [ci[0], ci[1]]}


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for k successes in n trials (Wilson 1927); None when n = 0.
    Unlike the Wald interval it stays inside [0, 1] and keeps its coverage near 0 and 1, where
    sensitivities and accepted-correct rates of a good model live."""
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"k={k} not in 0..{n}")
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed exactly in log space (n up to ~10^5)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    base = math.lgamma(n + 1)
    terms = [base - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
             for i in range(k, n + 1)]
    top = max(terms)
    return min(1.0, math.exp(top) * math.fsum(math.exp(t - top) for t in terms))


def binomial_critical_count(n: int, p: float, alpha: float) -> int:
    """The smallest k with P(X >= k) <= alpha for X ~ Binomial(n, p) (n + 1: never)."""
    for k in range(int(n * p), n + 1):
        if binomial_upper_tail(k, n, p) <= alpha:
            return k
    return n + 1


#: Confidence bins of the reliability diagram: a good model's top-class confidences crowd
#: above 0.9, so the upper end is cut finer than equal widths would.
RELIABILITY_EDGES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 1.0)


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    n: int
    mean_confidence: float | None
    correct: Proportion


def reliability_bins(confidence: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray,
                     edges: Sequence[float] = RELIABILITY_EDGES) -> list[ReliabilityBin]:
    """Top-class confidence against the share correct, per bin (lower edge exclusive except
    the first)."""
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=bool)
    bins = []
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        mask = (conf >= lo) & (conf <= hi) if i == 0 else (conf > lo) & (conf <= hi)
        n = int(mask.sum())
        bins.append(ReliabilityBin(float(lo), float(hi), n,
                                   float(conf[mask].mean()) if n else None,
                                   Proportion(int(ok[mask].sum()), n)))
    return bins


def expected_calibration_error(bins: Sequence[ReliabilityBin]) -> float | None:
    """Sum over bins of (share of readings) x |share correct - mean confidence|."""
    total = sum(b.n for b in bins)
    if total == 0:
        return None
    return float(sum(b.n / total * abs((b.correct.estimate or 0.0) - (b.mean_confidence or 0.0))
                     for b in bins if b.n))


def mean_with_interval(values: Sequence[float] | np.ndarray) -> tuple[float, float, float] | None:
    """Mean and its normal 95% interval (None for fewer than 2 values)."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return None
    mean = float(x.mean())
    half = Z95 * float(x.std(ddof=1)) / math.sqrt(x.size)
    return mean, mean - half, mean + half
