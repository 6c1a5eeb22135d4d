"""What a structure's staff (or a Métropole admin) does to a booking from the back-office."""
from __future__ import annotations

from datetime import datetime

from bot.booking.bookings import Booking, cancel


def cancel_by_staff(booking_id: int, *, by: str, actor: str, now: datetime | None = None,
                    url: str | None = None) -> Booking:
    """Cancel a booking for the structure (`by` = "structure" or "admin", `actor` = the account's
    e-mail for the audit log); the person is told on their channel (queued in the same
    transaction, sent by the scheduler; never after STOP). BookingNotActive once it has begun."""
    if by not in ("structure", "admin"):
        raise ValueError(f"staff cancel as 'structure' or 'admin', not {by!r}")
    return cancel(booking_id, person_key=None, by=by, actor=actor, notify_person=True, now=now,
                  url=url)
