"""Attendance, marked by the organisers once the session has begun: each person with a seat is
present or absent; the attendee list exports it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.clock import aware, now_paris, to_db
from bot.db.models import WebinarRegistration, WebinarSession
from bot.db.session import session_scope
from bot.webinars.errors import WebinarError
from bot.webinars.seats import REGISTERED


def mark_attendance(session_id: int, present: set[int], now: datetime | None = None,
                    url: str | None = None) -> tuple[int, int]:
    """Those of `present` (registration ids) attended, the other seats did not; (present,
    absent). Refused before the session's start."""
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    with session_scope(url) as session:
        webinar = session.get(WebinarSession, session_id)
        if webinar is None:
            raise WebinarError(f"no webinar session {session_id}", "Cette session n'existe pas.")
        if webinar.start_at > now_db:
            raise WebinarError(f"session {session_id} has not begun",
                               "La présence se note une fois la session commencée.")
        seats = list(session.execute(select(WebinarRegistration).where(
            WebinarRegistration.session_id == session_id,
            WebinarRegistration.status == REGISTERED)).scalars())
        for registration in seats:
            registration.attended = registration.id in present
        came = sum(1 for r in seats if r.attended)
        return came, len(seats) - came
