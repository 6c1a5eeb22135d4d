"""Why a booking cannot be made, moved or cancelled. Messages are for logs and operators; the
conversation chooses its own words from the class."""
from __future__ import annotations


class BookingError(Exception):
    """Any refusal of the booking functions."""


class SlotUnavailable(BookingError):
    """That time is not a slot one can book now: past, too soon (less than the minimum lead),
    beyond the horizon, in a closure or a public holiday, or not a slot of the place's agendas."""


class PlaceNotBookable(SlotUnavailable):
    """The place takes no booking through the assistant (not a partner, bookings off, no agenda)."""


class SlotFull(BookingError):
    """Every seat of that slot is taken."""


class AlreadyBooked(BookingError):
    """The person already has an open booking at that place; `.booking` is that booking."""

    def __init__(self, booking):
        self.booking = booking
        super().__init__(f"already booked at {booking.place_name}: {booking.reference} "
                         f"on {booking.start.isoformat()}")


class BookingNotFound(BookingError):
    """No booking with that id (or reference) for that person."""


class BookingNotActive(BookingNotFound):
    """The booking exists but can no longer be moved or cancelled: cancelled, or already begun."""
