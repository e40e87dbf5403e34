"""A QualityReport -> the data of its charts (reliability diagram, month-by-month trends)."""

from __future__ import annotations

from cxr_desktop.i18n import _, format_percent
from cxr_desktop.service.expected_band import MeanReference, Reference
from cxr_desktop.service.quality import QualityReport
from cxr_desktop.service.stats import Proportion
from cxr_desktop.ui.charts import ChartData, Point


def reliability_chart(report: QualityReport) -> ChartData:
    points = []
    for b in report.reliability:
        if not b.n:
            continue
        ci = b.correct.interval
        points.append(Point(
            _("{low} to {high}").format(low=format_percent(b.low, 0), high=format_percent(b.high, 0)),
            b.correct.estimate, ci[0] if ci else None, ci[1] if ci else None, b.n,
            b.mean_confidence))
    lows = [p.low for p in points if p.low is not None]
    return ChartData(
        title=_("Reliability: the AI's confidence against how often it was right"),
        points=tuple(points), y_label=_("Share correct"),
        y_min=min([0.5] + lows), y_max=1.0, diagonal=True,
        note=_("Dots: share confirmed right, with 95% interval. Green bars: the AI's mean "
               "confidence in that bin; a calibrated model puts the dot on its bar."))


def _rate_points(report: QualityReport, attribute: str) -> tuple[Point, ...]:
    points = []
    for month in report.months:
        share: Proportion = getattr(month, attribute)
        ci = share.interval
        points.append(Point(month.month, share.estimate, ci[0] if ci else None,
                            ci[1] if ci else None, share.n))
    return tuple(points)


def _rate_chart(title: str, points: tuple[Point, ...], ref: Reference | None) -> ChartData:
    if ref is None:
        note = _("The model card gives no expected figure for this.")
    elif ref.shifted is not None:
        note = _("Green: the expected band ({source}); dashed: the card's figure; dotted: the "
                 "card's worst figure under image-processing changes.").format(source=ref.source)
    else:
        note = _("Green: the expected band ({source}); dashed: the card's figure.").format(
            source=ref.source)
    return ChartData(title=title, points=points, y_label=title,
                     band_top=None if ref is None else ref.upper,
                     reference=None if ref is None else ref.value,
                     shifted=None if ref is None else ref.shifted, y_min=0.0, note=note)


def trend_charts(report: QualityReport) -> list[ChartData]:
    band = report.band
    charts = [
        _rate_chart(_("Referred as uncertain, by month"), _rate_points(report, "referred"),
                    band.referral),
        _rate_chart(_("Not a chest X-ray, by month"), _rate_points(report, "not_cxr"),
                    band.not_cxr),
        _rate_chart(_("AI and clinician disagree, by month (confirmed readings)"),
                    _rate_points(report, "disagreement"), band.disagreement),
    ]
    ref: MeanReference | None = band.ood_score_mean
    points = tuple(Point(m.month, m.ood_score_mean, n=m.n) for m in report.months)
    charts.append(ChartData(
        title=_("Mean out-of-distribution score, by month"), points=points,
        y_label=_("Mean score"), band_top=None if ref is None else ref.upper,
        reference=None if ref is None else ref.mean, percent=False, y_min=0.0,
        note=(_("Above 1 an image is refused as not a chest X-ray.") if ref is not None else
              _("The model card gives no expected figure for this; above 1 an image is "
                "refused."))))
    return charts
