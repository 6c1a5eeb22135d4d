"""An operator's closure of a partner place (or one of its agendas), kept across loads."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from bot.booking.partners.database import check_database, local_date, resolve_place, upcoming_rows
from bot.booking.partners.errors import PartnersError, PlaceNotFound
from bot.clock import aware, now_paris, to_db
from bot.db.models import Agenda, Closure, utcnow
from bot.db.session import session_scope


@dataclass(frozen=True)
class ClosureAdded:
    closure_id: int
    place_name: str
    bookings_inside: list[str]  # references of upcoming bookings on those days (not cancelled)


def add_closure(place: str, start: date, end: date, reason: str, *, agenda_key: str | None = None,
                now: datetime | None = None, url: str | None = None) -> ClosureAdded:
    """An operator's closure (kept across `npt partners load`), both dates included."""
    if end < start:
        raise PartnersError(f"the closure ends ({end}) before it starts ({start})")
    reason = (reason or "").strip()
    if not reason:
        raise PartnersError("a closure needs a reason")
    check_database(url)
    now = aware(now, "now") if now is not None else now_paris()
    with session_scope(url) as session:
        found = resolve_place(session, place)
        if found is None:
            raise PlaceNotFound(f"no place {place!r} (give SOURCE:ID, for example "
                                f"france-services-2024-08-01:435, or the place's number)")
        agenda_id = None
        if agenda_key is not None:
            agenda_id = session.execute(select(Agenda.id).where(
                Agenda.place_pk == found.pk, Agenda.key == agenda_key)).scalar()
            if agenda_id is None:
                raise PartnersError(f"{found.nom} has no agenda {agenda_key!r}")
        closure = Closure(place_pk=found.pk, agenda_id=agenda_id, start_date=start, end_date=end,
                          reason=reason[:500], origin="operator", created_at=utcnow())
        session.add(closure)
        session.flush()
        inside = [b.reference for b in upcoming_rows(session, to_db(now), place_pk=found.pk)
                  if start <= local_date(b.start) <= end and agenda_id in (None, b.agenda_id)]
        return ClosureAdded(closure.id, found.nom, inside)
