"""The statistics of the quality view: Wilson intervals, the exact binomial tail, reliability
bins and the figures of a period (confusion matrix, sensitivity, PPV, 'Other' findings)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from cxr_desktop.core.labels import OTHER_LABEL
from cxr_desktop.core.types import OOD_LABEL
from cxr_desktop.service.expected_band import ExpectedBand
from cxr_desktop.service.quality import quality_report
from cxr_desktop.service.stats import (
    Proportion,
    binomial_critical_count,
    binomial_upper_tail,
    expected_calibration_error,
    reliability_bins,
    wilson,
)
from tests.service.synthetic import LABELS, site_readings


def test_wilson_matches_published_values() -> None:
    # Newcombe (1998), table I: 81/263 -> 0.2553-0.3662; 0/10 -> 0-0.2775; 10/10 -> 0.7225-1
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert wilson(0, 0) is None and Proportion(0, 0).estimate is None
    with pytest.raises(ValueError):
        wilson(5, 4)


def test_the_binomial_tail_is_exact() -> None:
    for n, p in ((20, 0.1), (300, 0.16), (57, 0.5)):
        for k in (0, 1, 3, n // 3, n):
            brute = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))
            assert binomial_upper_tail(k, n, p) == pytest.approx(brute, rel=1e-9, abs=1e-300)
    k = binomial_critical_count(300, 0.16, 0.001)
    assert binomial_upper_tail(k, 300, 0.16) <= 0.001 < binomial_upper_tail(k - 1, 300, 0.16)


def test_reliability_bins_and_ece() -> None:
    conf = [0.55, 0.55, 0.95, 0.96, 0.999, 0.999]
    right = [True, False, True, True, True, True]
    bins = reliability_bins(conf, right)
    assert sum(b.n for b in bins) == 6
    first = next(b for b in bins if b.low == 0.5)
    assert first.n == 2 and first.correct.k == 1 and first.mean_confidence == pytest.approx(0.55)
    # |0.5 - 0.55| * 2/6 + |1 - 0.955| * 2/6 + |1 - 0.999| * 2/6
    assert expected_calibration_error(bins) == pytest.approx((0.05 + 0.045 + 0.001) / 3)


def test_confusion_sensitivity_ppv_and_other_findings() -> None:
    base = site_readings(6, seed=3)
    r = [replace(x, label=lbl, confirmed_label=truth, uncertain=unc, out_of_distribution=ood)
         for x, (lbl, truth, unc, ood) in zip(base, [
             ("COVID-19", "COVID-19", False, False),
             ("COVID-19", OTHER_LABEL, False, False),  # e.g. tuberculosis: a false COVID-19
             ("Normal", "Normal", True, False),
             (OOD_LABEL, "COVID-19", False, True),  # refused: a missed COVID-19
             ("Normal", "COVID-19", False, False),
             ("Viral_Pneumonia", "Viral_Pneumonia", False, False)])]
    unreviewed = replace(base[0], confirmed_label=None, reviewed_utc=None, uncertain=False,
                         out_of_distribution=False, label="Normal")
    report = quality_report([*r, unreviewed], ExpectedBand("x"), LABELS)
    assert report.n == 7 and report.confirmed.k == 6 and report.reviewed.k == 6
    assert report.truth_rows[:4] == (*LABELS, OTHER_LABEL)
    assert report.ai_columns == (*LABELS, OOD_LABEL)
    covid = report.per_class[0]
    assert (covid.sensitivity.k, covid.sensitivity.n) == (1, 3)  # the refused one is missed
    assert (covid.ppv.k, covid.ppv.n) == (1, 2)  # the 'Other' one is a false positive
    assert report.other_confirmed == 1
    assert (report.agreement.k, report.agreement.n) == (3, 6)
    # accepted = given a class and not uncertain: COVID, Other, Normal->COVID, VP
    assert (report.accepted_correct.k, report.accepted_correct.n) == (2, 4)
    assert report.not_cxr.k == 1 and report.referred.k == 1 and report.referred.n == 6
    assert sum(sum(row) for row in report.confusion) == 6
    assert sum(b.n for b in report.reliability) == 5  # confirmed and given a class


def test_months_split_the_period() -> None:
    start = datetime(2026, 3, 1, 8, tzinfo=timezone.utc)
    readings = site_readings(60, seed=1, per_day=1, start=start)  # 1 March to 29 April
    report = quality_report(readings, ExpectedBand("x"), LABELS)
    assert [m.month for m in report.months] == ["2026-03", "2026-04"]
    assert sum(m.n for m in report.months) == 60
