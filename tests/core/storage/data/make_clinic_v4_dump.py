"""How ``clinic_v4.sql`` was made: the clinic server's history as the previous version wrote it
(schema v4: issue 15 and issue 12's site calibration, before issue 11's DICOM facts), by that
version's own code.

    git archive 4647cc1 cxr_desktop | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old:. python tests/core/storage/data/make_clinic_v4_dump.py

``/tmp/old`` must come first so that ``cxr_desktop`` is the old code (this script checks it);
``tests.pg_server`` comes from this checkout. The dump is plain SQL with the schema's name
replaced by ``__SCHEMA__`` (the test restores it into a schema of its own), without psql's
``\\restrict`` lines. Four readings: a confident one (reviewed), an uncertain one, one that is
not a chest X-ray and an uncertain one made with a site calibration (later rolled back), two
with the same file; an account and two audit events.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.core.storage.accounts import Account
from cxr_desktop.core.storage.audit import AuditEvent
from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.core.storage.postgresql.schema import SCHEMA_VERSION
from cxr_desktop.core.types import Reading
from tests.pg_server import ADMIN_PASSWORD, running_server

OUT = Path(__file__).with_name("clinic_v4.sql")
LABELS = ("COVID-19", "Normal", "Not a chest X-ray", "Viral_Pneumonia")


def reading(i: int, profile_id: int | None = None) -> Reading:
    return Reading(
        id=None, created_utc=f"2026-0{i}-04T05:06:07.12345{i}+00:00",
        source_path=f"/data/xrays/chest {i}.dcm", file_sha256=f"{min(i, 3):x}" * 64,
        file_format="DICOM", width=2000 + i, height=2400, label=LABELS[i - 1],
        probabilities={"COVID-19": 0.7 - i / 10, "Normal": 0.2 + i / 20,
                       "Viral_Pneumonia": 0.1 + i / 20},
        uncertain=i in (2, 4), out_of_distribution=i == 3, ood_score=0.4 + i / 100,
        ood_reason="The image does not look like a chest X-ray." if i == 3 else None,
        model_name="cxr-net", model_version="2.0.0", model_sha256="cd" * 32,
        patient_id=f"PID-00{i}", patient_name=f"Doe^Jane{i}", preview_png=b"\x89PNG preview %d" % i,
        heatmap_png=b"\x89PNG heatmap %d" % i, thumbnail_png=b"\x89PNG thumb %d" % i,
        inference_ms=120.5 + i, cautions=("Portable film.",) if i == 2 else (),
        uid=f"5d1c1d1e-0000-4000-8000-00000000004{i}", site_profile_id=profile_id,
        model_probabilities={"COVID-19": 0.5, "Normal": 0.3, "Viral_Pneumonia": 0.2}
        if profile_id else None)


def main() -> None:
    assert SCHEMA_VERSION == 4, "run with the previous version's code first on PYTHONPATH"
    with running_server() as server:
        url = server.new_history_url()
        with PostgresHistory(url) as store:
            ids = [store.add(reading(i)) for i in (1, 2, 3)]
            profile = store.add_site_profile(SiteProfile(
                None, "2026-03-01T10:00:00+00:00", "cxr-net", "2.0.0", "cd" * 32, 1.2,
                {"COVID-19": -0.5}, 0.98, 640, "Dr. Ama"))
            ids.append(store.add(reading(4, profile.id)))
            store.roll_back_site_profile(profile.id, by="kofi")
            store.update_review(ids[0], note="seen", confirmed_label="Normal", expected_version=1)
            store.update_review(ids[1], note="look again tomorrow")  # noted, not confirmed
            store.save_account(Account(name="kofi", role="supervisor", password_hash="scrypt$x",
                                       created_utc="2026-03-01T09:00:00+00:00"))
            for action, reading_id in (("save", ids[3]), ("review", ids[0])):
                store.append_audit(AuditEvent(actor="kofi", action=action, reading_id=reading_id,
                                              workstation="desk"))
        schema = url.rsplit("search_path%3D", 1)[1].split("%2C", 1)[0]
        dump = subprocess.run(
            [str(server.bindir / "pg_dump"), "-h", "127.0.0.1", "-p", str(server.port),
             "-U", "cxr_admin", "--schema", schema, "--no-owner", "--no-privileges", "--inserts",
             server._shared_db], capture_output=True, text=True, check=True,
            env={**os.environ, "PGPASSWORD": ADMIN_PASSWORD}).stdout
    # psql's \restrict lines (pg_dump >= 15.14) are dropped: the test runs the SQL itself.
    lines = [line for line in dump.splitlines() if not line.startswith(("\\restrict",
                                                                       "\\unrestrict"))]
    text = "\n".join(lines) + "\n"
    OUT.write_text(text.replace(f"{schema}.", "__SCHEMA__.")
                   .replace(f"SCHEMA {schema};", "SCHEMA __SCHEMA__;"), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
