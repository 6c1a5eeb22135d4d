"""`npt`: the operators' command line. Each subcommand calls one function of `bot/`."""
from __future__ import annotations

import argparse
import json
import sys

from bot.diagnostic import AnswersError, GridError, evaluate, load_grid, result_message


def _db_upgrade(args) -> int:
    from bot.config import database_url
    from bot.db.session import current_revision, upgrade

    upgrade(args.url)
    print(f"database at revision {current_revision(args.url)} ({args.url or database_url()})")
    return 0


def _grid_check(args) -> int:
    try:
        grid = load_grid(args.file)
    except GridError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"grid {grid.version}: {len(grid.questions)} questions, {len(grid.levels)} levels, "
          f"max score {grid.max_score}")
    return 0


def _diagnostic_evaluate(args) -> int:
    answers = {}
    for item in args.answers:
        question, sep, value = item.partition("=")
        if not sep or not question.strip():
            print(f"error: {item!r} is not QUESTION=OPTION (for example usage=3)", file=sys.stderr)
            return 2
        answers[question.strip()] = value.strip()
    try:
        result = evaluate(answers, load_grid(args.grid) if args.grid else None)
    except (AnswersError, GridError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    output = result.to_dict()
    output["message"] = result_message(result)
    print(json.dumps(output, ensure_ascii=False, indent=2))
    return 0


def _results_summary(args) -> int:
    from bot.diagnostic.results import level_counts

    counts = level_counts(args.url)
    if not counts:
        print("no diagnostic stored yet")
    for level, count in sorted(counts.items()):
        print(f"{level}\t{count}")
    return 0


def _print_places_report(report) -> None:
    for line in report.lines():
        print(line)


def _places_import(args) -> int:
    from bot.places import PlacesFileError, PlacesImportError, import_places

    try:
        report = import_places(args.file, source=args.source, url=args.url)
    except PlacesFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except PlacesImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _print_places_report(report)
    return 0


def _places_seed(args) -> int:
    from bot.places import PlacesImportError, seed_default_places

    try:
        report = seed_default_places(args.url)
    except PlacesImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _print_places_report(report)
    return 0


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _database_errors(func):
    """A database that cannot be used is one line on stderr and exit 2, never a traceback."""
    def run(args) -> int:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return func(args)
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0][:200]
            if "no such table" in reason or "does not exist" in reason:
                return _fail(f"the database is not ready ({reason}): run `npt db upgrade` first")
            return _fail(f"the database refused the operation: {reason}")
    return run


def _parse_day(value: str, option: str):
    from datetime import date

    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{option} {value!r} is not a date YYYY-MM-DD") from None


