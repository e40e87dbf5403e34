"""Torture tests of a damaged or lost history (issue 14), run by ``bench.durability``.

* **Damage**: a history of N readings (realistic incompressible blobs) with a backup of the first
  half; 4 KB of random bytes over a random page, then the app opens it. The oracle, computed on a
  copy before the app sees the file: the readings SQLite can still read one by one, plus those the
  backup holds. Counted: damage detected (at open, else by the full check), the damaged file set
  aside byte for byte and never written, *readings SQLite could keep that were lost* (must be 0),
  readings beyond recovery and whether the message gave their number, silently changed images
  (a page of image bytes overwritten: SQLite keeps no checksum, nothing can see it).
* **Journal deleted**: a writer process saves readings while this process (the app) saves too;
  the ``-wal`` and ``-shm`` files are deleted at a random moment; a third process tries to open
  and save soon after. Counted: confirmed readings lost, ids given twice, errors shown.
* **Main file lost**: a writer saves and dies (its journal left), the main file is then emptied
  or deleted. Counted: a new empty history made (must be never), readings kept through the
  journal and the last backup, readings lost that either held.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import REPO_ROOT

PAGE = 4096


def _reading(tag: str, n: int, rng: random.Random):
    from bench.durability import make_reading

    return make_reading(tag, n, rng)[0]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def readable(path: Path, ids: set[int]) -> set[int]:
    """Of ``ids``, the readings whose row SQLite can still read (one SELECT each)."""
    conn, found = _ro(path), set()
    for rid in ids:
        try:
            if conn.execute("SELECT * FROM readings WHERE id = ?", (rid,)).fetchone():
                found.add(rid)
        except sqlite3.DatabaseError:
            pass
    conn.close()
    return found


def _images(path: Path, ids: set[int]) -> dict[int, str | None]:
    conn, out = _ro(path), {}
    for rid in ids:
        try:
            row = conn.execute("SELECT thumbnail_png, preview_png, heatmap_png FROM reading_images"
                               " WHERE reading_id = ?", (rid,)).fetchone()
            out[rid] = hashlib.sha256(b"".join(b or b"" for b in row)).hexdigest() if row else None
        except sqlite3.DatabaseError:
            out[rid] = None
    conn.close()
    return out


# -- damage -----------------------------------------------------------------------------------


@dataclass
class DamageReport:
    trials: int = 0
    detected_at_open: int = 0
    detected_later: int = 0  # by the background full check
    undetectable: int = 0  # integrity_check itself found nothing (bytes inside an image)
    confirmed: int = 0
    lost_keepable: int = 0  # readings SQLite (or the backup) could still give that were lost
    beyond_recovery: int = 0
    message_counts_wrong: int = 0
    set_aside_changed: int = 0
    images_silently_changed: int = 0
    images_lost: int = 0  # readings kept whose images could not be read (or were changed)
    repair_seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def run_damage(trials: int, folder: Path, readings: int = 200, seed: int = 3) -> DamageReport:
    from cxr_desktop.core.storage.safeguards import DamagedHistoryError
    from cxr_desktop.core.storage.sqlite import SqliteHistory

    report, rng = DamageReport(), random.Random(seed)
    base = folder / "damage-base"
    base.mkdir()
    with SqliteHistory(base / "history.sqlite3") as h:
        ids = [h.add(_reading("d", i, rng)) for i in range(readings // 2)]
        h.backup()
        ids += [h.add(_reading("d", i, rng)) for i in range(readings // 2, readings)]
    confirmed = set(ids)
    good_images = _images(base / "history.sqlite3", confirmed)
    backed_up = set(ids[: readings // 2])
    pages = (base / "history.sqlite3").stat().st_size // PAGE
    for trial in range(trials):
        work = folder / f"damage-{trial}"
        shutil.copytree(base, work)
        db = work / "history.sqlite3"
        page = rng.randrange(1, pages + 1)
        with open(db, "r+b") as handle:  # nothing has it open
            handle.seek((page - 1) * PAGE)
            handle.write(rng.randbytes(PAGE))
        damaged_sha = _sha(db)
        keepable = readable(db, confirmed) | backed_up
        report.trials += 1
        report.confirmed += len(confirmed)
        started = time.perf_counter()
        try:
            with SqliteHistory(db) as h:
                at_open = h.notices()
                later = [] if at_open else h.verify()  # what the window runs in the background
                kept = {r.id for r in h.iter_readings()}
                h.add(_reading("after", trial, rng))
        except Exception as exc:  # noqa: BLE001 - counted, shown in the report
            report.failures.append(f"trial {trial} page {page}: {type(exc).__name__}: {exc}")
            continue
        notice = next((n for n in at_open + later if isinstance(n, DamagedHistoryError)), None)
        report.lost_keepable += len(keepable - kept)
        if notice is None:
            report.undetectable += 1
            changed = {rid for rid, digest in _images(db, confirmed).items()
                       if digest != good_images[rid]}
            report.images_silently_changed += len(changed)
            continue
        report.repair_seconds.append(time.perf_counter() - started)
        report.images_lost += sum(digest != good_images[rid]
                                  for rid, digest in _images(db, kept & confirmed).items())
        report.detected_at_open += notice in at_open
        report.detected_later += notice in later
        beyond = len(confirmed - kept)
        report.beyond_recovery += beyond
        if notice.lost != beyond:
            report.message_counts_wrong += 1
        if notice.set_aside is None or _sha(notice.set_aside) != damaged_sha:
            report.set_aside_changed += 1
        shutil.rmtree(work, ignore_errors=True)
    return report


# -- journal deleted while in use -------------------------------------------------------------


@dataclass
class JournalReport:
    rounds: int = 0
    confirmed: int = 0
    lost: int = 0
    ids_given_twice: int = 0
    late_opens_refused: int = 0
    late_saves: int = 0
    put_back: int = 0  # rounds where a process noticed and made a rescue copy
    errors: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)


def _child(args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OPENBLAS_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "bench.durability", *args], cwd=REPO_ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _save_loop(app, tag: str, rng: random.Random, stop: threading.Event, mine: dict[int, str],
               errors: list[str]) -> None:
    """The app saving a reading every 10 ms until ``stop``."""
    k = 0
    while not stop.is_set():
        reading = _reading(tag, k, rng)
        try:
            mine[app.add(reading)] = reading.patient_id or ""
        except Exception as exc:  # noqa: BLE001 - counted
            errors.append(f"app: {type(exc).__name__}: {exc}")
        k += 1
        time.sleep(0.01)


def run_journal(rounds: int, folder: Path, per_writer: int = 40, seed: int = 4) -> JournalReport:
    from bench.durability import _parse
    from cxr_desktop.core.storage.sqlite import SqliteHistory

    report, rng = JournalReport(), random.Random(seed)
    for n in range(rounds):
        db = folder / f"journal-{n}" / "history.sqlite3"
        app = SqliteHistory(db)
        mine: dict[int, str] = {}
        stop = threading.Event()
        saver = threading.Thread(target=_save_loop, args=(app, f"app{n}", random.Random(n), stop,
                                                           mine, report.errors))
        saver.start()
        writer = _child(["writer", str(db), f"w{n}", str(per_writer), str(seed)])
        time.sleep(rng.uniform(0.3, 1.2))
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        time.sleep(rng.uniform(0.0, 0.2))
        late = _child(["writer", str(db), f"late{n}", "3", str(seed)])
        outputs = [p.communicate(timeout=300) for p in (writer, late)]
        stop.set()
        saver.join()
        app.close()
        pairs = list(mine.items())  # (id, patient) of every confirmed save, by every process
        for (out, _err), proc in zip(outputs, (writer, late)):
            expected: dict[int, tuple[str, str]] = {}
            errors: list[str] = []
            _parse(out.splitlines(), expected, errors)
            pairs += [(rid, pid) for rid, (pid, _sha) in expected.items()]
            if proc is late:
                report.late_saves += len(expected)
                refused = [e for e in errors if "JournalVanishedError" in e]
                report.late_opens_refused += bool(refused)
                errors = [e for e in errors if e not in refused]
            report.errors += errors
        ids = [rid for rid, _pid in pairs]
        report.ids_given_twice += len(ids) - len(set(ids))
        conn = _ro(db)
        present = dict(conn.execute("SELECT id, patient_id FROM readings"))
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()
        if check != "ok":
            report.integrity.append(f"round {n}: {check}")
        report.confirmed += len(pairs)
        report.lost += sum(present.get(rid) != pid for rid, pid in pairs)
        report.put_back += any((db.parent / "backups").glob("history-*-rescued.sqlite3"))
        report.rounds += 1
    return report


# -- main file lost ---------------------------------------------------------------------------


@dataclass
class LostMainReport:
    rounds: int = 0
    confirmed: int = 0
    new_empty_made: int = 0  # while a journal or a backup was left: must never happen
    nothing_left: int = 0  # rounds where neither was (a new history is then right)
    kept: int = 0
    lost_keepable: int = 0
    beyond_recovery: int = 0
    failures: list[str] = field(default_factory=list)


def run_lost_main(rounds: int, folder: Path, seed: int = 5) -> LostMainReport:
    from bench.durability import _parse
    from cxr_desktop.core.storage import list_backups, restore_history
    from cxr_desktop.core.storage.safeguards import HistoryMissingError
    from cxr_desktop.core.storage.sqlite import SqliteHistory

    report, rng = LostMainReport(), random.Random(seed)
    for n in range(rounds):
        db = folder / f"lost-{n}" / "history.sqlite3"
        with SqliteHistory(db) as h:
            old = {h.add(_reading("old", i, rng)): "" for i in range(rng.randint(0, 30))}
            if old and rng.random() < 0.7:
                h.backup()
            backed = set(old) if any(True for _ in h.backups()) else set()
        writer = _child(["writer", str(db), f"k{n}", "0", str(seed)])
        time.sleep(rng.uniform(0.4, 1.0))
        writer.kill()  # its journal stays, not checkpointed
        out, _err = writer.communicate()
        expected: dict[int, tuple[str, str]] = {}
        _parse(out.splitlines(), expected, [])
        confirmed = set(old) | set(expected)
        wal = Path(f"{db}-wal")
        left = (wal.exists() and wal.stat().st_size > 0) or bool(list_backups(db.parent / "backups"))
        if rng.random() < 0.5:
            db.write_bytes(b"")
        else:
            db.unlink()
        try:
            SqliteHistory(db).close()
            report.new_empty_made += left
            report.nothing_left += not left
            continue
        except HistoryMissingError:
            pass
        found = list_backups(db.parent / "backups")  # what the person is told to restore:
        recovered = [b for b in found if b.reason == "recovered"] or found  # the newest
        kept: set[int] = set()
        if recovered:
            try:
                store, _aside = restore_history(db, recovered[0])
                with store:
                    kept = {r.id for r in store.iter_readings()}
            except Exception as exc:  # noqa: BLE001
                report.failures.append(f"round {n}: {type(exc).__name__}: {exc}")
        keepable = _keepable_after_loss(db, backed, confirmed)
        report.rounds += 1
        report.confirmed += len(confirmed)
        report.kept += len(kept & confirmed)
        report.lost_keepable += len(keepable - kept)
        report.beyond_recovery += len(confirmed - kept)
    return report


def _keepable_after_loss(db: Path, backed: set[int], confirmed: set[int]) -> set[int]:
    """The oracle once the main file is gone: the backup's readings, and those SQLite can read
    from the set-aside journal alone (over blank pages: nothing of the app's method)."""
    journals = sorted(db.parent.glob(f"{db.name}.orphan-*-wal"))
    if not journals:
        return set(backed)
    scratch = db.parent / "oracle"
    scratch.mkdir(exist_ok=True)
    base = scratch / "o.sqlite3"
    base.write_bytes(bytes(PAGE))
    shutil.copyfile(journals[-1], f"{base}-wal")
    try:
        return set(backed) | readable(base, confirmed)
    except sqlite3.DatabaseError:
        return set(backed)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
