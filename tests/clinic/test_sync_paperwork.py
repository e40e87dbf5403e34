"""Issue 11 through outages (service/sync_paperwork.py), against a real server that the test
stops and starts: the DICOM facts of a reading made offline travel with it; online, the search
for an image read before and the worklist cover every PC's readings on the server and this
PC's queue, each once; offline they cover the queue only, and say so (``covers_server``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.core.types import OOD_LABEL, DicomFacts
from cxr_desktop.service.sync import RETRY_S, QueueingHistory
from tests.core.storage.contract_paperwork import FACTS
from tests.core.storage.helpers import at, ids, make_reading


class Clock:
    """The queue's clock: ``later()`` is past the time it leaves a server alone after a failure."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def later(self) -> None:
        self.now += RETRY_S + 1


def clinic_pc(url: str, home: Path, clock: Clock | None = None) -> QueueingHistory:
    home.mkdir(parents=True, exist_ok=True)
    return QueueingHistory(PostgresHistory(url, connect_now=False),
                           SqliteHistory(home / "outbox.sqlite3"), clock=clock or Clock(),
                           state_path=home / "outbox-state.json")


@pytest.fixture
def clinic(server_up, tmp_path: Path):
    url = server_up.new_history_url()
    history = clinic_pc(url, tmp_path / "room")
    history.clock = history._clock  # the test's Clock
    yield server_up, url, history
    history.close()


def test_the_facts_of_a_reading_made_offline_travel_with_it(clinic) -> None:
    server, url, history = clinic
    server.stop()
    queued = history.add(make_reading(dicom=FACTS, file_sha256="aa" * 32))
    assert queued < 0 and history.get(queued).dicom == FACTS
    assert [r.dicom for r in history.search()] == [None]  # lists leave them out, as everywhere
    server.start()
    assert history.flush() == 1
    with PostgresHistory(url) as direct:
        (sent,) = direct.search()
        assert direct.get(sent.id).dicom == FACTS
        assert ids(direct.find_same_image(sop_instance_uid=FACTS.sop_instance_uid)) == [sent.id]
    assert history.get(queued).dicom == FACTS  # the queued id now leads to the server's copy


def test_online_the_server_and_the_queue_are_searched_each_reading_once(clinic) -> None:
    server, url, history = clinic
    on_server = history.add(make_reading(file_sha256="aa" * 32, uncertain=True, created_utc=at(1)))
    confirmed = history.add(make_reading(created_utc=at(1, 1)))
    history.update_review(confirmed, confirmed_label="Normal")
    server.stop()
    queued_old = history.add(make_reading(file_sha256="aa" * 32, created_utc=at(2)))
    queued_ood = history.add(make_reading(label=OOD_LABEL, out_of_distribution=True,
                                          created_utc=at(3), dicom=FACTS))
    queued_referred = history.add(make_reading(uncertain=True, created_utc=at(4)))
    server.start()
    history.clock.later()  # the server is tried again; the queue is not sent yet (no flush)
    newer_on_server = history.add(make_reading(file_sha256="bb" * 32, dicom=FACTS,
                                               created_utc=at(5)))
    assert newer_on_server > 0 and history.status().waiting == 3
    assert ids(history.find_same_image(file_sha256="aa" * 32)) == [queued_old, on_server]
    assert ids(history.find_same_image(sop_instance_uid=FACTS.sop_instance_uid)) == [
        newer_on_server, queued_ood]
    worklist = [on_server, queued_referred, queued_ood, queued_old, newer_on_server]
    assert ids(history.to_review()) == worklist and history.count_to_review() == 5
    assert ids(history.to_review(limit=2, offset=1)) == worklist[1:3]
    assert history.covers_server()
    assert all(r.thumbnail_png and r.preview_png is None for r in history.to_review())


def test_a_reading_sent_meanwhile_is_listed_once(clinic) -> None:
    server, url, history = clinic
    server.stop()
    queued = history.add(make_reading(uncertain=True, created_utc=at(2)))
    server.start()
    history.clock.later()
    reading = history.outbox.get(history.ids.local_id(queued))
    with PostgresHistory(url) as direct:  # on the server already, still in the queue here
        direct.add(dataclasses.replace(reading, id=None))
    (listed,) = history.to_review()
    assert listed.id > 0 and listed.uid == reading.uid
    assert ids(history.find_same_image(file_sha256=reading.file_sha256)) == [listed.id]


def test_offline_only_the_queue_is_covered_and_that_is_said(clinic) -> None:
    server, url, history = clinic
    history.add(make_reading(file_sha256="aa" * 32, uncertain=True, created_utc=at(1)))
    server.stop()
    assert history.to_review() == [] and history.count_to_review() == 0
    assert not history.covers_server()
    queued = history.add(make_reading(file_sha256="aa" * 32, uncertain=True, created_utc=at(2)))
    partial = history.add(make_reading(dicom=DicomFacts(sop_instance_uid="9.9"), created_utc=at(3)))
    assert ids(history.to_review()) == [queued, partial] and history.count_to_review() == 2
    assert ids(history.find_same_image(file_sha256="aa" * 32)) == [queued]  # not the server's
    assert ids(history.find_same_image(sop_instance_uid="9.9")) == [partial]
    assert not history.covers_server()
    history.update_review(partial, confirmed_label="Normal")  # reviewed while offline
    assert ids(history.to_review()) == [queued]
    server.start()
    assert history.flush() == 2
    assert len(history.to_review()) == 2 and history.count_to_review() == 2
    assert history.covers_server()


def test_an_image_read_on_another_pc_is_found_on_the_shared_server(server_up, tmp_path: Path) -> None:
    url = server_up.new_history_url()
    room, office = clinic_pc(url, tmp_path / "room"), clinic_pc(url, tmp_path / "office")
    try:
        read = room.add(make_reading(file_sha256="cc" * 32, dicom=FACTS))
        again = dataclasses.replace(FACTS, series_instance_uid="1.2.3.4.9")  # the same image,
        assert ids(office.find_same_image(file_sha256="cc" * 32)) == [read]  # re-exported
        assert ids(office.find_same_image(file_sha256="dd" * 32,
                                          sop_instance_uid=again.sop_instance_uid)) == [read]
        assert office.get(read).dicom == FACTS
        assert ids(office.to_review()) == [read] and office.count_to_review() == 1
    finally:
        room.close()
        office.close()
