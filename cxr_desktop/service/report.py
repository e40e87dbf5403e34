"""A one-page report per reading, for a referral: what goes on the page (Qt-free). The page is
drawn by ``ui/report_pdf.py``; everything it prints is assembled here, in the panel's own words
(``service.wording``), so the paper says what the screen said.

The QR code in the footer holds a compact summary without patient details: reading id, time,
finding, probabilities, the model version and a checksum (``qr_payload`` / ``parse_qr_payload``):

    CXR1;id=12;t=20260304T050607Z;f=COVID-19;p=COVID-19:0.700,Normal:0.200,Viral_Pneumonia:0.100;
    u=0;o=0;m=1.2.3;c=3f2a9b1c

``c`` is the first 8 hex digits of the SHA-256 of everything before ``;c=``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

from cxr_desktop import APP_NAME, __version__
from cxr_desktop.core.labels import display_label
from cxr_desktop.core.patient import shown_name
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import N_, _, format_datetime, format_percent
from cxr_desktop.service.clinic import ClinicInfo
from cxr_desktop.service.dicom_words import patient_rows, study_rows
from cxr_desktop.service.wording import DISCLAIMER, Banner, ResultSummary, describe

QR_PREFIX = "CXR1"
SIGNATURE_LINE = "_" * 28
NOT_RECORDED = N_("not recorded")


@dataclass(frozen=True)
class ReportPage:
    """Everything printed on one reading's page, as text (and the two images)."""

    reading_id: int
    title: str
    clinic_name: str
    clinic_address: str
    patient: list[tuple[str, str]]
    study: list[tuple[str, str]]
    banner: Banner
    banner_text: str
    finding: str
    probabilities: list[tuple[str, str, float]]  # name, percent text, value
    flags: list[tuple[str, str]]  # flag, "Yes: reason" / "No"
    cautions: list[str]
    review: list[tuple[str, str]]
    model: list[tuple[str, str]]
    disclaimer: str
    footer: str
    qr_payload: str
    preview_png: bytes | None = None
    heatmap_png: bytes | None = None
    image_captions: tuple[str, str] = ("", "")
    top_label: str = ""  # the display name of the top class (its bar is highlighted)

    def texts(self) -> list[str]:
        """Every text on the page, in reading order (what a test finds in the PDF)."""
        rows = [*self.patient, *self.study, *self.flags, *self.review, *self.model]
        out = [self.title, self.clinic_name, self.clinic_address, *self.image_captions,
               self.banner_text, self.finding]
        out += [t for name, percent, _v in self.probabilities for t in (name, percent)]
        out += [t for row in rows for t in row] + self.cautions + [self.disclaimer, self.footer]
        return [t for t in out if t]


def compact_time(iso: str) -> str:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _checksum(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:8]


def qr_payload(reading: Reading) -> str:
    """The footer's QR text for a reading (no patient details)."""
    probs = ",".join(f"{label}:{p:.3f}" for label, p in reading.probabilities.items())
    body = (f"{QR_PREFIX};id={reading.id};t={compact_time(reading.created_utc)};"
            f"f={reading.label};p={probs};u={int(reading.uncertain)};"
            f"o={int(reading.out_of_distribution)};m={reading.model_version}")
    return f"{body};c={_checksum(body)}"


def parse_qr_payload(text: str) -> dict[str, str]:
    """The fields of a QR payload; ValueError when it is not one or its checksum is wrong."""
    body, sep, check = text.rpartition(";c=")
    if not sep or not body.startswith(QR_PREFIX + ";") or _checksum(body) != check:
        raise ValueError("not a CXR Desktop report code, or a damaged one")
    return dict(part.split("=", 1) for part in body.split(";")[1:])


def _local(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return format_datetime(iso, "medium")
    except ValueError:
        return iso


def _flags(reading: Reading, words_finding: str) -> list[tuple[str, str]]:
    if reading.out_of_distribution:
        reason = reading.ood_reason or _("The image does not look like a frontal chest X-ray.")
        not_xray = _("Yes: {reason}").format(reason=reason)
    else:
        not_xray = _("No")
    referred = reading.uncertain and not reading.out_of_distribution  # as the panel shows it
    refer = _("Yes: {reason}").format(reason=words_finding) if referred else _("No")
    return [(_("Uncertain \u2014 refer to a radiologist"), refer),
            (_("Not a chest X-ray"), not_xray)]


def record_reports(store: object, readings: list[Reading], how: str) -> None:
    """Issue 15's audit trail: each report made (``how``: "PDF", "printed") is a ``report``
    event of its reading. A report needs only the right to read the reading (checked when it was
    fetched): it is that patient's paper for a referral, which the health worker who refers
    makes; a supervisor finds every one in the audit trail."""
    from cxr_desktop.service.accounts import READ
    from cxr_desktop.service.guard import authorize

    for reading in readings:
        authorize(store, READ, "report", f"report ({how})", reading.id, reading.uid)


def build_report(reading: Reading, clinic: ClinicInfo, printed: datetime | None = None) -> ReportPage:
    """The page for one stored reading (it must have an id)."""
    if reading.id is None:
        raise ValueError("only a stored reading has a report")
    summary = ResultSummary.from_reading(reading)
    words = describe(summary)
    patient = [(_("Patient ID"), reading.patient_id or ""),
               (_("Name"), shown_name(reading.patient_name))]
    patient = [row for row in patient if row[1]] + patient_rows(reading.dicom)
    if not patient:
        patient = [(_("Patient ID"), _(NOT_RECORDED))]
    study = [(_("Read on"), _local(reading.created_utc))] + study_rows(reading.dicom)
    probabilities = [] if reading.out_of_distribution else [
        (display_label(label), format_percent(p, 1), float(p))
        for label, p in reading.probabilities.items()]
    review = [(_("Confirmed finding"), display_label(reading.confirmed_label) or _(NOT_RECORDED)),
              (_("Clinician note"), reading.note or "\u2014"),
              (_("Reviewed"), _local(reading.reviewed_utc) or _(NOT_RECORDED)),
              (_("Reviewer (name and signature)"), SIGNATURE_LINE)]
    model = [(_("AI model"), f"{reading.model_name} {reading.model_version}"),
             (_("Model SHA-256"), reading.model_sha256)]
    printed_at = format_datetime(printed or datetime.now(timezone.utc), "medium")
    if reading.id < 0:  # issue 15: kept on this PC while the clinic database is down
        footer = _("Reading kept on this PC (not yet in the clinic database) \u00b7 printed "
                   "{time} by {app} {version}").format(time=printed_at, app=APP_NAME,
                                                       version=__version__)
    else:
        footer = _("Reading #{id} \u00b7 printed {time} by {app} {version}").format(
            id=reading.id, time=printed_at, app=APP_NAME, version=__version__)
    with_heat = summary.shows_heatmap and reading.heatmap_png is not None
    captions = (_("X-ray"), _("X-ray with the AI heatmap") if with_heat
                else _("No heatmap: no finding to explain"))
    return ReportPage(
        reading_id=reading.id, title=_("Chest X-ray: AI second opinion"),
        clinic_name=clinic.name, clinic_address=clinic.address, patient=patient, study=study,
        banner=words.banner, banner_text=words.banner_text, finding=words.finding,
        probabilities=probabilities, flags=_flags(reading, words.finding),
        cautions=list(words.cautions), review=review, model=model, disclaimer=_(DISCLAIMER),
        footer=footer, qr_payload=qr_payload(reading), preview_png=reading.preview_png,
        heatmap_png=reading.heatmap_png if with_heat else None, image_captions=captions,
        top_label=display_label(summary.label),
    )
