"""``python -m bench``: every benchmark and torture test, one table, one JSON file.

    python -m bench                      # everything (~15-25 min on 2 cores)
    python -m bench --quick              # small versions of everything (~3 min)
    python -m bench --only latency,fuzz  # some of: latency, open, agreement, history, gui, fuzz,
                                         # durability, clinic
    python -m bench --json out.json --markdown docs/BENCHMARKS.md

Figures that cannot be measured here (no trained model, no frozen build, no Qt) are printed as
"not measured: <why>" rather than skipped. The exit status is 1 when the fuzzer or the
durability test found a defect (a crash, hang, untyped error, memory blow-up or lost reading).
"""

from __future__ import annotations

import argparse
import importlib
import json
import shlex
import subprocess
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from bench.common import REPO_ROOT, Context, Figure, machine, not_measured

SUITES = {
    "latency": "bench.latency",
    "open": "bench.open_to_result",
    "agreement": "bench.fast_path_agreement",
    "history": "bench.history_bench",
    "gui": "bench.gui_start",
    "fuzz": "bench.fuzz",
    "durability": "bench.durability",
    "clinic": "bench.clinic_load",  # issue 15: many PCs on one PostgreSQL server
}


def _value(f: Figure) -> str:
    if f.value is None:
        return "—"
    if isinstance(f.value, float):
        text = f"{f.value:,.2f}" if abs(f.value) < 100 else f"{f.value:,.0f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
    elif isinstance(f.value, int):
        text = f"{f.value:,}"
    else:
        text = str(f.value)
    return f"{text} {f.unit}".strip()


def format_table(figures: list[Figure]) -> str:
    width = max((len(f.name) for f in figures), default=10)
    vwidth = max((len(_value(f)) for f in figures), default=10)
    lines, section = [], None
    for f in figures:
        if f.section != section:
            section = f.section
            lines += ["", section, "-" * len(section)]
        note = " ".join(f.note.split())  # one line per figure, whatever a note holds
        lines.append(f"  {f.name:<{width}}  {_value(f):>{vwidth}}  {note}".rstrip())
    return "\n".join(lines[1:])


