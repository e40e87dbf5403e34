"""Site calibration through the clinic server's queue (issue 12 on issue 15), against a real
server that the tests stop and start: the profile in use is the server's, kept on this PC for
outages, used offline and said to be; signing off and rolling back need the server; a PC that
never reached it does not guess."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from cxr_desktop.core.errors import DatabaseUnreachableError, StorageError
from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.service.site_calibration import SiteCalibration, load_state
from cxr_desktop.service.sync import QueueingHistory
from tests.core.storage.contract_site_profiles import make_profile
from tests.core.storage.helpers import make_reading

SHA = "cd" * 32  # make_profile's model


def queueing(url: str, folder: Path, server=None) -> QueueingHistory:
    return QueueingHistory(server or PostgresHistory(url, connect_now=False),
                           SqliteHistory(folder / "outbox.sqlite3"),
                           state_path=folder / "outbox-state.json",
                           site_profile_path=folder / "outbox-site-profile.json")


@pytest.fixture
def clinic(server_up, tmp_path: Path):
    url = server_up.new_history_url()
    history = queueing(url, tmp_path)
    yield server_up, url, history
    history.close()


def test_offline_the_profile_last_known_from_the_server_is_used_and_said_to_be(
        clinic, tmp_path: Path) -> None:
    server, url, history = clinic
    assert history.known_site_profile().profile is None and history.known_site_profile().live
    cache = tmp_path / "outbox-site-profile.json"
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    with PostgresHistory(url) as other_pc:  # a supervisor signs one off on another PC
        signed = other_pc.add_site_profile(make_profile(signed_by="Dr. Ama"))
    assert load_state(history, SHA).in_use == signed  # the server's answer, now
    assert load_state(history, SHA).last_known_utc is None
    server.stop()
    offline = load_state(history, SHA)
    assert offline.in_use == signed and offline.last_known_utc is not None
    assert offline.message().startswith("Working offline: new readings use site calibration "
                                        f"#{signed.id}, signed off by Dr. Ama, as it was last known")
    assert SiteCalibration.from_store(history, SHA).state() == offline  # what readings use
    # a reading made now records it, is kept on this PC and sent with it when the server is back
    queued = history.add(make_reading(site_profile_id=signed.id,
                                      model_probabilities={"COVID-19": 0.5, "Normal": 0.5}))
    assert queued < 0
    server.start()
    assert history.flush() == 1
    with PostgresHistory(url) as direct:
        (sent,) = direct.search()
        assert sent.site_profile_id == signed.id
        assert sent.model_probabilities == {"COVID-19": 0.5, "Normal": 0.5}


def test_the_answer_kept_on_this_pc_outlives_a_restart_but_not_a_change_of_server(
        server_up, tmp_path: Path) -> None:
    url = server_up.new_history_url()
    with PostgresHistory(url) as pc:
        signed = pc.add_site_profile(make_profile())
    with queueing(url, tmp_path) as first_run:
        assert first_run.active_site_profile() == signed
    server_up.stop()
    try:
        with queueing(url, tmp_path) as restarted_offline:
            known = restarted_offline.known_site_profile()
            assert known.profile == signed and not known.live
            assert restarted_offline.last_known_site_profile() == known
        from tests.pg_server import free_port

        elsewhere = url.replace(f":{server_up.port}/", f":{free_port()}/")
        with queueing(elsewhere, tmp_path) as other_server, pytest.raises(DatabaseUnreachableError):
            other_server.known_site_profile()  # kept for another server: not used
    finally:
        server_up.start()


def test_a_pc_that_never_reached_the_server_does_not_guess(server_up, tmp_path: Path) -> None:
    url = server_up.new_history_url()
    server_up.stop()
    try:
        with queueing(url, tmp_path) as history:
            with pytest.raises(DatabaseUnreachableError) as info:
                load_state(history, SHA)
            assert "has not yet learned from it which site calibration" in info.value.message
            assert history.last_known_site_profile() is None
            assert history.add(make_reading()) < 0  # the queue itself still works
    finally:
        server_up.start()


def test_signing_off_and_rolling_back_need_the_server(clinic) -> None:
    server, url, history = clinic
    active = history.add_site_profile(make_profile(signed_by="A"))
    assert history.known_site_profile().profile == active
    server.stop()
    with pytest.raises(DatabaseUnreachableError, match="cannot be signed off now"):
        history.add_site_profile(make_profile(signed_by="B"))
    with pytest.raises(DatabaseUnreachableError, match="cannot be rolled back now"):
        history.roll_back_site_profile(active.id, by="A")
    with pytest.raises(DatabaseUnreachableError, match="cannot be listed now"):
        history.site_profiles()
    server.start()
    history.flush()
    with PostgresHistory(url) as direct:  # nothing was queued or done meanwhile
        assert direct.site_profiles() == [active]
    with pytest.raises(StorageError, match="not in use"):  # the server's own refusals pass on
        history.roll_back_site_profile(active.id + 1, by="A")


class LosesTheAnswer:
    """The server, whose answer to "which profile is active" is lost once a rollback is done."""

    def __init__(self, inner) -> None:
        self.inner, self.rolled_back = inner, False

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def roll_back_site_profile(self, profile_id, *, by):
        undone = self.inner.roll_back_site_profile(profile_id, by=by)
        self.rolled_back = True
        return undone

    def active_site_profile(self):
        if self.rolled_back:
            raise DatabaseUnreachableError("lost")
        return self.inner.active_site_profile()


def test_a_rolled_back_profile_is_never_used_offline(server_up, tmp_path: Path) -> None:
    url = server_up.new_history_url()
    server = LosesTheAnswer(PostgresHistory(url, connect_now=False))
    with queueing(url, tmp_path, server) as history:
        first = history.add_site_profile(make_profile(signed_by="A"))
        second = history.add_site_profile(make_profile(signed_by="B"))
        assert history.known_site_profile().profile == second
        undone = history.roll_back_site_profile(second.id, by="B")
        assert undone.rolled_back_by == "B"
        # the server did not say which one is active now: this PC knows nothing rather than
        # using the rolled-back one
        assert history.last_known_site_profile() is None
        assert not (tmp_path / "outbox-site-profile.json").exists()
        server.rolled_back = False
        history.flush()  # the next attempt (the sender's) asks again
        assert history.last_known_site_profile().profile == first
    data = json.loads((tmp_path / "outbox-site-profile.json").read_text())
    assert data["profile"]["id"] == first.id and data["location"].startswith("postgresql://")
    assert "admin-secret" not in json.dumps(data)
