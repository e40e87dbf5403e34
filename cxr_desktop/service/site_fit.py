"""Fitting a site calibration on a clinic's confirmed readings: pure numpy, no history, no Qt.

Model: q = softmax(a * log p + c), a = 1 / temperature, c the class offsets (``core.site_profile``).
It is a multinomial logistic regression with one slope and K intercepts, so the negative log-
likelihood is convex; Newton's method with a backtracking line search finds its minimum in a few
steps. A ridge penalty ``RIDGE / 2 * ((a - 1)^2 + |c|^2)`` (worth about one reading) pulls towards
the model's own calibration and keeps the fit finite when a class is (nearly) separable; a class
with fewer than ``MIN_PER_CLASS`` confirmed readings keeps offset 0: its offset would be noise.

The "uncertain" threshold is chosen on out-of-fold probabilities (``choose_threshold``): the
lowest threshold at which the share of errors among accepted readings, as modelled by a logistic
curve of correctness against confidence, is at most 1 - target. Whether the whole procedure
then does better than the model card is judged by nested cross-validation (``nested_outcome``).
Readings confirmed as something outside the model's classes (``y = -1``: "Other", "Not a chest
X-ray") carry no likelihood (the model has no class to give them) but count as errors wherever
the model would have accepted them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RIDGE = 1.0
MIN_PER_CLASS = 25
TARGET_ACCEPTED_CORRECT = 0.995
FOLDS = 5
PROBABILITY_FLOOR = 1e-300
#: Thresholds shown in the table (the chosen one and the model card's are added).
TABLE_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)


@dataclass(frozen=True)
class Calibration:
    """a = 1 / temperature and one offset per class (0 for classes not fitted)."""

    slope: float
    offsets: np.ndarray
    fitted: tuple[bool, ...]

    @property
    def temperature(self) -> float:
        return 1.0 / self.slope


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def log_probabilities(p: np.ndarray) -> np.ndarray:
    return np.log(np.clip(np.asarray(p, dtype=np.float64), PROBABILITY_FLOOR, None))


def calibrate(p: np.ndarray, calibration: Calibration) -> np.ndarray:
    """The site's probabilities for model probabilities ``p`` (N, K)."""
    return _softmax(calibration.slope * log_probabilities(p) + calibration.offsets[None, :])


def fit_calibration(p: np.ndarray, y: np.ndarray, min_per_class: int = MIN_PER_CLASS,
                    ridge: float = RIDGE, max_steps: int = 60) -> Calibration:
    """Penalised maximum likelihood of (a, c) on readings with ``y >= 0``."""
    keep = y >= 0
    z, target = log_probabilities(p[keep]), y[keep].astype(int)
    n, k = z.shape
    fitted = tuple(bool((target == j).sum() >= min_per_class) for j in range(k))
    free = [j for j in range(k) if fitted[j]]
    onehot = np.eye(k)[target]
    design_c = np.zeros((k, len(free)))
    for col, j in enumerate(free):
        design_c[j, col] = 1.0

    def unpack(theta: np.ndarray) -> tuple[float, np.ndarray]:
        c = np.zeros(k)
        c[free] = theta[1:]
        return float(theta[0]), c

    def objective(theta: np.ndarray) -> float:
        a, c = unpack(theta)
        logits = a * z + c
        logits -= logits.max(axis=1, keepdims=True)
        log_s = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return float(-(log_s * onehot).sum() + ridge / 2 * ((a - 1) ** 2 + (theta[1:] ** 2).sum()))

    theta = np.zeros(1 + len(free))
    theta[0] = 1.0
    value = objective(theta)
    for _step in range(max_steps):
        a, c = unpack(theta)
        s = _softmax(a * z + c)
        r = s - onehot
        grad = np.concatenate([[(r * z).sum()], r.sum(axis=0)[free]])
        grad += ridge * (theta - np.concatenate([[1.0], np.zeros(len(free))]))
        x = np.concatenate([z[:, :, None], np.broadcast_to(design_c, (n, k, len(free)))], axis=2)
        weights = np.einsum("nk,kl->nkl", s, np.eye(k)) - np.einsum("nk,nl->nkl", s, s)
        hessian = np.einsum("nkp,nkl,nlq->pq", x, weights, x) + ridge * np.eye(len(theta))
        step = np.linalg.solve(hessian, grad)
        scale = 1.0
        while True:
            candidate = theta - scale * step
            candidate[0] = min(max(candidate[0], 0.05), 20.0)
            new_value = objective(candidate)
            if new_value <= value - 1e-4 * scale * float(grad @ step) or scale < 1e-8:
                break
            scale /= 2
        if new_value > value:  # no descent left: at the minimum (to rounding)
            break
        converged = value - new_value < 1e-10 * max(1.0, abs(value))
        theta, value = candidate, new_value
        if converged:
            break
    a, c = unpack(theta)
    return Calibration(a, c, fitted)


