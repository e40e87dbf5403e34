"""PredictionPanel and PatientPanel on their own."""

from __future__ import annotations

import numpy as np
import pytest

from cxr_desktop.core.patient import person_name
from cxr_desktop.core.types import ImageMetadata, Prediction, Reading
from cxr_desktop.ui.patient_panel import PatientPanel
from cxr_desktop.ui.prediction_panel import PredictionPanel, ResultView


def prediction(probs, uncertain=False, ood=False) -> Prediction:
    labels = ("COVID-19", "Normal", "Viral_Pneumonia")
    top = int(np.argmax(probs))
    return Prediction(labels, tuple(probs), labels[top], probs[top], uncertain, ood, 0.5, None,
                      "m", "1.2.3", "0" * 64, {"total": 12.0})


def reading(**kw) -> Reading:
    base = dict(id=7, created_utc="2026-01-02T03:04:05+00:00", source_path=None, file_sha256=None,
                file_format="PNG", width=10, height=10, probabilities={"COVID-19": 0.1, "Normal": 0.9},
                label="Normal", uncertain=False, out_of_distribution=False, ood_score=0.1,
                model_name="m", model_version="1", model_sha256="0" * 64)
    base.update(kw)
    return Reading(**base)


@pytest.fixture
def panel(qtbot):
    p = PredictionPanel()
    qtbot.addWidget(p)
    p.show()
    return p


def test_confident_result(panel):
    panel.show_result(ResultView.from_prediction(prediction([0.05, 0.15, 0.80])))
    text = panel.text()
    assert "Pattern consistent with Viral Pneumonia (80%)" in text
    assert "Model: m 1.2.3" in text and "12 ms" in text
    assert panel.bar_percentages() == {"COVID-19": 5.0, "Normal": 15.0, "Viral_Pneumonia": 80.0}
    assert panel.review_button.isEnabled()
    assert "not a diagnosis" in panel.disclaimer.text()


def test_normal_is_worded_carefully(panel):
    panel.show_result(ResultView.from_prediction(prediction([0.05, 0.9, 0.05])))
    assert "No pattern of COVID-19 or viral pneumonia found" in panel.text()


def test_uncertain_result(panel):
    panel.show_result(ResultView.from_prediction(prediction([0.4, 0.35, 0.25], uncertain=True)))
    assert "Uncertain \u2014 refer to a radiologist." in panel.text()
    assert "Closest pattern: COVID-19" in panel.text()
    assert len(panel.bar_widgets) == 3


def test_a_near_certain_result_never_reads_100_percent(panel):
    panel.show_result(ResultView.from_prediction(prediction([0.9997, 0.0002, 0.0001])))
    assert "(>99%)" in panel.text() and "100" not in panel.text()
    assert panel.bar_widgets["COVID-19"].format() == ">99.9%"
    assert panel.bar_widgets["Viral_Pneumonia"].format() == "<0.1%"


def test_out_of_distribution_gives_no_class(panel):
    panel.show_result(ResultView.from_prediction(prediction([0.9, 0.05, 0.05], ood=True)))
    assert "does not look like a frontal chest X\u2011ray" in panel.text()
    assert "COVID" not in panel.text()
    assert panel.bar_widgets == {}


def test_out_of_distribution_says_why_when_the_header_told(panel):
    from dataclasses import replace

    p = replace(prediction([0.9, 0.05, 0.05], ood=True),
                ood_reason="The file says it is an MRI scan (DICOM modality MR).")
    panel.show_result(ResultView.from_prediction(p))
    assert "The file says it is an MRI scan (DICOM modality MR). No result is given." in panel.text()
    assert panel.bar_widgets == {}


def test_model_missing_and_busy(panel):
    panel.show_model_missing("The AI model is missing.")
    assert "not available" in panel.text() and "missing" in panel.text()
    assert not panel.review_button.isEnabled()
    panel.show_busy()
    assert "Analysing" in panel.text()


def test_stored_reading_and_unsaved(panel):
    panel.show_result(ResultView.from_reading(reading()), "Saved reading #7", saved=False)
    assert "Saved reading #7" in panel.text()
    assert not panel.review_button.isEnabled()


def test_cautions_are_shown_with_the_result(panel):
    from dataclasses import replace

    p = replace(prediction([0.05, 0.15, 0.80]), cautions=("The patient is a child.",))
    panel.show_result(ResultView.from_prediction(p))
    assert "The patient is a child." in panel.text() and panel.cautions.isVisible()
    panel.show_result(ResultView.from_prediction(prediction([0.05, 0.15, 0.80])))
    assert not panel.cautions.isVisible()


@pytest.fixture
def patient(qtbot):
    p = PatientPanel()
    qtbot.addWidget(p)
    return p


META = ImageMetadata("PNG", 10, 10, 8, "L")


def test_person_name():
    assert person_name("Doe^Jane") == "Doe, Jane"
    assert person_name("Doe^Jane^Ann^Dr") == "Doe, Jane Ann"
    assert person_name("Plain Name") == "Plain Name"
    assert person_name(None) == ""


def test_dicom_tags_fill_the_fields(patient):
    patient.image_loaded(ImageMetadata("DICOM", 10, 10, 12, "MONOCHROME2", patient_id="P1",
                                       patient_name="Roe^Rick"))
    assert patient.values() == ("P1", "Roe, Rick")
    assert "DICOM" in patient.hint.text()


def test_typed_details_are_kept_for_the_next_image(patient):
    patient.id_edit.setText("TYPED")
    patient.image_loaded(META)
    assert patient.values() == ("TYPED", "")


def test_previous_patient_is_not_carried_over(patient):
    patient.bind(reading(patient_id="OLD", patient_name="Old, Person"))
    assert not patient.save_button.isEnabled()
    patient.image_loaded(META)
    assert patient.values() == ("", "")


def test_edit_after_saving_asks_to_save(patient, qtbot):
    patient.bind(reading(patient_id="OLD"))
    patient.name_edit.setText("New Name")
    assert patient.dirty and patient.save_button.isEnabled()
    with qtbot.waitSignal(patient.saveRequested) as blocker:
        patient.save_button.click()
    assert blocker.args == ["OLD", "New Name"]
    patient.clear()
    assert patient.values() == ("", "") and patient.bound_reading_id is None
