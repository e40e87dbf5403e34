"""Durability of the reading history: SIGKILL a saving process at random moments; two (or more)
processes saving at once.

Kill test: a child process opens ``History`` on one database and saves readings in a loop
(realistic blobs: thumbnail, preview, heatmap ~40-60 KB in all; one in five is then reviewed),
printing ``id patient sha`` on stdout after each ``add`` returns. The parent kills it with SIGKILL after a random delay
(sometimes while it is still opening the database), then checks ``PRAGMA integrity_check`` and
``foreign_key_check``, that ``History`` reopens, and that every reading any child ever reported
is present with the same content. The same database is used for every kill, so recovery after
recovery is tested too.

Concurrency test: several writer processes start together on a fresh database (racing on its
creation and migration) and each saves N readings while a reader process searches; every child
reports any exception. Nothing may be lost and no error (such as "database is locked") may
reach the user.

Damaged and lost histories, deleted journals, backups at scale (issue 14): ``durability_safety``
and ``durability_scale``. The table's "confirmed readings lost" adds up every test: readings
whose save had returned and that SQLite or a backup could still give, yet are not in the history.

Child mode: ``python -m bench.durability writer|reader DB ...`` (used by the parent).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import REPO_ROOT, Context, Figure

LABELS = ("COVID-19", "Normal", "Viral_Pneumonia")


# -- children ---------------------------------------------------------------------------------


def make_reading(tag: str, n: int, rng: random.Random):
    """A reading with random (incompressible) blobs of realistic sizes; returns (reading, sha)."""
    from cxr_desktop.core.storage import utc_now_iso
    from cxr_desktop.core.types import Reading

    thumbnail = rng.randbytes(rng.randint(3_000, 6_000))
    preview = rng.randbytes(rng.randint(25_000, 45_000))
    heatmap = rng.randbytes(rng.randint(5_000, 12_000))
    probs = [rng.random() + 1e-3 for _ in LABELS]
    total = sum(probs)
    reading = Reading(
        id=None, created_utc=utc_now_iso(), source_path=f"/data/{tag}/{n}.dcm",
        file_sha256=hashlib.sha256(f"{tag}-{n}".encode()).hexdigest(), file_format="DICOM",
        width=2500, height=2000, probabilities={k: p / total for k, p in zip(LABELS, probs)},
        label=LABELS[rng.randrange(3)], uncertain=False, out_of_distribution=False,
        ood_score=0.5, model_name="bench", model_version="1", model_sha256="0" * 64,
        patient_id=f"{tag}-{n}", patient_name=f"Durability^{tag}", preview_png=preview,
        heatmap_png=heatmap, thumbnail_png=thumbnail, inference_ms=3.0,
    )
    return reading, blob_sha(thumbnail, preview, heatmap)


def blob_sha(*blobs: bytes | None) -> str:
    digest = hashlib.sha256()
    for blob in blobs:
        digest.update(len(blob or b"").to_bytes(8, "little"))
        digest.update(blob or b"")
    return digest.hexdigest()[:16]


def writer_main(db: str, tag: str, count: int, seed: int) -> int:
    """Save ``count`` readings (0: until killed); print 'id patient sha' after each one."""
    from cxr_desktop.core.storage.sqlite import SqliteHistory as History

    rng = random.Random(f"{seed}:{tag}")
    errors = 0
    try:
        history = History(db)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, who counts it
        print(f"ERROR open {type(exc).__name__}: {exc}", flush=True)
        return 1
    n = 0
    while count == 0 or n < count:
        reading, sha = make_reading(tag, n, rng)
        try:
            new_id = history.add(reading)
        except Exception as exc:  # noqa: BLE001
            errors += 1
            print(f"ERROR add {type(exc).__name__}: {exc}", flush=True)
        else:
            print(f"{new_id} {reading.patient_id} {sha}", flush=True)
            if rng.random() < 0.2:  # reviews are writes too (the blobs are not touched)
                try:
                    history.update_review(new_id, note=f"reviewed {n}", confirmed_label="Normal")
                except Exception as exc:  # noqa: BLE001
                    errors += 1
                    print(f"ERROR review {type(exc).__name__}: {exc}", flush=True)
        n += 1
    history.close()
    return 1 if errors else 0


def reader_main(db: str, seconds: float) -> int:
    """Search and count in a loop (like the history view) for ``seconds``; print errors."""
    from cxr_desktop.core.storage import ReadingQuery
    from cxr_desktop.core.storage.sqlite import SqliteHistory as History

    deadline = time.monotonic() + seconds
    history = None
    errors = queries = 0
    while time.monotonic() < deadline:
        try:
            if history is None:
                history = History(db)
            history.count(ReadingQuery(text="w"))
            history.search(ReadingQuery(limit=50))
            queries += 1
        except Exception as exc:  # noqa: BLE001
            errors += 1
            print(f"ERROR read {type(exc).__name__}: {exc}", flush=True)
            time.sleep(0.01)
    print(f"QUERIES {queries}", flush=True)
    return 1 if errors else 0


# -- checks -----------------------------------------------------------------------------------


def check_database(
    db: Path, expected: dict[int, tuple[str, str]], blobs_of: set[int] | None = None
) -> tuple[str, list[int]]:
    """(integrity_check result, ids of expected readings that are missing or changed).

    Every expected reading must be there with its patient id; the image blobs are compared for
    the ids in ``blobs_of`` (default: all)."""
    conn = sqlite3.connect(db)
    try:
        integrity = "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
        bad_keys = conn.execute("PRAGMA foreign_key_check").fetchall()
        if bad_keys:
            integrity += f"; foreign_key_check: {len(bad_keys)} rows"
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'readings'").fetchone()
        # Killed before its first History() had created the schema: an empty database is fine
        # as long as no save had returned (then ``expected`` is empty too).
        present = dict(conn.execute("SELECT id, patient_id FROM readings")) if has_table else {}
        check = set(expected) if blobs_of is None else blobs_of & set(expected)
        check = check if has_table else set()
        shas = {}
        for rid in check:
            row = conn.execute(
                "SELECT thumbnail_png, preview_png, heatmap_png FROM reading_images"
                " WHERE reading_id = ?", (rid,),
            ).fetchone()
            shas[rid] = blob_sha(*row) if row else None
    finally:
        conn.close()
    lost = [
        rid for rid, (pid, sha) in expected.items()
        if present.get(rid) != pid or (rid in shas and shas[rid] != sha)
    ]
    return integrity, lost


def _parse(lines: list[str], expected: dict[int, tuple[str, str]], errors: list[str]) -> int:
    saved = 0
    for line in lines:
        if line.startswith("ERROR"):
            errors.append(line)
            continue
        parts = line.split()
        if len(parts) == 3 and parts[0].isdigit():
            expected[int(parts[0])] = (parts[1], parts[2])
            saved += 1
    return saved


def _child(args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OPENBLAS_NUM_THREADS="1")
    return subprocess.Popen(
        [sys.executable, "-m", "bench.durability", *args], cwd=REPO_ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


# -- kill test --------------------------------------------------------------------------------


@dataclass
class KillReport:
    kills: int = 0
    confirmed: int = 0  # readings whose save had returned before the kill
    lost: int = 0
    integrity_failures: list[str] = field(default_factory=list)
    reopen_failures: list[str] = field(default_factory=list)
    child_errors: list[str] = field(default_factory=list)
    killed_while_opening: int = 0
    rows_at_end: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.integrity_failures or self.reopen_failures
                    or self.child_errors)


def run_kills(kills: int, folder: Path, seed: int = 1, max_delay_s: float = 0.6) -> KillReport:
    rng = random.Random(seed)
    db = folder / "kill.sqlite3"
    expected: dict[int, tuple[str, str]] = {}
    report = KillReport()
    start = time.perf_counter()
    for k in range(kills):
        child = _child(["writer", str(db), f"k{k}", "0", str(seed)])
        # One kill in five lands while the child starts and opens the database.
        time.sleep(rng.uniform(0.0, 0.25) if rng.random() < 0.2 else rng.uniform(0.25, max_delay_s))
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate()
        before = set(expected)
        saved = _parse(out.splitlines(), expected, report.child_errors)
        report.kills += 1
        report.confirmed += saved
        if saved == 0:
            report.killed_while_opening += 1
        if child.returncode not in (-signal.SIGKILL, 0) and err.strip():
            report.child_errors.append(err.strip().splitlines()[-1])
        # Blobs of this round's readings and of a sample of the earlier ones; ids of all.
        blobs_of = (set(expected) - before) | set(rng.sample(sorted(before), min(100, len(before))))
        integrity, lost = check_database(db, expected, blobs_of)
        if integrity != "ok":
            report.integrity_failures.append(f"kill {k}: {integrity}")
        report.lost = max(report.lost, len(lost))
        try:
            from cxr_desktop.core.storage.sqlite import SqliteHistory as History

            with History(db) as history:
                report.rows_at_end = history.count()
        except Exception as exc:  # noqa: BLE001
            report.reopen_failures.append(f"kill {k}: {type(exc).__name__}: {exc}")
    report.seconds = time.perf_counter() - start
    return report


# -- concurrency test -------------------------------------------------------------------------


@dataclass
class ConcurrencyReport:
    writers: int
    per_writer: int
    saved: int = 0
    lost: int = 0
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    locked_messages: int = 0
    reader_queries: int = 0
    integrity: str = ""
    seconds: float = 0.0
    writers_seconds: float = 0.0  # until the last writer finished (process start included)

    @property
    def ok(self) -> bool:
        return (not self.errors and not self.lost and self.integrity == "ok"
                and self.saved == self.writers * self.per_writer)


def run_concurrent(writers: int, per_writer: int, folder: Path, seed: int = 2) -> ConcurrencyReport:
    db = folder / "concurrent.sqlite3"
    report = ConcurrencyReport(writers, per_writer)
    start = time.perf_counter()
    children = [_child(["writer", str(db), f"w{i}", str(per_writer), str(seed)])
                for i in range(writers)]
    reader = _child(["reader", str(db), str(3.0 + per_writer * 0.02)])
    outputs: list[tuple[str, str, int]] = []
    finished: list[float] = []

    def collect(proc: subprocess.Popen) -> None:
        out, err = proc.communicate(timeout=600)
        outputs.append((out, err, proc.returncode))
        if proc is not reader:
            finished.append(time.perf_counter())

    threads = [threading.Thread(target=collect, args=(p,)) for p in (*children, reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected: dict[int, tuple[str, str]] = {}
    for out, err, code in outputs:
        report.saved += _parse(out.splitlines(), expected, report.errors)
        for line in out.splitlines():
            if line.startswith("QUERIES"):
                report.reader_queries = int(line.split()[1])
        if code != 0 and err.strip():
            report.errors.append(err.strip().splitlines()[-1])
    report.saved = len(expected)
    report.locked_messages = sum("locked" in e.lower() or "busy" in e.lower() for e in report.errors)
    report.integrity, lost = check_database(db, expected)
    report.lost = len(lost)
    conn = sqlite3.connect(db)
    report.rows = conn.execute("SELECT COUNT(*) FROM readings").fetchone()[0]
    conn.close()
    report.seconds = time.perf_counter() - start
    report.writers_seconds = max(finished, default=start) - start
    return report


# -- bench entry ------------------------------------------------------------------------------


def run(ctx: Context) -> list[Figure]:
    from bench import durability_safety as safety
    from bench.durability_scale import lost_total, run_scale, safety_figures

    kills = 20 if ctx.quick else 60
    writers, per_writer = (2, 50) if ctx.quick else (3, 200)
    trials, rounds, scale = (8, 3, 10_000) if ctx.quick else (30, 10, 100_000)
    import logging

    logging.disable(logging.CRITICAL)  # the app's expected error logs (repairs) are not output
    with tempfile.TemporaryDirectory(prefix="cxr-durability-") as tmp:
        kill = run_kills(kills, Path(tmp), seed=ctx.seed)
        conc = run_concurrent(writers, per_writer, Path(tmp), seed=ctx.seed)
        damage = safety.run_damage(trials, Path(tmp), seed=ctx.seed)
        journal = safety.run_journal(rounds, Path(tmp), seed=ctx.seed)
        lost = safety.run_lost_main(rounds, Path(tmp), seed=ctx.seed)
        big = run_scale(Path(tmp), scale, ctx.log, seed=ctx.seed)
    logging.disable(logging.WARNING)  # as bench/__main__ set it
    total = lost_total(kill, conc, damage, journal, lost)
    ctx.details["durability"] = {
        "kills": kill.__dict__,
        "concurrency": conc.__dict__,
        "damage": damage.__dict__,
        "journal": journal.__dict__,
        "lost_main": lost.__dict__,
        "scale": {k: v for k, v in big.__dict__.items() if not k.startswith("saves")}
        | {"longest_save_during_backup_ms": max(big.saves_during, default=0) * 1e3},
        "lost_total": total,
    }
    section = "Durability (SIGKILL, concurrent saves)"
    integrity = "ok" if not kill.integrity_failures else f"{len(kill.integrity_failures)} failed"
    return [
        Figure(section, "SIGKILLs while saving", kill.kills, "",
               f"{kill.killed_while_opening} before the first save returned"),
        Figure(section, "readings confirmed before a kill", kill.confirmed),
        Figure(section, "confirmed readings lost", kill.lost),
        Figure(section, "integrity_check after every kill", integrity, "",
               f"reopen failures: {len(kill.reopen_failures)}"),
        Figure(section, "concurrent writers x readings", f"{conc.writers} x {conc.per_writer}",
               "", f"+1 reader process ({conc.reader_queries} queries)"),
        Figure(section, "concurrent readings lost", conc.lost + (conc.writers * conc.per_writer
                                                                 - conc.saved)),
        Figure(section, "errors shown ('database is locked')",
               f"{len(conc.errors)} ({conc.locked_messages})"),
        Figure(section, "concurrent save rate (all writers)",
               round(conc.saved / max(conc.writers_seconds, 1e-9), 1), "readings/s",
               f"integrity {conc.integrity}; process start-up included"),
        Figure(section, "confirmed readings lost, every test above and below", total, "",
               "where SQLite or a backup still held them (the issue 14 target: 0)"),
        *safety_figures(damage, journal, lost, big),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.durability")
    sub = parser.add_subparsers(dest="mode", required=True)
    w = sub.add_parser("writer")
    w.add_argument("db")
    w.add_argument("tag")
    w.add_argument("count", type=int)
    w.add_argument("seed", type=int)
    r = sub.add_parser("reader")
    r.add_argument("db")
    r.add_argument("seconds", type=float)
    args = parser.parse_args(argv)
    import logging

    logging.disable(logging.CRITICAL)
    if args.mode == "writer":
        return writer_main(args.db, args.tag, args.count, args.seed)
    return reader_main(args.db, args.seconds)


if __name__ == "__main__":
    raise SystemExit(main())