@_database_errors
def _partners_load(args) -> int:
    from bot.booking.partners import PartnersError, PartnersFileError, load_partners

    try:
        report = load_partners(args.file, url=args.url, override=args.override)
    except PartnersFileError as error:
        count = len(error.problems)
        print(f"error: {error.path}: {count} problem{'s' if count > 1 else ''}, nothing was loaded:",
              file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except PartnersError as error:
        return _fail(str(error))
    for line in report.lines():
        print(line)
    return 0


@_database_errors
def _partners_list(args) -> int:
    from bot.booking.partners import PartnersError, list_partners

    try:
        partners = list_partners(url=args.url)
    except PartnersError as error:
        return _fail(str(error))
    if not partners:
        print("no partner place (load a partners file: `npt partners load`)")
    for partner in partners:
        state = "bookings on" if partner.booking_enabled else "bookings OFF"
        print(f"{partner.pk}\t{partner.ref}\t{partner.name} ({partner.commune}) [{state}]")
        for agenda in partner.agendas:
            if not agenda.active:
                continue
            print(f"    agenda {agenda.key}: {agenda.label}, {agenda.slot_minutes} min, "
                  f"{agenda.seats} seat{'s' if agenda.seats > 1 else ''}")
            for hours in agenda.hours:
                print(f"        {hours}")
        for closure in partner.closures:
            only = f" (agenda {closure.agenda_key})" if closure.agenda_key else ""
            print(f"    closed {closure.start} to {closure.end}{only}: {closure.reason} "
                  f"[{closure.origin}, id {closure.id}]")
    return 0


@_database_errors
def _partners_closure_add(args) -> int:
    from bot.booking.partners import PartnersError, add_closure

    try:
        start, end = _parse_day(args.start, "--from"), _parse_day(args.end, "--to")
        added = add_closure(args.place, start, end, args.reason, agenda_key=args.agenda, url=args.url)
    except (PartnersError, ValueError) as error:
        return _fail(str(error))
    print(f"closure {added.closure_id}: {added.place_name} closed from {start} to {end}")
    if added.bookings_inside:
        print(f"warning: {len(added.bookings_inside)} upcoming booking(s) fall in it and are NOT "
              f"cancelled: {', '.join(added.bookings_inside)}", file=sys.stderr)
    return 0


def _place_pk(ref: str | None, url: str | None) -> int | None:
    """The database is ready, and the number of the place PLACE_REF names (None for no ref).
    PartnersError (PlaceNotFound) says what is wrong."""
    from bot.booking.partners import PlaceNotFound, check_database, resolve_place
    from bot.db.session import session_scope

    check_database(url)
    if not ref:
        return None
    with session_scope(url) as session:
        place = resolve_place(session, ref)
        if place is None:
            raise PlaceNotFound(f"no place {ref!r} (give SOURCE:ID, for example "
                                f"france-services-2024-08-01:435, or the place's number)")
        return place.pk


@_database_errors
def _bookings_list(args) -> int:
    from bot.booking import upcoming_bookings
    from bot.booking.partners import PartnersError

    try:
        place_pk = _place_pk(args.place, args.url)
    except PartnersError as error:
        return _fail(str(error))
    bookings = upcoming_bookings(place_pk, url=args.url)
    if not bookings:
        print("no upcoming booking")
    for booking in bookings:
        print(f"{booking.start:%Y-%m-%d %H:%M}  {booking.reference}  "
              f"{booking.first_name or '-'}\t{booking.place_name} (pk {booking.place_pk})"
              f"\t{booking.agenda_label}")
    return 0


@_database_errors
def _reminders_send(args) -> int:
    from bot.messaging.reminders import rasa_is_up, send_due_reminders

    if not rasa_is_up(args.rasa):
        print(f"error: Rasa is not reachable at {args.rasa or 'NPT_RASA_URL'}; nothing was sent "
              "(the reminders stay due)", file=sys.stderr)
        return 2
    report = send_due_reminders(url=args.url, rasa=args.rasa)
    print(f"reminders sent: {report.sent}, failed: {report.failed} (retried later), "
          f"uncertain: {report.uncertain} (not retried: check with the person's structure)")
    for error in report.errors:
        print(f"  {error}", file=sys.stderr)
    return 0 if not report.failed else 1


def _inbound(args) -> int:
    """Messages received from people, by channel and processing status."""
    from bot.messaging import sms_store, telegram_store

    counts = {"sms": sms_store.inbound_counts(args.url),
              "telegram": telegram_store.counts(args.url)}
    for channel, by_status in counts.items():
        line = ", ".join(f"{status} {count}" for status, count in sorted(by_status.items()))
        print(f"{channel}\t{line or 'none'}")
    stuck = sum(by_status.get("failed", 0) for by_status in counts.values())
    if stuck:
        print(f"{stuck} message(s) could not be processed: see their last_error (sms_messages, "
              "channel_updates) and the Rasa log", file=sys.stderr)
    return 1 if stuck else 0


def _reminders_list(args) -> int:
    from bot.booking.partners import PartnersError, check_database
    from bot.reminders import ReminderStatus, reminder_counts
    from bot.reminders.store import next_due

    try:
        check_database(args.url)
    except PartnersError as error:
        return _fail(str(error))
    counts = reminder_counts(args.url)
    for status in ReminderStatus:
        print(f"{status.value}\t{counts.get(status.value, 0)}")
    due = next_due(args.url)
    print(f"next due: {due:%Y-%m-%d %H:%M} (Europe/Paris)" if due else "next due: none")
    return 0


def _telegram_set_webhook(args) -> int:
    from bot.messaging.telegram_webhook import TelegramSetupError, set_webhook

    try:
        url = set_webhook(args.url)
    except TelegramSetupError as error:
        return _fail(str(error))
    print(f"Telegram will send updates to {url}")
    return 0


def _parse_now(value: str):
    """--now: an ISO date or date-time; without an offset it is Europe/Paris time."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise ValueError(f"--now {value!r} is not an ISO date or date-time (for example "
                         f"2026-12-01, 2026-12-01T09:00 or 2026-12-01T09:00+01:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Europe/Paris"))
    return moment


@_database_errors
def _privacy_purge(args) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.config import SettingError
    from bot.people.retention import purge

    try:
        now = _parse_now(args.now) if args.now else datetime.now(ZoneInfo("Europe/Paris"))
        report = purge(now=now, dry_run=args.dry_run, url=args.url, tracker_url=args.tracker_url)
    except (SettingError, ValueError) as error:
        return _fail(str(error))
    for line in report.lines():
        print(line)
    return 0


@_database_errors
def _privacy_export(args) -> int:
    from bot.people.access import export_person, is_empty
    from bot.people.identity import IdentityError, person_ref

    try:
        ref = person_ref(args.who, args.channel)
    except IdentityError as error:
        return _fail(str(error))
    data = export_person(ref, url=args.url, tracker_url=args.tracker_url)
    print(json.dumps(data, ensure_ascii=False, indent=2))
    if is_empty(data):
        print("note: nothing is stored about this person", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="npt", description="Numérique pour Tous: operators' tools")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="the assistant's database").add_subparsers(dest="db", required=True)
    up = db.add_parser("upgrade", help="create or migrate the database to the latest schema")
    up.add_argument("--url", help="SQLAlchemy URL (default: NPT_DATABASE_URL or var/npt.db)")
    up.set_defaults(func=_db_upgrade)

    grid = sub.add_parser("grid", help="the diagnostic grid").add_subparsers(dest="grid", required=True)
    check = grid.add_parser("check", help="validate a grid file")
    check.add_argument("file", nargs="?", help="grid YAML (default: data/diagnostic.yml)")
    check.set_defaults(func=_grid_check)

    diag = sub.add_parser("diagnostic", help="the diagnostic engine").add_subparsers(dest="diag", required=True)
    ev = diag.add_parser("evaluate", help="score answers given as QUESTION=OPTION")
    ev.add_argument("answers", nargs="+", metavar="QUESTION=OPTION")
    ev.add_argument("--grid", help="grid YAML (default: data/diagnostic.yml)")
    ev.set_defaults(func=_diagnostic_evaluate)

    results = sub.add_parser("results", help="stored diagnostics").add_subparsers(dest="results", required=True)
    summary = results.add_parser("summary", help="count stored diagnostics by level")
    summary.add_argument("--url", help="SQLAlchemy URL (default: NPT_DATABASE_URL or var/npt.db)")
    summary.set_defaults(func=_results_summary)

    places = sub.add_parser("places", help="the directory of places").add_subparsers(dest="places", required=True)
    imp = places.add_parser("import", help="import a CSV file of the national standard "
                                           "'lieux de médiation numérique' v1.0.2 (upsert by source and id)")
    imp.add_argument("file", help="CSV file (UTF-8, ',' or ';' separated, header with the standard's columns)")
    imp.add_argument("--source", help="name of the source its rows belong to (default: the file's name)")
    imp.add_argument("--url", help="SQLAlchemy URL (default: NPT_DATABASE_URL or var/npt.db)")
    imp.set_defaults(func=_places_import)
    seed = places.add_parser("seed", help="import the default directory (France Services sites of the MGP)")
    seed.add_argument("--url", help="SQLAlchemy URL (default: NPT_DATABASE_URL or var/npt.db)")
    seed.set_defaults(func=_places_seed)

    url_help = "SQLAlchemy URL (default: NPT_DATABASE_URL or var/npt.db)"
    partners = sub.add_parser("partners", help="partner places and their agendas").add_subparsers(
        dest="partners", required=True)
    load = partners.add_parser("load", help="make the partners those of a file (checked first, "
                                            "loaded in one transaction; loading twice changes nothing)")
    load.add_argument("file", nargs="?", help="partners YAML (default: data/partners/demo.yml)")
    load.add_argument("--override", action="store_true",
                      help="also replace the hours, slot length and seats that structures "
                           "changed in the back-office (kept otherwise)")
    load.add_argument("--url", help=url_help)
    load.set_defaults(func=_partners_load)
    plist = partners.add_parser("list", help="partner places, agendas, weekly hours and closures")
    plist.add_argument("--url", help=url_help)
    plist.set_defaults(func=_partners_list)
    closure = partners.add_parser("closure", help="days a partner place takes no appointment") \
        .add_subparsers(dest="closure", required=True)
    cadd = closure.add_parser("add", help="close a place (or one agenda) from a day to a day, both "
                                          "included; kept across `npt partners load`")
    cadd.add_argument("place", metavar="PLACE_REF", help="SOURCE:ID (france-services-2024-08-01:435) "
                                                         "or the place's number")
    cadd.add_argument("--from", dest="start", required=True, metavar="DATE", help="YYYY-MM-DD")
    cadd.add_argument("--to", dest="end", required=True, metavar="DATE", help="YYYY-MM-DD")
    cadd.add_argument("--reason", required=True, help="why (for operators)")
    cadd.add_argument("--agenda", help="close only this agenda (its key)")
    cadd.add_argument("--url", help=url_help)
    cadd.set_defaults(func=_partners_closure_add)

    bookings = sub.add_parser("bookings", help="appointments").add_subparsers(dest="bookings", required=True)
    blist = bookings.add_parser("list", help="upcoming appointments (first name and reference only)")
    blist.add_argument("--place", metavar="PLACE_REF", help="SOURCE:ID or the place's number")
    blist.add_argument("--url", help=url_help)
    blist.set_defaults(func=_bookings_list)

    reminders = sub.add_parser("reminders", help="appointment reminders").add_subparsers(
        dest="reminders", required=True)
    rlist = reminders.add_parser("list", help="how many reminders are pending, sent, failed...")
    rlist.add_argument("--url", help=url_help)
    rlist.set_defaults(func=_reminders_list)
    rsend = reminders.add_parser("send", help="send the reminders that are due (the scheduler "
                                              "does it every minute)")
    rsend.add_argument("--url", help="database URL (default: NPT_DATABASE_URL)")
    rsend.add_argument("--rasa", help="Rasa server URL (default: NPT_RASA_URL)")
    rsend.set_defaults(func=_reminders_send)

    inbound = sub.add_parser("inbound", help="messages received by SMS and Telegram, by status "
                                             "(exit 1 when some could not be processed)")
    inbound.add_argument("--url", help="database URL (default: NPT_DATABASE_URL)")
    inbound.set_defaults(func=_inbound)

    telegram = sub.add_parser("telegram", help="the Telegram channel").add_subparsers(
        dest="telegram", required=True)
    hook = telegram.add_parser("set-webhook", help="register this assistant's webhook with "
                                                   "Telegram (with the secret token)")
    hook.add_argument("--url", help="public HTTPS base URL (default: NPT_PUBLIC_URL)")
    hook.set_defaults(func=_telegram_set_webhook)

    tracker_help = "Rasa's tracker database URL (default: NPT_TRACKER_DATABASE_URL or var/tracker.db)"
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
    ppurge.add_argument("--url", help=url_help)
    ppurge.add_argument("--tracker-url", help=tracker_help)
    ppurge.set_defaults(func=_privacy_purge)
    pexport = privacy.add_parser("export", help="everything stored about one person, as JSON "
                                                "(droit d'accès)")
    pexport.add_argument("who", metavar="PHONE|CHAT_ID", help="a phone number (06 12 34 56 78, "
                                                              "+33612345678) or a Telegram chat id")
    pexport.add_argument("--channel", choices=["sms", "telegram", "web"],
                         help="what WHO is (default: a number starting with + or 0 is a phone, "
                              "other digits a Telegram chat id)")
    pexport.add_argument("--url", help=url_help)
    pexport.add_argument("--tracker-url", help=tracker_help)
    pexport.set_defaults(func=_privacy_export)

    # Funding (ledger, reports) and back-office accounts keep their commands beside their code.
    from bot.funding.commands import add_funding_commands
    from bot.web.backoffice.commands import add_account_commands

    add_funding_commands(sub)
    add_account_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
