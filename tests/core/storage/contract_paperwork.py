"""Issue 11's part of the HistoryStore contract: DICOM facts kept with a reading, finding an
image read before, the worklist. Imported by every backend's contract test module; names no
database engine."""

from __future__ import annotations

import dataclasses

from cxr_desktop.core.storage import HistoryStore
from cxr_desktop.core.types import OOD_LABEL, DicomFacts
from tests.core.storage.helpers import at, ids, make_reading

FACTS = DicomFacts(
    patient_age="034Y", patient_sex="F", patient_birth_date="19920101", study_date="20260301",
    study_instance_uid="1.2.3.4", series_instance_uid="1.2.3.4.5", sop_instance_uid="1.2.3.4.5.6",
    institution="Clinic \u00c9toile", equipment_manufacturer="ACME", equipment_model="DX-1",
    view_position="PA",
)


def test_dicom_facts_are_kept_and_returned_by_get(store: HistoryStore) -> None:
    original = make_reading(dicom=FACTS)
    new_id = store.add(original)
    assert store.get(new_id) == dataclasses.replace(original, id=new_id)
    partial = make_reading(dicom=DicomFacts(patient_sex="M"))
    assert store.get(store.add(partial)).dicom == DicomFacts(patient_sex="M")
    assert store.get(store.add(make_reading())).dicom is None


def test_listing_leaves_the_facts_out_like_the_large_images(store: HistoryStore) -> None:
    store.add(make_reading(dicom=FACTS))
    assert [r.dicom for r in store.search()] == [None]
    assert [r.dicom for r in store.iter_readings()] == [None]


def test_review_and_patient_changes_keep_the_facts(store: HistoryStore) -> None:
    new_id = store.add(make_reading(dicom=FACTS))
    assert store.update_review(new_id, note="seen", confirmed_label="Normal").dicom == FACTS
    assert store.update_patient(new_id, patient_id="X", patient_name=None).dicom == FACTS


def test_deleting_a_reading_deletes_its_facts(store: HistoryStore) -> None:
    new_id = store.add(make_reading(dicom=FACTS))
    assert store.delete(new_id)
    assert store.find_same_image(sop_instance_uid=FACTS.sop_instance_uid) == []


def test_find_same_image_by_file_or_by_sop_instance_uid(store: HistoryStore) -> None:
    a = store.add(make_reading(file_sha256="aa" * 32, created_utc=at(1)))
    b = store.add(make_reading(file_sha256="bb" * 32, dicom=FACTS, created_utc=at(2)))
    c = store.add(make_reading(file_sha256="cc" * 32, dicom=FACTS, created_utc=at(3)))  # re-export
    store.add(make_reading(file_sha256="dd" * 32))
    assert ids(store.find_same_image(file_sha256="aa" * 32)) == [a]
    assert ids(store.find_same_image(sop_instance_uid=FACTS.sop_instance_uid)) == [c, b]
    both = store.find_same_image(file_sha256="aa" * 32, sop_instance_uid=FACTS.sop_instance_uid)
    assert ids(both) == [c, b, a]  # newest first
    assert store.find_same_image() == [] and store.find_same_image(file_sha256="ee" * 32) == []
    assert all(r.preview_png is None and r.thumbnail_png for r in both)


def test_to_review_lists_unconfirmed_referred_first_then_oldest(store: HistoryStore) -> None:
    normal_old = store.add(make_reading(label="Normal", created_utc=at(1)))
    uncertain_new = store.add(make_reading(uncertain=True, created_utc=at(5)))
    ood = store.add(make_reading(label=OOD_LABEL, out_of_distribution=True, created_utc=at(2)))
    uncertain_old = store.add(make_reading(uncertain=True, created_utc=at(3)))
    confirmed = store.add(make_reading(uncertain=True, created_utc=at(1, 1)))
    store.update_review(confirmed, confirmed_label="COVID-19")
    noted_only = store.add(make_reading(created_utc=at(4)))
    store.update_review(noted_only, note="look again tomorrow")  # a note is not a confirmation
    expected = [uncertain_old, uncertain_new, ood, normal_old, noted_only]
    assert ids(store.to_review()) == expected
    assert store.count_to_review() == 5
    assert ids(store.to_review(limit=2, offset=1)) == expected[1:3]
    store.update_review(uncertain_old, confirmed_label="Normal")
    assert ids(store.to_review())[0] == uncertain_new and store.count_to_review() == 4
    assert all(r.thumbnail_png and r.preview_png is None for r in store.to_review())