def format_markdown(figures: list[Figure], meta: dict) -> str:
    out = [
        "# Benchmarks and torture tests",
        "",
        "Produced by:",
        "",
        "```",
        meta["command"],
        "```",
        "",
        f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, Python "
        f"{meta['machine']['python']}; 1-minute load average "
        f"{meta['machine']['load_1min_at_start']:.1f} at the start, "
        f"{meta['machine']['load_1min_at_end']:.1f} at the end. Commit {meta['commit']}, "
        f"{meta['finished_utc'][:16].replace('T', ' ')} UTC, {meta['seconds'] / 60:.1f} min.",
        "",
        "The machine is shared and noisy (±30%): compare medians and re-run before trusting a "
        "change. How each figure is measured is in the docstring of its module in `bench/`.",
    ]
    section = None
    for f in figures:
        if f.section != section:
            section = f.section
            out += ["", f"## {section}", "", "| | | |", "|---|---:|---|"]
        note = " ".join(f.note.split()).replace("|", "/")
        out.append(f"| {f.name} | {_value(f)} | {note} |")
    return "\n".join(out) + "\n"


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=10).stdout.strip() or "?"
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    from cxr_desktop import paths

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small versions (a few minutes)")
    parser.add_argument("--only", default=",".join(SUITES),
                        help=f"comma-separated subset of {','.join(SUITES)}")
    parser.add_argument("--json", type=Path, default=REPO_ROOT / "bench" / "results.json")
    parser.add_argument("--markdown", type=Path, default=None, help="also write a Markdown report")
    parser.add_argument("--model-dir", type=Path, default=None, help="default: the shipped model")
    parser.add_argument("--samples-dir", type=Path, default=None,
                        help="full-resolution images (default: the shared data's samples/)")
    parser.add_argument("--jobs", type=int, default=2, help="fuzzing worker processes")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--fuzz-cases", type=int, default=None, help="default 10000 (quick 600)")
    parser.add_argument("--fuzz-case", type=int, default=None, help="replay one fuzz case")
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in SUITES]
    if unknown:
        parser.error(f"unknown suite(s) {unknown}; choose from {', '.join(SUITES)}")

    ctx = Context(
        quick=args.quick,
        model_dir=args.model_dir or paths.model_dir(),
        samples_dir=args.samples_dir or paths.shared_data_dir() / "samples",
        jobs=max(1, args.jobs),
        seed=args.seed,
    )
    ctx.workdir.mkdir(parents=True, exist_ok=True)
    if args.fuzz_cases is not None:
        ctx.details["fuzz_cases"] = args.fuzz_cases
    if args.fuzz_case is not None:
        ctx.details["fuzz_case"] = args.fuzz_case
    import logging

    logging.disable(logging.WARNING)  # the app's expected-error logs are not bench output
    started = time.perf_counter()
    meta = {"command": "python -m bench " + " ".join(map(shlex.quote, argv if argv is not None
                                                         else sys.argv[1:])),
            "machine": machine(), "commit": _commit(),
            "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    figures: list[Figure] = []
    timings = {}
    for name in only:
        ctx.log(f"[bench] {name} ...")
        t0 = time.perf_counter()
        try:
            figures += importlib.import_module(SUITES[name]).run(ctx)
        except Exception as exc:  # noqa: BLE001 - one broken suite must not hide the others
            ctx.log(traceback.format_exc())
            figures.append(not_measured(name, name, f"{type(exc).__name__}: {exc}"))
        timings[name] = round(time.perf_counter() - t0, 1)
        ctx.log(f"[bench] {name} done in {timings[name]:.0f} s")
    meta["seconds"] = time.perf_counter() - started
    meta["machine"]["load_1min_at_end"] = machine()["load_1min_at_start"]
    meta["finished_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    meta["suite_seconds"] = timings
    print(format_table(figures))
    defects = _defects(ctx)
    if defects:
        print(f"\nDEFECTS FOUND: {'; '.join(defects)}")
    result = {**meta, "quick": args.quick, "figures": [f.as_dict() for f in figures],
              "details": ctx.details, "defects": defects}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    print(f"\nwritten: {args.json}")
    if args.markdown is not None:
        args.markdown.write_text(format_markdown(figures, meta), encoding="utf-8")
        print(f"written: {args.markdown}")
    return 1 if defects else 0


def _defects(ctx: Context) -> list[str]:
    found = []
    fuzz = ctx.details.get("fuzz")
    if fuzz:
        bad = {k: fuzz["counts"][k] for k in ("error", "memory", "crash", "hang")
               if fuzz["counts"][k]}
        if bad:
            found.append(f"fuzzing {bad}")
    durability = ctx.details.get("durability")
    if durability:
        kills, conc = durability["kills"], durability["concurrency"]
        if kills["lost"] or kills["integrity_failures"] or kills["reopen_failures"]:
            found.append("readings lost or database damaged after SIGKILL")
        if conc["lost"] or conc["errors"]:
            found.append("concurrent saves lost readings or showed errors")
        found += _safety_defects(durability)
    clinic = ctx.details.get("clinic")  # issue 15
    if clinic and (clinic["lost"] or clinic["duplicated"] or clinic["resent_doubled"]):
        found.append("readings lost or doubled on the clinic server")
    return found


def _safety_defects(durability: dict) -> list[str]:
    """Issue 14: damaged or lost histories, deleted journals, backups."""
    found = []
    damage, journal = durability.get("damage"), durability.get("journal")
    lost, scale = durability.get("lost_main"), durability.get("scale")
    if damage and (damage["lost_keepable"] or damage["set_aside_changed"]
                   or damage["message_counts_wrong"] or damage["failures"]):
        found.append("a damaged history lost readings or its file was changed")
    if journal and (journal["lost"] or journal["ids_given_twice"] or journal["integrity"]):
        found.append("deleting the journal lost readings or gave an id twice")
    if lost and (lost["new_empty_made"] or lost["lost_keepable"] or lost["failures"]):
        found.append("a lost main file became an empty history or lost readings")
    if scale and not scale["backup_ok"]:
        found.append("the backup at scale was not verified")
    return found


if __name__ == "__main__":
    raise SystemExit(main())