def fold_of(group: str, folds: int = FOLDS) -> int:
    """A stable fold for a group key (a patient, or an image): the same on every run, so a fit
    shown today is the fit applied tomorrow."""
    return int(hashlib.sha256(group.encode("utf-8")).hexdigest()[:8], 16) % folds


def out_of_fold(p: np.ndarray, y: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Each reading's site probabilities from a calibration fitted without its fold."""
    out = np.empty_like(p, dtype=np.float64)
    for f in np.unique(folds):
        test = folds == f
        out[test] = calibrate(p[test], fit_calibration(p[~test], y[~test]))
    return out


def correctness_model(q: np.ndarray, y: np.ndarray, ridge: float = 1e-2) -> tuple[float, float]:
    """Logistic regression of "the top class is right" on the log-odds of the top probability:
    (intercept, slope), by Newton's method with a small ridge (finite even with no errors)."""
    conf = np.clip(q.max(axis=1), 1e-9, 1 - 1e-12)
    right = (q.argmax(axis=1) == y).astype(np.float64)
    x = np.column_stack([np.ones_like(conf), np.log(conf / (1 - conf))])
    w = np.zeros(2)
    for _step in range(100):
        p = 1 / (1 + np.exp(-(x @ w)))
        grad = x.T @ (p - right) + ridge * w
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + ridge * np.eye(2)
        step = np.linalg.solve(hessian, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return float(w[0]), float(w[1])


def choose_threshold(q: np.ndarray, y: np.ndarray,
                     target: float = TARGET_ACCEPTED_CORRECT) -> float | None:
    """The lowest threshold on max(q) at which the modelled share of errors among the accepted
    readings is at most 1 - target; None when no threshold reaches the target.

    The errors are modelled (``correctness_model``) rather than counted: at a 0.5% error rate a
    few hundred accepted readings hold one or two errors, and a threshold set by counting them
    jumps with each one. The logistic curve uses every reading, so the threshold moves smoothly
    with the evidence. Its price is an assumption: that the log-odds of being right rise in a
    straight line with the log-odds of the confidence. Where they bend (errors that do not thin
    out at the top), the curve can promise too few errors at high confidence; the supervisor
    sees that in the cross-validated counts of the threshold table and of "after"."""
    intercept, slope = correctness_model(q, y)
    conf = np.clip(q.max(axis=1), 1e-9, 1 - 1e-12)
    error = 1 - 1 / (1 + np.exp(-(intercept + slope * np.log(conf / (1 - conf)))))
    order = np.argsort(-conf, kind="stable")
    c = conf[order]
    mean_error = np.cumsum(error[order]) / np.arange(1, len(c) + 1)
    ok = (mean_error <= 1 - target) & np.append(c[:-1] > c[1:], True)  # cut between values
    hits = np.flatnonzero(ok)
    return None if hits.size == 0 else float(c[hits.max()])


@dataclass(frozen=True)
class Outcome:
    """What a threshold does on a set of readings: counts for the Proportions."""

    n: int
    referred: int
    accepted: int
    accepted_correct: int
    correct: int
    nll: float | None


def outcome(q: np.ndarray, y: np.ndarray, threshold: float) -> Outcome:
    conf = q.max(axis=1)
    right = q.argmax(axis=1) == y
    accepted = conf >= threshold
    known = y >= 0
    nll = (float(-np.log(np.clip(q[known, y[known]], PROBABILITY_FLOOR, None)).mean())
           if known.any() else None)
    return Outcome(len(y), int((~accepted).sum()), int(accepted.sum()),
                   int((accepted & right).sum()), int(right.sum()), nll)


def nested_outcome(p: np.ndarray, y: np.ndarray, folds: np.ndarray,
                   target: float = TARGET_ACCEPTED_CORRECT) -> tuple[Outcome, np.ndarray]:
    """The whole procedure (fit, then choose the threshold on inner out-of-fold readings)
    judged on each outer fold it never saw; returns the pooled outcome and the outer
    out-of-fold probabilities."""
    q_all = np.empty_like(p, dtype=np.float64)
    accepted = np.zeros(len(y), dtype=bool)
    for f in np.unique(folds):
        test = folds == f
        train_p, train_y = p[~test], y[~test]
        inner = (folds[~test] + 1) % FOLDS  # the remaining folds, relabelled
        threshold = choose_threshold(out_of_fold(train_p, train_y, inner), train_y, target)
        q = calibrate(p[test], fit_calibration(train_p, train_y))
        q_all[test] = q
        accepted[test] = q.max(axis=1) >= (threshold if threshold is not None else np.inf)
    right = q_all.argmax(axis=1) == y
    known = y >= 0
    nll = (float(-np.log(np.clip(q_all[known, y[known]], PROBABILITY_FLOOR, None)).mean())
           if known.any() else None)
    return Outcome(len(y), int((~accepted).sum()), int(accepted.sum()),
                   int((accepted & right).sum()), int(right.sum()), nll), q_all


def table_thresholds(extra: Sequence[float]) -> list[float]:
    return sorted({round(float(t), 6) for t in (*TABLE_THRESHOLDS, *extra) if 0 < t < 1})
