"""Registering for a webinar: one registration per email and session, the seats counted under
a lock so that a full session never takes one more (every registration first writes the
session's row: on PostgreSQL a row lock, on SQLite the database's write lock, and the count
comes after), and a waiting list, first come first served."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import select, update

from bot.clock import aware, from_db, now_paris, to_db
from bot.db.models import WebinarRegistration, WebinarSession
from bot.db.retry import retrying
from bot.db.session import session_scope
from bot.geo.member import member_commune
from bot.mailer import email_enabled
from bot.pseudonyms import conversation_identity, person_key
from bot.webinars import notices
from bot.webinars.emails import checked_email
from bot.webinars.errors import WebinarError
from bot.webinars.links import new_token
from bot.webinars.offers import offer_free_seats
from bot.webinars.seats import ACTIVE, CANCELLED, REGISTERED, WAITING, seats_taken

ROLES = {"agent": "Agent de la commune", "elu": "Élu(e)", "autre": "Autre"}


class Outcome(str, Enum):
    REGISTERED = "registered"
    WAITING = "waiting"  # on the waiting list
    ALREADY = "already"  # this email already has a place (or is waiting) in this session
    FULL = "full"  # no seat left, and the waiting list was not wanted


@dataclass(frozen=True)
class Registration:
    outcome: Outcome
    registration_id: int | None = None
    status: str | None = None  # the row's status: registered or waiting
    token: str | None = None  # the secret of its links (bot/webinars/links.py)


def _email(email: str) -> tuple[str, str]:
    email = checked_email(email)
    return email, email.lower()


def register(session_id: int, name: str, email: str, commune: str, role: str, channel: str,
             sender_id: str | None = None, waiting_list: bool = True,
             now: datetime | None = None, url: str | None = None) -> Registration:
    """Register `email` for the session: a seat when one is left, else the waiting list (or
    FULL when `waiting_list` is False). Raises WebinarError for a wrong field, an unknown
    session or one that has begun."""
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise WebinarError("a name of 1 to 120 characters is needed",
                           "Indiquez votre nom (120 caractères au plus).")
    email, email_key = _email(email)
    place = member_commune(commune)
    if place is None:
        raise WebinarError(f"{commune!r} is not a commune of the Métropole du Grand Paris",
                           "Cette commune ne fait pas partie de la Métropole du Grand Paris.")
    if role not in ROLES:
        raise WebinarError(f"role must be one of {', '.join(ROLES)}, not {role!r}",
                           "Choisissez : agent, élu(e) ou autre.")
    now = aware(now, "now") if now is not None else now_paris()
    now_db = to_db(now)

    def attempt() -> Registration:
        with session_scope(url) as session:
            # First write: the session's row, so that two registrations count one after the
            # other.
            locked = session.execute(update(WebinarSession).where(WebinarSession.id == session_id)
                                     .values(updated_at=now_db)
                                     .execution_options(synchronize_session=False)).rowcount
            webinar = session.get(WebinarSession, session_id) if locked else None
            if webinar is None:
                raise WebinarError(f"no webinar session {session_id}",
                                   "Cette session n'existe pas.")
            if from_db(webinar.start_at) <= now:
                raise WebinarError(f"session {session_id} has begun",
                                   "Cette session a déjà commencé.")
            existing = session.execute(select(WebinarRegistration).where(
                WebinarRegistration.session_id == session_id,
                WebinarRegistration.email_key == email_key)).scalar_one_or_none()
            if existing is not None and existing.status in ACTIVE:
                return Registration(Outcome.ALREADY, existing.id, existing.status)
            taken = seats_taken(session, session_id)
            status = REGISTERED if taken < webinar.capacity else WAITING
            if status == WAITING and not waiting_list:
                return Registration(Outcome.FULL)
            values = dict(name=name, email=email, commune_insee=place.commune_insee, role=role,
                          channel=channel[:32], sender_id=(sender_id or None), status=status,
                          updated_at=now_db, token=new_token(), offered_at=None,
                          offer_expires_at=None,
                          person_key=(person_key(conversation_identity(sender_id))
                                      if sender_id else None))
            if existing is not None:  # cancelled (or missed an offer): again, at the back
                for key, value in values.items():
                    setattr(existing, key, value)
                existing.created_at = now_db
                row = existing
            else:
                row = WebinarRegistration(session_id=session_id, email_key=email_key,
                                          created_at=now_db, **values)
                session.add(row)
            session.flush()
            email_on = email_enabled()
            if status == REGISTERED:
                notices.add(session, row, "confirmed", now, email_on)
                notices.add_reminders(session, row, from_db(webinar.start_at), now, email_on)
            else:
                notices.add(session, row, "waiting", now, email_on)
            return Registration(Outcome(status), row.id, status, row.token)

    return retrying(attempt)


def cancel_registration(session_id: int, email: str, now: datetime | None = None,
                        url: str | None = None) -> bool:
    """Cancel the registration (or the waiting) of `email` in the session; True when there was
    one. A freed seat is offered to the first person waiting at once."""
    _, email_key = _email(email)
    with session_scope(url) as session:
        found = session.execute(select(WebinarRegistration.id).where(
            WebinarRegistration.session_id == session_id,
            WebinarRegistration.email_key == email_key)).scalar_one_or_none()
    return found is not None and cancel_by_id(found, now=now, url=url)


def cancel_by_id(registration_id: int, sender_id: str | None = None,
                 now: datetime | None = None, url: str | None = None) -> bool:
    """Cancel one registration (of this conversation only, when `sender_id` is given); its
    pending notices go too, and a freed seat is offered to the first person waiting."""
    now = aware(now, "now") if now is not None else now_paris()
    with session_scope(url) as session:
        query = update(WebinarRegistration).where(WebinarRegistration.id == registration_id,
                                                  WebinarRegistration.status.in_(ACTIVE))
        if sender_id is not None:
            query = query.where(WebinarRegistration.sender_id == sender_id)
        done = (session.execute(query.values(status=CANCELLED, updated_at=to_db(now))
                                .execution_options(synchronize_session=False)).rowcount or 0) == 1
        if done:
            notices.cancel_pending(session, registration_id)
            session_id = session.get(WebinarRegistration, registration_id).session_id
    if done:
        offer_free_seats(now, url=url, session_ids=[session_id])
    return done


@dataclass(frozen=True)
class MyRegistration:
    id: int
    session_id: int
    title: str
    start: datetime
    status: str
    token: str


def registrations_of_conversation(sender_id: str, now: datetime | None = None,
                                  url: str | None = None) -> list[MyRegistration]:
    """The registrations (seats, waiting, offers) made from this conversation, for sessions not
    begun, soonest first."""
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    with session_scope(url) as session:
        rows = session.execute(
            select(WebinarRegistration, WebinarSession)
            .join(WebinarSession, WebinarSession.id == WebinarRegistration.session_id)
            .where(WebinarRegistration.sender_id == sender_id,
                   WebinarRegistration.status.in_(ACTIVE),
                   WebinarSession.start_at > now_db)
            .order_by(WebinarSession.start_at, WebinarRegistration.id)).all()
        return [MyRegistration(r.id, w.id, w.title, from_db(w.start_at), r.status, r.token or "")
                for r, w in rows]


def registration_by_token(token: str, url: str | None = None):
    """(registration, session) rows' plain values for a link's secret, or None."""
    token = (token or "").strip()
    if not token or len(token) > 64:
        return None
    with session_scope(url) as session:
        found = session.execute(
            select(WebinarRegistration, WebinarSession)
            .join(WebinarSession, WebinarSession.id == WebinarRegistration.session_id)
            .where(WebinarRegistration.token == token)).first()
        if found is None:
            return None
        registration, webinar = found
        session.expunge(registration)
        session.expunge(webinar)
        return registration, webinar
