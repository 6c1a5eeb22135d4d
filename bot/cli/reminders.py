"""`npt reminders list|send`: the outbox (reminders and other notifications) by status; send
those due now."""
from __future__ import annotations

import sys

from bot.booking.partners.database import check_database
from bot.booking.partners.errors import PartnersError
from bot.cli.common import URL_HELP, database_errors, fail
from bot.notifications.outbox import NotificationStatus, counts_by_status, next_due, pending_due
from bot.notifications.sender import rasa_is_up, send_due


def _reminders_list(args) -> int:
    try:
        check_database(args.url)
    except PartnersError as error:
        return fail(str(error))
    counts = counts_by_status(args.url)
    for status in NotificationStatus:
        print(f"{status.value}\t{counts.get(status.value, 0)}")
    due = next_due(args.url)
    print(f"next due: {due:%Y-%m-%d %H:%M} (Europe/Paris)" if due else "next due: none")
    return 0


@database_errors
def _reminders_send(args) -> int:
    if args.dry_run:
        due = pending_due(url=args.url)
        print(f"dry run, nothing sent: {len(due)} due")
        for kind, reference, when in due:
            print(f"  {kind} {reference} due {when:%Y-%m-%d %H:%M}")
        return 0
    if not rasa_is_up(args.rasa):
        return fail(f"Rasa is not reachable at {args.rasa or 'NPT_RASA_URL'}; nothing was sent "
                    "(the reminders stay due)")
    report = send_due(url=args.url, rasa=args.rasa)
    if args.quiet and not (report.sent or report.failed or report.uncertain):
        return 0
    print(f"reminders sent: {report.sent}, failed: {report.failed} (retried later), "
          f"uncertain: {report.uncertain} (not retried: check with the person's structure)")
    for error in report.errors:
        print(f"  {error}", file=sys.stderr)
    return 0 if not report.failed else 1


def add_commands(sub) -> None:
    reminders = sub.add_parser("reminders", help="appointment reminders and other messages the "
                                                 "assistant sends on its own").add_subparsers(
        dest="reminders", required=True)
    rlist = reminders.add_parser("list", help="how many are pending, sent, failed...")
    rlist.add_argument("--url", help=URL_HELP)
    rlist.set_defaults(func=_reminders_list)
    rsend = reminders.add_parser("send", help="send those that are due (the scheduler does it "
                                              "every minute)")
    rsend.add_argument("--url", help="database URL (default: NPT_DATABASE_URL)")
    rsend.add_argument("--rasa", help="Rasa server URL (default: NPT_RASA_URL)")
    rsend.add_argument("--dry-run", action="store_true", help="list what is due, send nothing")
    rsend.add_argument("--quiet", action="store_true",
                       help="print nothing when nothing was due (the scheduler's log)")
    rsend.set_defaults(func=_reminders_send)
