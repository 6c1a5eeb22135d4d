"""The waiting list: a freed seat finds its taker by itself.

When a seat frees (a cancellation, a larger capacity, an offer not taken), the first person
waiting gets an offer: the seat is held for them (status `offered`) until a deadline
(`offer_minutes` of data/webinars.yml, never past the session's start), and a notice tells
them "Répondez OUI avant ... pour la prendre". Their OUI takes it (`take_offer`); without an
answer the offer expires (`expire_offers`, run by the scheduler every minute) and the seat goes
to the next. An offer, taken or expired, is never made again; no offer is made once the session
is less than `offer_notice_minutes` away.

Every change counts seats after a first write on the session's row, like a registration
(bot/webinars/registrations.py): two schedulers, or a cancellation and an OUI at once, never
hand out one seat twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import select, update

from bot.clock import aware, from_db, now_paris, to_db
from bot.db.models import WebinarRegistration, WebinarSession
from bot.db.retry import retrying
from bot.db.session import session_scope
from bot.mailer import email_enabled
from bot.webinars import notices
from bot.webinars.seats import EXPIRED, OFFERED, REGISTERED, WAITING, seats_taken
from bot.webinars.rules import webinar_rules


def _lock(session, session_id: int, now_db) -> WebinarSession | None:
    locked = session.execute(update(WebinarSession).where(WebinarSession.id == session_id)
                             .values(updated_at=now_db)
                             .execution_options(synchronize_session=False)).rowcount
    return session.get(WebinarSession, session_id) if locked else None


def offer_free_seats(now: datetime | None = None, url: str | None = None,
                     session_ids: list[int] | None = None) -> int:
    """Offer every free seat of the sessions not begun (or of `session_ids`) to the first
    people waiting; returns how many offers were made."""
    rules = webinar_rules()
    now = aware(now, "now") if now is not None else now_paris()
    now_db = to_db(now)
    earliest = to_db(now + timedelta(minutes=rules.offer_notice_minutes))
    with session_scope(url) as session:
        query = (select(WebinarRegistration.session_id).distinct()
                 .join(WebinarSession, WebinarSession.id == WebinarRegistration.session_id)
                 .where(WebinarRegistration.status == WAITING,
                        WebinarSession.start_at > earliest))
        if session_ids is not None:
            query = query.where(WebinarRegistration.session_id.in_(session_ids))
        candidates = list(session.execute(query).scalars())
    made = 0
    for session_id in candidates:
        made += retrying(lambda: _offer_in(session_id, now, earliest, url))
    return made


def _offer_in(session_id: int, now: datetime, earliest, url: str | None) -> int:
    rules = webinar_rules()
    now_db = to_db(now)
    with session_scope(url) as session:
        webinar = _lock(session, session_id, now_db)
        if webinar is None or webinar.start_at <= earliest:
            return 0
        free = webinar.capacity - seats_taken(session, session_id)
        if free <= 0:
            return 0
        first = session.execute(
            select(WebinarRegistration).where(WebinarRegistration.session_id == session_id,
                                              WebinarRegistration.status == WAITING)
            .order_by(WebinarRegistration.created_at, WebinarRegistration.id).limit(free)
        ).scalars().all()
        deadline = min(now + timedelta(minutes=rules.offer_minutes), from_db(webinar.start_at))
        email_on = email_enabled()
        for registration in first:
            registration.status = OFFERED
            registration.offered_at = now_db
            registration.offer_expires_at = to_db(deadline)
            registration.updated_at = now_db
            notices.add(session, registration, "offer", now, email_on)
        return len(first)


def expire_offers(now: datetime | None = None, url: str | None = None) -> int:
    """Offers past their deadline become `expired` (never offered again); returns how many.
    The seats they held are offered to the next people by `offer_free_seats`."""
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    with session_scope(url) as session:
        ids = list(session.execute(select(WebinarRegistration.id).where(
            WebinarRegistration.status == OFFERED,
            WebinarRegistration.offer_expires_at <= now_db)).scalars())
        expired = 0
        for registration_id in ids:
            expired += session.execute(
                update(WebinarRegistration).where(WebinarRegistration.id == registration_id,
                                                  WebinarRegistration.status == OFFERED)
                .values(status=EXPIRED, updated_at=now_db)
                .execution_options(synchronize_session=False)).rowcount or 0
            notices.cancel_pending(session, registration_id, {"offer"})
        return expired


class Taken(str, Enum):
    TAKEN = "taken"
    ALREADY = "already"  # the seat was already theirs
    TOO_LATE = "too_late"  # the offer expired, or the session began
    NONE = "none"  # no offer for this conversation


@dataclass(frozen=True)
class TakeResult:
    outcome: Taken
    registration_id: int | None = None
    token: str | None = None
    title: str | None = None
    start: datetime | None = None
    link: str | None = None


def latest_offer(sender_id: str, url: str | None = None) -> int | None:
    """The registration of this conversation most recently offered a seat (taken, expired or
    still open), or None."""
    with session_scope(url) as session:
        return session.execute(
            select(WebinarRegistration.id).where(WebinarRegistration.sender_id == sender_id,
                                                 WebinarRegistration.offered_at.is_not(None))
            .order_by(WebinarRegistration.offered_at.desc(), WebinarRegistration.id.desc())
            .limit(1)).scalar_one_or_none()


def take_offer(sender_id: str, now: datetime | None = None, url: str | None = None) -> TakeResult:
    """The OUI of the conversation `sender_id` to its latest offer: the seat is theirs when the
    offer is still open (its confirmation and reminders queued), else why not."""
    now = aware(now, "now") if now is not None else now_paris()
    now_db = to_db(now)
    registration_id = latest_offer(sender_id, url=url)
    if registration_id is None:
        return TakeResult(Taken.NONE)

    def attempt() -> TakeResult:
        with session_scope(url) as session:
            session_id = session.get(WebinarRegistration, registration_id).session_id
            webinar = _lock(session, session_id, now_db)
            registration = session.get(WebinarRegistration, registration_id)
            found = dict(registration_id=registration.id, token=registration.token,
                         title=webinar.title, start=from_db(webinar.start_at), link=webinar.link)
            if registration.status == REGISTERED:
                return TakeResult(Taken.ALREADY, **found)
            if (registration.status != OFFERED or registration.offer_expires_at is None
                    or registration.offer_expires_at <= now_db or webinar.start_at <= now_db):
                return TakeResult(Taken.TOO_LATE, **found)
            registration.status = REGISTERED
            registration.updated_at = now_db
            notices.cancel_pending(session, registration.id, {"offer"})
            email_on = email_enabled()
            notices.add(session, registration, "confirmed", now, email_on)
            notices.add_reminders(session, registration, from_db(webinar.start_at), now, email_on)
            return TakeResult(Taken.TAKEN, **found)

    return retrying(attempt)


