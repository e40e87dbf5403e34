"""Reading many files in a row (a folder, several dropped files): one item per file, and the
summary people see at the end. Qt-free; the GUI's BatchRunner and the CLI use it."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from cxr_desktop.core.errors import CxrError
from cxr_desktop.core.labels import display_label
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import N_, _, ngettext
from cxr_desktop.privacy import describe_file, redact
from cxr_desktop.service.reading import Analysis, ReadingService, file_name

log = logging.getLogger(__name__)

MAX_FAILURES_SHOWN = 15
OUT_OF_MEMORY = N_("Not enough memory to open this image.")


@dataclass(frozen=True)
class BatchItem:
    path: str
    label: str | None = None  # the stored label (OOD_LABEL for 'not a chest X-ray')
    uncertain: bool = False
    reading_id: int | None = None
    error: str | None = None  # a reason a nurse can read

    @classmethod
    def of_reading(cls, path: str, reading: Reading) -> BatchItem:
        return cls(path, label=reading.label, uncertain=reading.uncertain, reading_id=reading.id)


def analyse_for_batch(service: ReadingService, path: str) -> Analysis | BatchItem:
    """Load and analyse one file; an expected problem becomes a BatchItem with its reason."""
    try:
        return service.analyse(service.load(path))
    except CxrError as exc:
        log.info("batch: %s skipped: %s (%s)", describe_file(path), type(exc).__name__,
                 redact(exc.detail, path))
        return BatchItem(path, error=exc.message)
    except MemoryError:
        log.warning("batch: %s: out of memory", describe_file(path))
        return BatchItem(path, error=_(OUT_OF_MEMORY))


def read_for_batch(service: ReadingService, path: str) -> BatchItem:
    """Load, analyse and save one file."""
    result = analyse_for_batch(service, path)
    if isinstance(result, BatchItem):
        return result
    try:
        return BatchItem.of_reading(path, service.save(result.reading))
    except CxrError as exc:
        return BatchItem(path, error=exc.message)


@dataclass
class BatchSummary:
    total: int
    items: list[BatchItem] = field(default_factory=list)
    cancelled: bool = False

    @property
    def done(self) -> list[BatchItem]:
        return [i for i in self.items if i.error is None]

    @property
    def failures(self) -> list[BatchItem]:
        return [i for i in self.items if i.error is not None]

    def counts(self) -> Counter[str]:
        return Counter(i.label or "?" for i in self.done)

    def text(self) -> str:
        if self.cancelled:
            head = ngettext("Cancelled after {done} of {total} file.",
                            "Cancelled after {done} of {total} files.", self.total)
        else:
            head = ngettext("Finished: {total} file.", "Finished: {total} files.", self.total)
        lines = [head.format(done=len(self.items), total=self.total),
                 ngettext("{count} analysed and saved to the history.",
                          "{count} analysed and saved to the history.",
                          len(self.done)).format(count=len(self.done)),
                 ngettext("{count} could not be read.", "{count} could not be read.",
                          len(self.failures)).format(count=len(self.failures))]
        if self.done:
            lines.append("")
            for label, n in sorted(self.counts().items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(_("{finding}: {count}").format(finding=display_label(label), count=n))
            uncertain = sum(1 for i in self.done if i.uncertain)
            if uncertain:
                lines.append(_("Of these, uncertain (refer to a radiologist): {count}").format(
                    count=uncertain))
        if self.failures:
            lines += ["", _("Not analysed:")]
            for item in self.failures[:MAX_FAILURES_SHOWN]:
                lines.append(_("{file}: {reason}").format(file=file_name(item.path),
                                                          reason=item.error))
            hidden = len(self.failures) - MAX_FAILURES_SHOWN
            if hidden > 0:
                lines.append(ngettext("\u2026 and {count} more.", "\u2026 and {count} more.",
                                      hidden).format(count=hidden))
        return "\n".join(lines)
