"""Bias-corrected temperature scaling (training/calibrate.py) on data with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from training import calibrate


def _sample(n: int, t: float, bias: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits and labels drawn from softmax(logits / t + bias): the true calibration."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, (n, len(bias)))
    probs = calibrate.softmax(logits, t, bias)
    labels = np.array([rng.choice(len(bias), p=p) for p in probs])
    return logits, labels


def test_recovers_a_known_temperature_and_class_offsets():
    true_bias = np.array([0.8, -0.3, -0.5])
    logits, labels = _sample(20_000, 1.7, true_bias)
    t, bias = calibrate.fit_temperature_and_bias(logits, labels)
    assert t == pytest.approx(1.7, rel=0.05)
    assert bias.sum() == pytest.approx(0.0, abs=1e-9)
    assert np.allclose(bias, true_bias - true_bias.mean(), atol=0.08)
    assert calibrate.nll(logits, labels, t, bias) < calibrate.nll(logits, labels, calibrate.fit_temperature(logits, labels))


def test_no_offsets_when_none_are_needed():
    logits, labels = _sample(20_000, 0.6, np.zeros(3), seed=1)
    t, bias = calibrate.fit_temperature_and_bias(logits, labels)
    assert t == pytest.approx(0.6, rel=0.05)
    assert np.abs(bias).max() < 0.08
