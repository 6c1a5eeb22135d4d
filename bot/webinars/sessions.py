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
from bot.webinars.errors import WebinarError

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

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.registered)


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
                             created_by=actor[:160], updated_at=to_db(now))
        session.add(row)
        session.flush()
        return _view(row, 0, 0)


def _view(row: WebinarSession, registered: int, waiting: int) -> SessionView:
    return SessionView(id=row.id, title=row.title, start=from_db(row.start_at),
                       minutes=row.minutes, capacity=row.capacity, link=row.link,
                       audience=row.audience, description=row.description,
                       registered=registered or 0, waiting=waiting or 0)


def _counted():
    registered = func.sum(case((WebinarRegistration.status == "registered", 1), else_=0))
    waiting = func.sum(case((WebinarRegistration.status == "waiting", 1), else_=0))
    return (select(WebinarSession, registered, waiting)
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
