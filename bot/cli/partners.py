"""`npt partners load|list|closure add`: partner places, their agendas and closures."""
from __future__ import annotations

import sys

from bot.booking.partners.closures import add_closure
from bot.booking.partners.errors import PartnersError, PartnersFileError
from bot.booking.partners.listing import list_partners
from bot.booking.partners.load import load_partners
from bot.cli.common import URL_HELP, database_errors, fail, parse_day


@database_errors
def _partners_load(args) -> int:
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
        return fail(str(error))
    for line in report.lines():
        print(line)
    return 0


@database_errors
def _partners_list(args) -> int:
    try:
        partners = list_partners(url=args.url)
    except PartnersError as error:
        return fail(str(error))
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


@database_errors
def _partners_closure_add(args) -> int:
    try:
        start, end = parse_day(args.start, "--from"), parse_day(args.end, "--to")
        added = add_closure(args.place, start, end, args.reason, agenda_key=args.agenda, url=args.url)
    except (PartnersError, ValueError) as error:
        return fail(str(error))
    print(f"closure {added.closure_id}: {added.place_name} closed from {start} to {end}")
    if added.bookings_inside:
        print(f"warning: {len(added.bookings_inside)} upcoming booking(s) fall in it and are NOT "
              f"cancelled: {', '.join(added.bookings_inside)}", file=sys.stderr)
    return 0


def add_commands(sub) -> None:
    partners = sub.add_parser("partners", help="partner places and their agendas").add_subparsers(
        dest="partners", required=True)
    load = partners.add_parser("load", help="make the partners those of a file (checked first, "
                                            "loaded in one transaction; loading twice changes nothing)")
    load.add_argument("file", nargs="?", help="partners YAML (default: data/partners/demo.yml)")
    load.add_argument("--override", action="store_true",
                      help="also replace the hours, slot length and seats that structures "
                           "changed in the back-office (kept otherwise)")
    load.add_argument("--url", help=URL_HELP)
    load.set_defaults(func=_partners_load)
    plist = partners.add_parser("list", help="partner places, agendas, weekly hours and closures")
    plist.add_argument("--url", help=URL_HELP)
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
    cadd.add_argument("--url", help=URL_HELP)
    cadd.set_defaults(func=_partners_closure_add)
