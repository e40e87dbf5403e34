"""CalibrationDialog: fit a site calibration on the clinic's confirmed readings, look at it
(before and after, the threshold table), sign it off with a name, or roll the current one back.
What is signed is exactly the fit shown. Every history access goes through HistoryOps."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.core.labels import display_label
from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.i18n import _, format_datetime, format_number
from cxr_desktop.service.clinic_quality import ModelInUse, proposal_for
from cxr_desktop.service.quality_wording import proposal_status, share
from cxr_desktop.service.quality_wording import threshold as format_threshold
from cxr_desktop.service.site_calibration import SiteState, load_state, roll_back, sign_off
from cxr_desktop.service.site_proposal import MIN_CONFIRMED, Proposal
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.plain import plain_label
from cxr_desktop.ui.quality_view import _fill, _table

log = logging.getLogger(__name__)


class CalibrationDialog(QDialog):
    fitted = Signal(object)  # Proposal (tests wait for it)
    changed = Signal(object)  # the new SiteState after a sign-off or a rollback

    def __init__(self, ops: HistoryOps, model: ModelInUse,
                 on_changed: Callable[[SiteState], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops, self.model = ops, model
        self.proposal: Proposal | None = None
        self.state: SiteState | None = None
        self.changed.connect(on_changed)
        self.setObjectName("calibration_dialog")
        self.setWindowTitle(_("Site calibration"))
        self.resize(900, 660)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(_(
            "A site calibration adapts the AI's probabilities and its 'uncertain' threshold to "
            "this clinic, from the clinicians' confirmed findings. It needs at least {minimum} "
            "confirmed readings of this model version and a supervisor's sign-off; it can be "
            "rolled back at any time.").format(minimum=format_number(MIN_CONFIRMED)), self))
        layout.itemAt(0).widget().setWordWrap(True)
        self.status = plain_label("", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.profiles = _table(self, [_("#"), _("Signed off"), _("Model"), _("By"),
                                      _("Rolled back")])
        self.profiles.setMaximumHeight(90)
        layout.addWidget(self.profiles)
        self.fit_button = QPushButton(_("&Fit on the confirmed readings"), self)
        self.fit_button.clicked.connect(self.fit)
        layout.addWidget(self.fit_button)
        self.summary = plain_label("", self)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.compare = _table(self, [_("Calibration"), _("Referred"),
                                     _("Correct among accepted")])
        self.compare.setMaximumHeight(90)
        layout.addWidget(self.compare)
        self.thresholds = _table(self, [_("Uncertain below"), _("Referred"),
                                        _("Correct among accepted"), ""])
        layout.addWidget(self.thresholds, 1)
        self.verdict = plain_label("", self)
        self.verdict.setWordWrap(True)
        layout.addWidget(self.verdict)
        form = QFormLayout()
        self.name = QLineEdit(self)
        self.name.setPlaceholderText(_("The supervisor's name"))
        self.name.textChanged.connect(self._update_buttons)
        form.addRow(_("Signed off &by:"), self.name)
        layout.addLayout(form)
        row = QHBoxLayout()
        self.apply_button = QPushButton(_("&Sign off and use for new readings"), self)
        self.apply_button.clicked.connect(self.apply)
        self.rollback_button = QPushButton(_("&Roll back the calibration in use"), self)
        self.rollback_button.clicked.connect(self.rollback)
        close = QPushButton(_("Close"), self)
        close.clicked.connect(self.accept)
        row.addWidget(self.apply_button)
        row.addWidget(self.rollback_button)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self._update_buttons()
        self.load_state()

    # -- state ------------------------------------------------------------------------------

    def load_state(self) -> None:
        sha = self.model.sha256
        self.ops.query(lambda store: (load_state(store, sha), store.site_profiles()),
                       lambda result: self._show_state(*result),
                       lambda exc: self.status.setText(dialogs.error_text(exc)),
                       key="calibration-state")

    def _show_state(self, state: SiteState, profiles: list[SiteProfile]) -> None:
        self.state = state
        self.status.setText(state.message() or _("No site calibration: readings get the model's "
                                                 "own calibration."))
        _fill(self.profiles, [[str(p.id), format_datetime(p.created_utc, "short"),
                               p.model_version, p.signed_by,
                               format_datetime(p.rolled_back_utc, "short") if p.rolled_back_utc
                               else ""] for p in profiles])
        self._update_buttons()

    def _update_buttons(self) -> None:
        named = bool(self.name.text().strip())
        self.apply_button.setEnabled(named and self.proposal is not None
                                     and self.proposal.can_apply)
        self.rollback_button.setEnabled(named and self.state is not None
                                        and self.state.profile is not None)

    # -- fit --------------------------------------------------------------------------------

    def fit(self) -> None:
        self.proposal = None
        self._update_buttons()
        self.summary.setText(_("Fitting on the confirmed readings\u2026"))
        model = self.model
        self.ops.long_read(lambda store: proposal_for(store, model), self.show_proposal,
                           self._fit_failed)

    def _fit_failed(self, exc: BaseException) -> None:
        self.summary.setText(dialogs.error_text(exc))
        self.verdict.setText("")
        _fill(self.compare, [])
        _fill(self.thresholds, [])

    def show_proposal(self, p: Proposal) -> None:
        self.proposal = p
        offsets = ", ".join(f"{display_label(k)} {v:+.2f}" for k, v in p.offsets.items())
        self.summary.setText(_(
            "Fitted on {count} confirmed readings from {start} to {end} ({outside} confirmed "
            "as another finding count as errors). Temperature {temperature}; class offsets "
            "{offsets}; uncertain below {threshold}. Code {code}.").format(
            count=format_number(p.n), start=format_datetime(p.first_utc, "short"),
            end=format_datetime(p.last_utc, "short"), outside=format_number(p.outside_classes),
            temperature=format_number(p.temperature, 3), offsets=offsets,
            threshold=format_threshold(p.uncertain_below), code=p.code))
        _fill(self.compare, [
            [_("Before: the model's own"), share(p.before.referred),
             share(p.before.accepted_correct)],
            [_("After (cross-validated)"), share(p.after.referred),
             share(p.after.accepted_correct)]])
        _fill(self.thresholds, [
            [format_threshold(r.threshold), share(r.referred), share(r.accepted_correct),
             _("chosen") if r.chosen else (_("model card") if r.model_card else "")]
            for r in p.table])
        chosen = [i for i, r in enumerate(p.table) if r.chosen]
        if chosen:
            self.thresholds.selectRow(chosen[0])
            self.thresholds.scrollToItem(self.thresholds.item(chosen[0], 0),
                                         QAbstractItemView.ScrollHint.PositionAtCenter)
        self.verdict.setText(proposal_status(p))
        self._update_buttons()
        self.fitted.emit(p)

    # -- sign off and roll back ---------------------------------------------------------------

    def apply(self, confirmed: bool = False) -> None:
        p, name, sha = self.proposal, self.name.text(), self.model.sha256
        if p is None or not p.can_apply:
            return
        if not confirmed and not dialogs.confirm(self, _("Use this site calibration?"), _(
                "From now on every new reading uses site calibration {code}, signed off by "
                "{name}. Readings already made are not changed. Use it?").format(
                code=p.code, name=" ".join(name.split()))):
            return
        self.ops.write(lambda store: (sign_off(store, p, name, sha), load_state(store, sha)),
                       lambda result: self._changed(result[1]),
                       lambda exc: dialogs.show_error(self, _("Site calibration not used"),
                                                      dialogs.error_text(exc)))

    def rollback(self, confirmed: bool = False) -> None:
        name, sha = self.name.text(), self.model.sha256
        if not confirmed and not dialogs.confirm(self, _("Roll back the site calibration?"), _(
                "New readings will no longer use the site calibration in use (the previous "
                "one, or the model's own calibration, comes back). Readings already made are "
                "not changed. Roll it back?")):
            return
        self.ops.write(lambda store: (roll_back(store, name), load_state(store, sha)),
                       lambda result: self._changed(result[1]),
                       lambda exc: dialogs.show_error(self, _("Not rolled back"),
                                                      dialogs.error_text(exc)))

    def _changed(self, state: SiteState) -> None:
        self.changed.emit(state)
        self.load_state()
