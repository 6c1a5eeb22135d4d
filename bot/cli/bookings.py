"""`npt bookings list`: upcoming bookings (first name and reference only)."""
from __future__ import annotations

from bot.booking.bookings import upcoming_bookings
from bot.booking.partners.errors import PartnersError
from bot.cli.common import URL_HELP, database_errors, fail, place_pk_of


@database_errors
def _bookings_list(args) -> int:
    try:
        place_pk = place_pk_of(args.place, args.url)
    except PartnersError as error:
        return fail(str(error))
    bookings = upcoming_bookings(place_pk, url=args.url)
    if not bookings:
        print("no upcoming booking")
    for booking in bookings:
        print(f"{booking.start:%Y-%m-%d %H:%M}  {booking.reference}  "
              f"{booking.first_name or '-'}\t{booking.place_name} (pk {booking.place_pk})"
              f"\t{booking.agenda_label}")
    return 0


def add_commands(sub) -> None:
    bookings = sub.add_parser("bookings", help="appointments").add_subparsers(dest="bookings", required=True)
    blist = bookings.add_parser("list", help="upcoming appointments (first name and reference only)")
    blist.add_argument("--place", metavar="PLACE_REF", help="SOURCE:ID or the place's number")
    blist.add_argument("--url", help=URL_HELP)
    blist.set_defaults(func=_bookings_list)
