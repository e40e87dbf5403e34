"""The history's safeguards at scale (issue 14), run by ``bench.durability``: a history of
100,000 readings (10,000 with ``--quick``; realistic blobs, ~4.9 GB at 100,000, filled like
``bench.history_bench``).

* the check when the history is opened (``integrity.check_at_open`` with the app's budget), and
  beside it ``quick_check`` of the ``readings`` table, ``quick_check`` and ``integrity_check`` of
  the whole file: all with the file in the OS cache, as after a first start (dropping the cache
  would slow the other users of this shared machine);
* a backup as the window makes it (in steps with pauses, on a thread of its own) while another
  thread saves a reading every 50 ms through the same history: the backup's duration and the
  longest save during it, beside the longest save before it.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ScaleReport:
    readings: int = 0
    size_bytes: int = 0
    fill_s: float = 0.0
    open_check_s: float = 0.0
    open_check_result: str = ""
    quick_readings_s: float = 0.0
    quick_file_s: float = 0.0
    integrity_s: float = 0.0
    backup_s: float = 0.0
    backup_ok: bool = False
    saves_before: list[float] = field(default_factory=list)
    saves_during: list[float] = field(default_factory=list)


def _time(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _saver(history, stop: threading.Event, into: list[float], rng: random.Random) -> None:
    from bench.durability import make_reading

    k = 0
    while not stop.is_set():
        reading = make_reading("scale", k, rng)[0]
        start = time.perf_counter()
        history.add(reading)
        into.append(time.perf_counter() - start)
        k += 1
        stop.wait(0.05)


def run_scale(folder: Path, readings: int, log, seed: int = 6) -> ScaleReport:
    from bench.history_bench import blob_pool, bulk_fill
    from cxr_desktop.core.storage.sqlite import SqliteHistory, integrity

    report, rng = ScaleReport(readings=readings), random.Random(seed)
    db = folder / "scale" / "history.sqlite3"
    SqliteHistory(db).close()
    report.fill_s, _ = _time(lambda: bulk_fill(db, readings, rng, blob_pool(rng), log))
    report.size_bytes = db.stat().st_size
    conn = integrity.open_for_check(db)
    try:
        conn.execute("PRAGMA quick_check").fetchall()  # the file in the OS cache
        report.open_check_s, result = _time(lambda: integrity.check_at_open(conn))
        report.open_check_result = {True: "ok", False: "damaged", None: "unfinished"}[result.ok]
        report.quick_readings_s, _ = _time(
            lambda: conn.execute('PRAGMA quick_check("readings")').fetchall())
        report.quick_file_s, _ = _time(lambda: conn.execute("PRAGMA quick_check").fetchall())
        report.integrity_s, _ = _time(lambda: conn.execute("PRAGMA integrity_check").fetchall())
    finally:
        conn.close()
    with SqliteHistory(db) as history:
        stop = threading.Event()
        saver = threading.Thread(target=_saver, args=(history, stop, report.saves_before, rng))
        saver.start()
        time.sleep(3.0)
        stop.set()
        saver.join()
        stop = threading.Event()
        saver = threading.Thread(target=_saver, args=(history, stop, report.saves_during, rng))
        saver.start()
        try:
            report.backup_s, info = _time(lambda: history.backup(folder / "scale-backups"))
            report.backup_ok = info.readings >= readings
        finally:
            stop.set()
            saver.join()
    return report


# -- figures for the table ------------------------------------------------------------------------


def _ms(samples: list[float]) -> float:
    return round(max(samples, default=0.0) * 1e3, 1)


def safety_figures(damage, journal, lost, scale) -> list:
    from bench.common import Figure

    section = "Durability (damaged or lost history, backups)"
    return [
        Figure(section, "4 KB overwritten at a random page", damage.trials, "trials",
               f"{damage.detected_at_open} found at open, {damage.detected_later} by the full "
               f"check, {damage.undetectable} undetectable (image bytes; SQLite has no checksum)"),
        Figure(section, "damaged: readings lost that SQLite or the backup still had",
               damage.lost_keepable, "", f"of {damage.confirmed} confirmed; "
               f"{damage.beyond_recovery} beyond recovery, counted right in the message: "
               f"{damage.message_counts_wrong == 0}; kept without their images (or with "
               f"damaged ones): {damage.images_lost}"),
        Figure(section, "damaged file set aside unchanged", "yes" if not damage.set_aside_changed
               else f"{damage.set_aside_changed} changed", "",
               f"repair {_ms(damage.repair_seconds):,} ms at most; errors {len(damage.failures)}"),
        Figure(section, "journal deleted while 2 processes save", journal.rounds, "rounds",
               f"{journal.put_back} noticed and put back; a 3rd process started after: "
               f"{journal.late_saves} saves, {journal.late_opens_refused} refused"),
        Figure(section, "journal deleted: confirmed readings lost", journal.lost, "",
               f"of {journal.confirmed}; ids given twice {journal.ids_given_twice}; errors "
               f"{len(journal.errors)}; integrity {'ok' if not journal.integrity else 'FAILED'}"),
        Figure(section, "main file emptied or deleted beside its journal", lost.rounds, "rounds",
               f"new empty history made over it: {lost.new_empty_made}"),
        Figure(section, "lost main file: readings lost that journal or backup still had",
               lost.lost_keepable, "", f"{lost.kept} of {lost.confirmed} kept; "
               f"{lost.beyond_recovery} were only in the lost file"),
        Figure(section, f"open check at {scale.readings:,} readings ({scale.size_bytes / 1e9:.1f} GB)",
               round(scale.open_check_s, 2), "s", f"{scale.open_check_result} within the budget "
               f"(file in the OS cache); quick_check of readings {scale.quick_readings_s:.2f} s, "
               f"of the file {scale.quick_file_s:.1f} s, integrity_check {scale.integrity_s:.1f} s"),
        Figure(section, "backup while saving", round(scale.backup_s, 1), "s",
               f"verified {scale.backup_ok}; longest save during it {_ms(scale.saves_during)} ms "
               f"({len(scale.saves_during)} saves), before it {_ms(scale.saves_before)} ms"),
    ]


def lost_total(kill, conc, damage, journal, lost) -> int:
    """Confirmed readings lost where SQLite (or a backup) could keep them, in every test."""
    return (kill.lost + conc.lost + (conc.writers * conc.per_writer - conc.saved)
            + damage.lost_keepable + journal.lost + lost.lost_keepable)
