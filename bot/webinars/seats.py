"""A webinar registration's statuses, and the seats a session has given: the one place both the
registrations and the offers of freed seats count from."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import WebinarRegistration

REGISTERED, WAITING, CANCELLED = "registered", "waiting", "cancelled"
OFFERED, EXPIRED = "offered", "expired"
# The statuses that hold a seat: a seat offered to the first person waiting is theirs until
# the offer's deadline.
HOLDING = (REGISTERED, OFFERED)
# The statuses that are a place in the session or in its queue (one per email).
ACTIVE = (REGISTERED, WAITING, OFFERED)


def seats_taken(session, session_id: int) -> int:
    """Seats held in the session (registered, or offered and not yet expired)."""
    return session.execute(select(func.count(WebinarRegistration.id)).where(
        WebinarRegistration.session_id == session_id,
        WebinarRegistration.status.in_(HOLDING))).scalar() or 0
