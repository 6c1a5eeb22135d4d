"""Registering for a webinar: one registration per email and session, the seats counted under
a lock so that a full session never takes one more (every registration first writes the
session's row: on PostgreSQL a row lock, on SQLite the database's write lock, and the count
comes after), and a waiting list, first come first served."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import func, select, update

from bot.clock import aware, from_db, now_paris, to_db
from bot.db.models import WebinarRegistration, WebinarSession
from bot.db.retry import retrying
from bot.db.session import session_scope
from bot.geo.member import member_commune
from bot.webinars.errors import WebinarError

ROLES = {"agent": "Agent de la commune", "elu": "Élu(e)", "autre": "Autre"}
REGISTERED, WAITING, CANCELLED = "registered", "waiting", "cancelled"
# A first check of the address; the chat checks it with a well-kept library before this.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


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


def _email(email: str) -> tuple[str, str]:
    email = (email or "").strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise WebinarError(f"{email!r} is not an email address",
                           "Cette adresse e-mail n'est pas valide.")
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
            if existing is not None and existing.status != CANCELLED:
                return Registration(Outcome.ALREADY, existing.id, existing.status)
            taken = session.execute(select(func.count(WebinarRegistration.id)).where(
                WebinarRegistration.session_id == session_id,
                WebinarRegistration.status == REGISTERED)).scalar() or 0
            status = REGISTERED if taken < webinar.capacity else WAITING
            if status == WAITING and not waiting_list:
                return Registration(Outcome.FULL)
            values = dict(name=name, email=email, commune_insee=place.commune_insee, role=role,
                          channel=channel[:32], sender_id=(sender_id or None), status=status,
                          updated_at=now_db)
            if existing is not None:  # cancelled before: registered again, at the back
                for key, value in values.items():
                    setattr(existing, key, value)
                existing.created_at = now_db
                row = existing
            else:
                row = WebinarRegistration(session_id=session_id, email_key=email_key,
                                          created_at=now_db, **values)
                session.add(row)
            session.flush()
            return Registration(Outcome(status), row.id, status)

    return retrying(attempt)


def cancel_registration(session_id: int, email: str, now: datetime | None = None,
                        url: str | None = None) -> bool:
    """Cancel the registration (or the waiting) of `email` in the session; True when there was
    one. (Offering the freed seat to the first person waiting comes with the offers.)"""
    _, email_key = _email(email)
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    with session_scope(url) as session:
        return (session.execute(update(WebinarRegistration).where(
            WebinarRegistration.session_id == session_id,
            WebinarRegistration.email_key == email_key,
            WebinarRegistration.status != CANCELLED)
            .values(status=CANCELLED, updated_at=now_db)
            .execution_options(synchronize_session=False)).rowcount or 0) == 1
