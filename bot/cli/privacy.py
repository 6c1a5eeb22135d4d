"""`npt privacy purge|export`: retention, and everything stored about one person."""
from __future__ import annotations

import json
import sys
from datetime import datetime
from bot import clock
from bot.cli.common import URL_HELP, database_errors, fail
from bot.config import SettingError
from bot.people.access import export_person, is_empty
from bot.people.identity import IdentityError, person_ref
from bot.people.retention import purge

PARIS = clock.PARIS
TRACKER_HELP = "Rasa's tracker database URL (default: NPT_TRACKER_DATABASE_URL or var/tracker.db)"


def _parse_now(value: str) -> datetime:
    """--now: an ISO date or date-time; without an offset it is Europe/Paris time."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise ValueError(f"--now {value!r} is not an ISO date or date-time (for example "
                         f"2026-12-01, 2026-12-01T09:00 or 2026-12-01T09:00+01:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment


@database_errors
def _privacy_purge(args) -> int:
    try:
        now = _parse_now(args.now) if args.now else clock.now()
        report = purge(now=now, dry_run=args.dry_run, url=args.url, tracker_url=args.tracker_url)
    except (SettingError, ValueError) as error:
        return fail(str(error))
    for line in report.lines():
        print(line)
    return 0


@database_errors
def _privacy_export(args) -> int:
    try:
        ref = person_ref(args.who, args.channel)
    except IdentityError as error:
        return fail(str(error))
    data = export_person(ref, url=args.url, tracker_url=args.tracker_url)
    print(json.dumps(data, ensure_ascii=False, indent=2))
    if is_empty(data):
        print("note: nothing is stored about this person", file=sys.stderr)
    return 0


def add_commands(sub) -> None:
    privacy = sub.add_parser("privacy", help="retention and the right of access").add_subparsers(
        dest="privacy", required=True)
    ppurge = privacy.add_parser("purge", help="delete what is older than NPT_RETENTION_MONTHS "
                                              "(conversations, SMS texts and numbers, chat "
                                              "choices, diagnostics no referral needs) and the "
                                              "contact data of bookings over for more than "
                                              "NPT_RETENTION_BOOKING_DAYS; the scheduler does it "
                                              "daily")
    ppurge.add_argument("--dry-run", action="store_true", help="count, change nothing")
    ppurge.add_argument("--now", metavar="ISO", help="purge as if it were this time (ISO date or "
                                                    "date-time; Europe/Paris without an offset)")
    ppurge.add_argument("--url", help=URL_HELP)
    ppurge.add_argument("--tracker-url", help=TRACKER_HELP)
    ppurge.set_defaults(func=_privacy_purge)
    pexport = privacy.add_parser("export", help="everything stored about one person, as JSON "
                                                "(droit d'accès)")
    pexport.add_argument("who", metavar="PHONE|CHAT_ID", help="a phone number (06 12 34 56 78, "
                                                              "+33612345678) or a Telegram chat id")
    pexport.add_argument("--channel", choices=["sms", "telegram", "web"],
                         help="what WHO is (default: a number starting with + or 0 is a phone, "
                              "other digits a Telegram chat id)")
    pexport.add_argument("--url", help=URL_HELP)
    pexport.add_argument("--tracker-url", help=TRACKER_HELP)
    pexport.set_defaults(func=_privacy_export)
