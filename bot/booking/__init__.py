"""Booking at partner places: agendas, free slots, bookings, moves, cancellations.

No Rasa here: the actions, the CLI and the back-office call these functions. Times in and out
are aware datetimes in Europe/Paris; `now` can be given everywhere (tests).
"""
from bot.booking.bookings import (Booking, active_bookings, book, cancel, find_booking,
                                  forget_contact, get_booking, move, normalize_reference,
                                  upcoming_bookings)
from bot.booking.errors import (AlreadyBooked, BookingError, BookingNotActive, BookingNotFound,
                                PlaceNotBookable, SlotFull, SlotUnavailable)
from bot.booking.rules import BookingRules, booking_rules
from bot.booking.slots import PARTS_OF_DAY, Slot, bookable, free_slots

__all__ = [
    "AlreadyBooked", "Booking", "BookingError", "BookingNotActive", "BookingNotFound",
    "BookingRules", "PARTS_OF_DAY", "PlaceNotBookable", "Slot", "SlotFull", "SlotUnavailable",
    "active_bookings", "book", "bookable", "booking_rules", "cancel", "find_booking",
    "forget_contact", "free_slots", "get_booking", "move", "normalize_reference",
    "upcoming_bookings",
]
