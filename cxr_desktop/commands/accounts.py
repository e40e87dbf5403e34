"""``cxr-desktop accounts add|list|audit``: staff accounts and the audit trail (issue 15).

The first account must be a supervisor's and turns accounts on for every PC using this history;
after that, adding accounts and reading the audit trail need a supervisor to sign in."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from cxr_desktop.commands.output import EXIT_ERROR, EXIT_OK, print_error, print_line
from cxr_desktop.core.storage.accounts import ROLES
from cxr_desktop.core.storage.audit import AuditQuery
from cxr_desktop.i18n import _, ngettext

NEW_PIN_ENV = "CXR_DESKTOP_NEW_PIN"


def add_parser(sub: Any, common: argparse.ArgumentParser, positive_int: Any) -> None:
    accounts = sub.add_parser("accounts", help=_("staff accounts and the audit trail"))
    accounts_sub = accounts.add_subparsers(dest="accounts_command", metavar="{add,list,audit}")
    accounts_sub.required = True
    add = accounts_sub.add_parser("add", parents=[common], help=_("add or change an account"))
    add.add_argument("name", help=_("the name the person signs in with"))
    add.add_argument("--role", choices=ROLES, required=True, help=_("what the person may do"))
    accounts_sub.add_parser("list", parents=[common], help=_("list the accounts"))
    audit = accounts_sub.add_parser("audit", parents=[common], help=_("show the audit trail"))
    audit.add_argument("--user", default=None, metavar="NAME", help=_("only this person"))
    audit.add_argument("--action", default=None, help=_("only this action (view, review, ...)"))
    audit.add_argument("--reading", type=positive_int, default=None, metavar="ID",
                       help=_("only this reading"))
    audit.add_argument("--from", dest="date_from", default=None, metavar="DATE",
                       help=_("from this date"))
    audit.add_argument("--to", dest="date_to", default=None, metavar="DATE",
                       help=_("up to this date"))
    audit.add_argument("--limit", type=positive_int, default=50, metavar="N",
                       help=_("how many (default 50)"))
    audit.add_argument("--csv", type=Path, default=None, metavar="FILE",
                       help=_("write every matching event to a CSV file"))


def run(args: argparse.Namespace) -> int:
    from cxr_desktop.commands import staff
    from cxr_desktop.composition import open_store
    from cxr_desktop.service.accounts import StaffSession

    with open_store() as store:
        session = StaffSession(store)
        if session.accounts_enabled():
            name = os.environ.get(staff.USER_ENV) or staff.ask(_("Name: "), secret=False)
            session.sign_in(name, os.environ.get(staff.PIN_ENV) or staff.ask(_("PIN or password: ")))
        if args.accounts_command == "add":
            pin = os.environ.get(NEW_PIN_ENV)
            if pin is None:
                pin = staff.ask(_("New PIN or password: "))
                if staff.ask(_("The same again: ")) != pin:
                    print_error(_("The two PINs are not the same; nothing was changed."))
                    return EXIT_ERROR
            account = session.add_account(args.name, args.role, pin)
            print_line(_("Account {name} saved ({role}).").format(name=account.name,
                                                                 role=account.role))
            return EXIT_OK
        from cxr_desktop.service.guard import GuardedHistory

        guarded = GuardedHistory(session)
        if args.accounts_command == "list":
            for account in guarded.list_accounts():
                line = (_("{name}  {role}") if account.active
                        else _("{name}  {role} (switched off)"))
                print_line(line.format(name=account.name, role=account.role))
            return EXIT_OK
        query = AuditQuery(actor=args.user, action=args.action, reading_id=args.reading,
                           date_from=args.date_from, date_to=args.date_to, limit=args.limit)
        if args.csv is not None:
            from cxr_desktop.service.audit_export import export_audit_csv

            session.require("audit")
            count = export_audit_csv(guarded, args.csv, query)
            session.record("audit_export", detail=f"{count} events")
            print_line(ngettext("Exported {count} audit event to {file}",
                                "Exported {count} audit events to {file}", count).format(
                                    count=count, file=args.csv))
            return EXIT_OK
        for event in guarded.search_audit(query):
            reading = f"#{event.reading_id}" if event.reading_id is not None else ""
            print_line(_("{time}  {who}  {action}  {reading}  {detail}  {workstation}").format(
                time=event.at_utc, who=event.actor or "-", action=event.action, reading=reading,
                detail=event.detail, workstation=event.workstation).strip())
        return EXIT_OK
