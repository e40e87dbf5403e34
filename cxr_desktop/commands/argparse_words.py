"""The command line's own words from argparse ("usage:", "options", its error messages) in the
user's language: Python ships no translation of them, so they are messages of ours, and
``install()`` makes argparse look them up through cxr_desktop.i18n (cli.main calls it after
``i18n.set_language()``)."""

from __future__ import annotations

import argparse

from cxr_desktop import i18n
from cxr_desktop.i18n import N_, _

# Translators: the words of the command line's help and errors (Python's argparse); keep every
# %(name)s and %(name)r exactly as it is.
WORDS = (
    N_("usage: "), N_("positional arguments"), N_("options"),
    N_("show this help message and exit"), N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"), N_("expected one argument"),
    N_("expected at least one argument"), N_("expected at most one argument"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("can't open '%(filename)s': %(error)s"),
)
#: argparse's messages with an unnamed %s, and ours with the same meaning and a named field.
NAMED = {
    "the following arguments are required: %s":
        N_("the following arguments are required: {arguments}"),
    "unrecognized arguments: %s": N_("unrecognized arguments: {arguments}"),
}


def argparse_gettext(message: str) -> str:
    named = NAMED.get(message)
    if named is not None:
        return _(named).replace("{arguments}", "%s")
    return _(message)


def install() -> None:
    """argparse's words through our catalogue from now on (English when none applies)."""
    argparse._ = argparse_gettext  # argparse looks its module-level _ up at every call
    argparse.ngettext = i18n.ngettext
