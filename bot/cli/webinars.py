"""`npt webinars create|list|attendees`: the Métropole's webinar sessions and who registered."""
from __future__ import annotations

import sys

from bot.cli.common import URL_HELP, cli_user, database_errors, fail, write_output
from bot.webinars.attendees import attendees, attendees_csv, attendees_xlsx
from bot.webinars.errors import WebinarError
from bot.webinars.sessions import create_session, edit_session, get_session, list_sessions


@database_errors
def _create(args) -> int:
    try:
        created = create_session(args.title, args.start, args.minutes, args.capacity, args.link,
                                 actor=cli_user(), audience=args.audience,
                                 description=args.description, url=args.url)
    except WebinarError as error:
        return fail(str(error))
    print(f"webinar {created.id} created: {created.title}, {created.start:%Y-%m-%d %H:%M} "
          f"(Europe/Paris), {created.minutes} min, {created.capacity} seats")
    return 0


@database_errors
def _list(args) -> int:
    rows = list_sessions(upcoming_only=not args.all, url=args.url)
    if not rows:
        print("no webinar to come (npt webinars create --title T --start YYYY-MM-DDTHH:MM "
              "--minutes N --capacity N --link URL)")
    for row in rows:
        print(f"{row.id}\t{row.start:%Y-%m-%d %H:%M}\t{row.minutes} min\t{row.title}\t"
              f"registered {row.registered}/{row.capacity}\twaiting {row.waiting}\t{row.link}")
    return 0


@database_errors
def _attendees(args) -> int:
    webinar = get_session(args.id, url=args.url)
    if webinar is None:
        return fail(f"no webinar {args.id} (npt webinars list --all)")
    to_stdout = args.output in (None, "-")
    if args.format == "xlsx" and to_stdout and sys.stdout.isatty():
        return fail("will not write a binary XLSX file to the terminal: give --output "
                    "FILE.xlsx or redirect the output")
    rows = attendees(webinar.id, url=args.url)
    data = (attendees_csv(rows) if args.format == "csv" else
            attendees_xlsx(rows, f"{webinar.title} — {webinar.start:%d/%m/%Y %H:%M}"))
    failed = write_output(args.output, data)
    if failed is not None or to_stdout:
        return failed or 0
    print(f"{args.output}: {len(rows)} attendee{'s' if len(rows) != 1 else ''} of webinar "
          f"{webinar.id}", file=sys.stderr)
    return 0


@database_errors
def _edit(args) -> int:
    fields = {name: getattr(args, name) for name in ("title", "start", "minutes", "capacity",
                                                     "link")}
    if all(value is None for value in fields.values()):
        return fail("nothing to change: give --title, --start, --minutes, --capacity or --link")
    try:
        webinar, told = edit_session(args.id, actor=cli_user(), url=args.url, **fields)
    except WebinarError as error:
        return fail(str(error))
    print(f"webinar {webinar.id} changed: {webinar.title}, {webinar.start:%Y-%m-%d %H:%M} "
          f"(Europe/Paris), {webinar.minutes} min, {webinar.capacity} seats; "
          f"{told} {'person' if told == 1 else 'people'} will be told")
    return 0


@database_errors
def _send(args) -> int:
    from bot.notifications.sender import rasa_is_up
    from bot.webinars.notices import pending_due
    from bot.webinars.sender import send_due

    if args.dry_run:
        due = pending_due(url=args.url)
        print(f"dry run, nothing sent: {len(due)} notice{'s' if len(due) != 1 else ''} due")
        for kind, medium, when in due:
            print(f"  {kind} by {medium} due {when:%Y-%m-%d %H:%M}")
        return 0
    if not rasa_is_up(args.rasa):
        return fail(f"Rasa is not reachable at {args.rasa or 'NPT_RASA_URL'}; nothing was sent "
                    "(the notices stay due)")
    report = send_due(url=args.url, rasa=args.rasa)
    if args.quiet and not (report.sent or report.failed or report.uncertain or report.expired
                           or report.offered):
        return 0
    print(f"webinar offers expired: {report.expired}, seats offered: {report.offered}, "
          f"notices sent: {report.sent}, failed: {report.failed} (retried later), "
          f"uncertain: {report.uncertain} (not retried)")
    for error in report.errors:
        print(f"  {error}", file=sys.stderr)
    return 0 if not report.failed else 1


def add_commands(sub) -> None:
    group = sub.add_parser("webinars", help="webinar sessions for commune staff, and their "
                                            "attendees").add_subparsers(dest="webinars",
                                                                        required=True)
    create = group.add_parser("create", help="a new session")
    create.add_argument("--title", required=True)
    create.add_argument("--start", required=True, help="YYYY-MM-DDTHH:MM, Europe/Paris")
    create.add_argument("--minutes", required=True, help="duration in minutes")
    create.add_argument("--capacity", required=True, help="number of seats")
    create.add_argument("--link", required=True, help="the visio link (https://...)")
    create.add_argument("--audience", help="who it is for (agents, élus...)")
    create.add_argument("--description", help="a short description")
    create.add_argument("--url", help=URL_HELP)
    create.set_defaults(func=_create)
    listing = group.add_parser("list", help="sessions to come, with their seats")
    listing.add_argument("--all", action="store_true", help="past sessions too")
    listing.add_argument("--url", help=URL_HELP)
    listing.set_defaults(func=_list)
    people = group.add_parser("attendees", help="a session's attendee list (registered, then "
                                                "the waiting list)")
    people.add_argument("id", type=int)
    people.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    people.add_argument("--output", help="a file (default: standard output)")
    people.add_argument("--url", help=URL_HELP)
    people.set_defaults(func=_attendees)
    edit = group.add_parser("edit", help="change a session; a new time or link is told to "
                                         "every registrant, with the invitation again")
    edit.add_argument("id", type=int)
    edit.add_argument("--title")
    edit.add_argument("--start", help="YYYY-MM-DDTHH:MM, Europe/Paris")
    edit.add_argument("--minutes")
    edit.add_argument("--capacity")
    edit.add_argument("--link")
    edit.add_argument("--url", help=URL_HELP)
    edit.set_defaults(func=_edit)
    send = group.add_parser("send", help="expire offers, offer freed seats, send the due "
                                         "reminders, offers and invitations (the scheduler "
                                         "does it every minute)")
    send.add_argument("--url", help=URL_HELP)
    send.add_argument("--rasa", help="Rasa server URL (default: NPT_RASA_URL)")
    send.add_argument("--dry-run", action="store_true", help="list what is due, send nothing")
    send.add_argument("--quiet", action="store_true",
                      help="print nothing when nothing happened (the scheduler's log)")
    send.set_defaults(func=_send)
