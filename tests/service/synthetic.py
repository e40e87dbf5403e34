"""Synthetic readings with a known truth, for fast tests of the quality statistics and the site
calibration (no model, no images)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from cxr_desktop.core.types import OOD_LABEL, Reading

LABELS = ("COVID-19", "Normal", "Viral_Pneumonia")
SHA = "5a" * 32


def site_readings(n: int, *, seed: int = 0, sharpen: float = 3.0, bias=(1.0, -0.5, 0.0),
                  sha: str = SHA, threshold: float = 0.97, start: datetime | None = None,
                  per_day: int = 25, confirmed: bool = True, ood_share: float = 0.0,
                  separation: float = 6.0) -> list[Reading]:
    """Readings whose true class follows softmax(z) while the model says
    softmax(sharpen * z + bias): an over-confident, biased model at this clinic, so a site
    calibration (temperature ~ sharpen, offsets ~ -bias / sharpen) is worth fitting. A larger
    ``separation`` makes the true classes easier to tell apart."""
    rng = np.random.default_rng(seed)
    if start is None:
        from tests.service.sites import month_start

        start = month_start()
    centres = separation * np.eye(3)
    out = []
    for i in range(n):
        cls = rng.choice(3, p=[0.2, 0.7, 0.1])
        z = centres[cls] + rng.normal(0, 1.0, 3)
        truth = rng.choice(3, p=np.exp(z) / np.exp(z).sum())
        logits = sharpen * z + np.asarray(bias)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        top = int(p.argmax())
        ood = bool(rng.random() < ood_share)
        created = start + timedelta(days=i // per_day, minutes=10 * (i % per_day))
        out.append(Reading(
            id=None, created_utc=created.isoformat(), source_path=f"/x/{seed}-{i}.png",
            file_sha256=f"{seed:04d}{i:060d}", file_format="PNG", width=224, height=224,
            probabilities=dict(zip(LABELS, map(float, p))),
            label=OOD_LABEL if ood else LABELS[top], uncertain=bool(p[top] < threshold),
            out_of_distribution=ood, ood_score=float(rng.uniform(0.1, 0.5)) + (1.0 if ood else 0),
            model_name="synthetic", model_version="1.0", model_sha256=sha,
            patient_id=f"P{seed}-{i}",
            confirmed_label=LABELS[truth] if confirmed else None,
            reviewed_utc=(created + timedelta(hours=1)).isoformat() if confirmed else None))
    return out
