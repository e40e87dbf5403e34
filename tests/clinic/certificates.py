"""TLS files for the test server, made by the set-up script itself
(``setup_clinic_server.sh --make-certs``), so the tests check what a clinic gets."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "packaging" / "server" / "setup_clinic_server.sh"


def make_certs(folder: Path, hostname: str = "localhost") -> Path:
    subprocess.run(["bash", str(SCRIPT), "--make-certs", str(folder), hostname], check=True,
                   capture_output=True, text=True, timeout=120)
    return folder


def write_ca_and_server(ca: Path, server_crt: Path, server_key: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        made = make_certs(Path(tmp))
        shutil.copyfile(made / "ca.crt", ca)
        shutil.copyfile(made / "server.crt", server_crt)
        shutil.copyfile(made / "server.key", server_key)
