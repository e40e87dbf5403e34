"""One display name per label, everywhere (panel, history, batch summary, CLI, reports).

The model card gives the names of its classes (``register_card_names``, called where the model is
loaded); the names below are the defaults, so readings stay readable when no model is loaded.
Every name is translated where it is shown.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from cxr_desktop.core.types import OOD_LABEL
from cxr_desktop.i18n import N_, _

#: What a reviewer can confirm besides the model's classes.
OTHER_LABEL = "Other"

_DEFAULTS = {
    "COVID-19": N_("COVID-19"),
    "Normal": N_("Normal"),
    "Viral_Pneumonia": N_("Viral Pneumonia"),
    OOD_LABEL: N_("Not a chest X-ray"),
    OTHER_LABEL: N_("Other finding"),
}
_card_names: dict[str, str] = {}
_lock = threading.Lock()


def register_card_names(display_labels: Mapping[str, str]) -> None:
    """Use the model card's display names (its ``display_labels``) from now on."""
    with _lock:
        _card_names.update({str(k): str(v) for k, v in display_labels.items()})


def display_label(label: str | None) -> str:
    """'Viral_Pneumonia' -> 'Viral Pneumonia' (translated); '' for None."""
    if not label:
        return ""
    with _lock:
        name = _card_names.get(label)
    if name is None:
        name = _DEFAULTS.get(label, label.replace("_", " "))
    return _(name)
