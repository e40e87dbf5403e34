"""Calibration and abstention, fitted on the calibration split (carved from train, never trained on).

- bias-corrected temperature scaling: the T and per-class offsets b (logits / T + b) that
  minimise the negative log-likelihood of the calib labels. The offsets correct a prior shift
  (classes the network under-calls) without touching the ranking within a class;
- ``uncertain_below``: the lowest top-probability threshold at which the accepted calib cases
  are at least ``target_accuracy`` correct (fewest referrals);
- out-of-distribution: class means and a shrunk shared covariance of the pooled features of the
  training images (Mahalanobis), and thresholds for it and for the outlier head at a high
  quantile of the calib split, with a safety margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxr_desktop.core.inference import softmax  # the app's own: calibration fitted as it is applied


def nll(logits: np.ndarray, labels: np.ndarray, t: float, bias: np.ndarray | None = None) -> float:
    p = softmax(logits, t, bias)
    return float(-np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, None)).mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    grid = np.exp(np.linspace(np.log(0.05), np.log(10), 400))
    losses = [nll(logits, labels, t) for t in grid]
    best = int(np.argmin(losses))
    lo, hi = grid[max(0, best - 1)], grid[min(len(grid) - 1, best + 1)]
    fine = np.linspace(lo, hi, 200)
    return float(fine[int(np.argmin([nll(logits, labels, t) for t in fine]))])


def fit_temperature_and_bias(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """(T, b) minimising NLL(softmax(logits / T + b)); b sums to 0 (softmax ignores a shared
    offset). Starts from the temperature-only fit and keeps it unless the offsets lower the NLL."""
    import torch

    t0 = fit_temperature(logits, labels)
    z = torch.tensor(logits, dtype=torch.float64)
    y = torch.tensor(labels, dtype=torch.int64)
    log_t = torch.tensor(np.log(t0), dtype=torch.float64, requires_grad=True)
    raw_b = torch.zeros(logits.shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t, raw_b], max_iter=200, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        opt.zero_grad()
        value = torch.nn.functional.cross_entropy(z / log_t.exp() + (raw_b - raw_b.mean()), y)
        value.backward()
        return value

    opt.step(loss)
    t, b = float(log_t.detach().exp()), (raw_b - raw_b.mean()).detach().numpy()
    in_range = 0.05 <= t <= 20 and np.abs(b).max() <= 20  # inside the model card's allowed ranges
    if not (np.isfinite(t) and np.isfinite(b).all() and in_range) or nll(logits, labels, t, b) > nll(logits, labels, t0):
        return t0, np.zeros(logits.shape[1])
    return t, b


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of the top-class confidence (equal-width bins)."""
    conf, pred = probs.max(1), probs.argmax(1)
    correct = pred == labels
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(total)


def choose_uncertain_threshold(probs: np.ndarray, labels: np.ndarray, target_accuracy: float) -> float:
    """Lowest t such that cases with top probability >= t are >= target_accuracy correct."""
    conf, correct = probs.max(1), probs.argmax(1) == labels
    for t in np.unique(np.concatenate([[0.0], conf])):
        accepted = conf >= t
        if accepted.sum() == 0 or correct[accepted].mean() >= target_accuracy:
            return float(t)
    return 1.0


@dataclass
class Mahalanobis:
    means: np.ndarray  # (K, D)
    precision: np.ndarray  # (D, D)

    @property
    def precision_cholesky(self) -> np.ndarray:
        return np.linalg.cholesky(self.precision)

    def distance(self, feats: np.ndarray) -> np.ndarray:
        """min over classes of (f - mu_k)^T P (f - mu_k)."""
        proj = feats @ self.precision_cholesky
        means = self.means @ self.precision_cholesky
        return ((proj[:, None, :] - means[None]) ** 2).sum(-1).min(1)


def fit_mahalanobis(feats: np.ndarray, labels: np.ndarray, shrinkage: float = 0.05) -> Mahalanobis:
    k = int(labels.max()) + 1
    means = np.stack([feats[labels == c].mean(0) for c in range(k)]).astype(np.float64)
    centered = feats.astype(np.float64) - means[labels]
    cov = centered.T @ centered / len(feats)
    d = cov.shape[0]
    cov = (1 - shrinkage) * cov + shrinkage * np.trace(cov) / d * np.eye(d)
    return Mahalanobis(means, np.linalg.inv(cov))


def quantile_threshold(scores: np.ndarray, quantile: float, margin: float) -> float:
    return float(np.quantile(scores, quantile) * margin)
