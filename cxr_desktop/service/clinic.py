"""The clinic's name and address printed on reports: one small file in the user data folder
(``clinic.json``, private), shared by the window and the command line (issue 11)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from cxr_desktop import paths
from cxr_desktop.private_files import make_private_dir, write_private

log = logging.getLogger(__name__)

FILE_NAME = "clinic.json"
MAX_NAME = 120
MAX_ADDRESS = 400


@dataclass(frozen=True)
class ClinicInfo:
    name: str = ""
    address: str = ""  # may hold several lines


def clinic_path() -> Path:
    return paths.data_dir() / FILE_NAME


def load_clinic(path: Path | None = None) -> ClinicInfo:
    """The saved clinic details; empty ones when none were saved or the file is unreadable."""
    target = path or clinic_path()
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ClinicInfo()
    except (OSError, ValueError):
        log.warning("clinic details unreadable; reports are printed without them")
        return ClinicInfo()
    if not isinstance(data, dict):
        return ClinicInfo()
    return ClinicInfo(str(data.get("name") or "")[:MAX_NAME].strip(),
                      str(data.get("address") or "")[:MAX_ADDRESS].strip())


def save_clinic(info: ClinicInfo, path: Path | None = None) -> Path:
    """Store the clinic details (0600, atomically). Raises OSError."""
    target = path or clinic_path()
    make_private_dir(target.parent)
    text = json.dumps({"name": info.name.strip()[:MAX_NAME],
                       "address": info.address.strip()[:MAX_ADDRESS]}, ensure_ascii=False)
    return write_private(target, text + "\n")
