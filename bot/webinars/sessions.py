"""Webinar sessions: created by the Métropole (`npt webinars create`, the back-office), listed
with their seats left."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import case, func, select

from bot.clock import PARIS, aware, from_db, now_paris, to_db
from bot.db.models import WebinarRegistration, WebinarSession
from bot.db.session import session_scope
from bot.mailer import email_enabled
from bot.webinars import notices
from bot.webinars.errors import WebinarError
from bot.webinars.offers import offer_free_seats
from bot.webinars.seats import ACTIVE, REGISTERED

MAX_MINUTES, MAX_CAPACITY = 8 * 60, 10_000


@dataclass(frozen=True)
class SessionView:
    id: int
    title: str
    start: datetime  # aware, Europe/Paris
    minutes: int
    capacity: int
    link: str
    audience: str | None
    description: str | None
    registered: int
    waiting: int
    offered: int = 0  # seats held for someone of the waiting list until their answer
    sequence: int = 0  # the invitation's SEQUENCE (raised by each change of time or link)

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.registered - self.offered)


def parse_start(text: str) -> datetime:
    """"2027-01-14T10:00" (Europe/Paris) -> aware; WebinarError for anything else."""
    try:
        moment = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise WebinarError(f"start must be YYYY-MM-DDTHH:MM, not {text!r}",
                           "Indiquez la date et l'heure ainsi : 2027-01-14T10:00.") from None
    return moment.replace(tzinfo=PARIS) if moment.tzinfo is None else moment.astimezone(PARIS)


def check_link(link: str) -> str:
    link = (link or "").strip()
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > 500 or any(
            ch.isspace() for ch in link):
        raise WebinarError(f"the visio link must be an http(s) address, not {link!r}",
                           "Le lien de la visio doit commencer par https://.")
    return link


def _number(value, name: str, low: int, high: int, french: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or not low <= number <= high:
        raise WebinarError(f"{name} must be a whole number from {low} to {high}, not {value!r}",
                           french)
    return number


def create_session(title: str, start: datetime | str, minutes, capacity, link: str, actor: str,
                   audience: str | None = None, description: str | None = None,
                   now: datetime | None = None, url: str | None = None) -> SessionView:
    title = " ".join((title or "").split())
    if not title or len(title) > 200:
        raise WebinarError("a title of 1 to 200 characters is needed",
                           "Donnez un titre (200 caractères au plus).")
    start = parse_start(start) if isinstance(start, str) else aware(start, "start")
    now = aware(now, "now") if now is not None else now_paris()
    if start <= now:
        raise WebinarError(f"the session must start in the future, not {start.isoformat()}",
                           "La session doit commencer plus tard qu'aujourd'hui à cette heure.")
    minutes = _number(minutes, "minutes", 5, MAX_MINUTES, "Indiquez une durée en minutes (5 à 480).")
    capacity = _number(capacity, "capacity", 1, MAX_CAPACITY,
                       "Indiquez un nombre de places (1 à 10 000).")
    link = check_link(link)
    audience = " ".join((audience or "").split())[:200] or None
    description = (description or "").strip()[:2000] or None
    with session_scope(url) as session:
        row = WebinarSession(title=title, start_at=to_db(start), minutes=minutes,
                             capacity=capacity, link=link, audience=audience,
                             description=description, created_at=to_db(now),
                             created_by=actor[:160], updated_at=to_db(now), sequence=0)
        session.add(row)
        session.flush()
        return _view(row, 0, 0)


def _view(row: WebinarSession, registered: int, waiting: int, offered: int = 0) -> SessionView:
    return SessionView(id=row.id, title=row.title, start=from_db(row.start_at),
                       minutes=row.minutes, capacity=row.capacity, link=row.link,
                       audience=row.audience, description=row.description,
                       registered=registered or 0, waiting=waiting or 0, offered=offered or 0,
                       sequence=row.sequence or 0)


def _counted():
    registered = func.sum(case((WebinarRegistration.status == "registered", 1), else_=0))
    waiting = func.sum(case((WebinarRegistration.status == "waiting", 1), else_=0))
    offered = func.sum(case((WebinarRegistration.status == "offered", 1), else_=0))
    return (select(WebinarSession, registered, waiting, offered)
            .outerjoin(WebinarRegistration, WebinarRegistration.session_id == WebinarSession.id)
            .group_by(WebinarSession.id))


def list_sessions(upcoming_only: bool = True, now: datetime | None = None,
                  url: str | None = None) -> list[SessionView]:
    """Sessions, soonest first (by default those not started yet), with their counts."""
    query = _counted().order_by(WebinarSession.start_at, WebinarSession.id)
    if upcoming_only:
        moment = aware(now, "now") if now is not None else now_paris()
        query = query.where(WebinarSession.start_at > to_db(moment))
    with session_scope(url) as session:
        return [_view(*row) for row in session.execute(query).all()]


def get_session(session_id: int, url: str | None = None) -> SessionView | None:
    with session_scope(url) as session:
        found = session.execute(_counted().where(WebinarSession.id == session_id)).first()
        return _view(*found) if found else None


def edit_session(session_id: int, actor: str, title: str | None = None,
                 start: datetime | str | None = None, minutes=None, capacity=None,
                 link: str | None = None, now: datetime | None = None,
                 url: str | None = None) -> tuple[SessionView, int]:
    """Change a session not begun. A new time or link raises the invitation's sequence and
    tells every registrant (and everyone waiting) by chat and email, with the invitation
    again; the reminders follow the new time. A larger capacity is offered to the waiting list
    at once. Returns the session and the number of people told."""
    now = aware(now, "now") if now is not None else now_paris()
    now_db = to_db(now)
    with session_scope(url) as session:
        row = session.get(WebinarSession, session_id)
        if row is None:
            raise WebinarError(f"no webinar session {session_id}", "Cette session n'existe pas.")
        if row.start_at <= now_db:
            raise WebinarError(f"session {session_id} has begun: it can no longer change",
                               "Cette session a déjà commencé.")
        changed = False
        if title is not None:
            title = " ".join(title.split())
            if not title or len(title) > 200:
                raise WebinarError("a title of 1 to 200 characters is needed",
                                   "Donnez un titre (200 caractères au plus).")
            row.title = title
        if start is not None:
            new_start = parse_start(start) if isinstance(start, str) else aware(start, "start")
            if new_start <= now:
                raise WebinarError(f"the session must start in the future, not "
                                   f"{new_start.isoformat()}",
                                   "La session doit commencer plus tard qu'aujourd'hui à cette "
                                   "heure.")
            changed |= to_db(new_start) != row.start_at
            row.start_at = to_db(new_start)
        if minutes is not None:
            value = _number(minutes, "minutes", 5, MAX_MINUTES,
                            "Indiquez une durée en minutes (5 à 480).")
            changed |= value != row.minutes
            row.minutes = value
        if capacity is not None:
            row.capacity = _number(capacity, "capacity", 1, MAX_CAPACITY,
                                   "Indiquez un nombre de places (1 à 10 000).")
        if link is not None:
            value = check_link(link)
            changed |= value != row.link
            row.link = value
        row.updated_at = now_db
        told = 0
        if changed:
            row.sequence = (row.sequence or 0) + 1
            email_on = email_enabled()
            start_at = from_db(row.start_at)
            for registration in session.execute(select(WebinarRegistration).where(
                    WebinarRegistration.session_id == session_id,
                    WebinarRegistration.status.in_(ACTIVE))).scalars():
                notices.cancel_pending(session, registration.id,
                                       {"reminder_day", "reminder_hour", "changed"})
                notices.add(session, registration, "changed", now, email_on)
                if registration.status == REGISTERED:
                    notices.add_reminders(session, registration, start_at, now, email_on)
                elif registration.offer_expires_at and registration.offer_expires_at > row.start_at:
                    registration.offer_expires_at = row.start_at
                told += 1
        session.flush()
    offer_free_seats(now, url=url, session_ids=[session_id])
    return get_session(session_id, url=url), told
