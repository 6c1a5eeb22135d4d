"""The partner places with their agendas (weekly hours) and closures not yet over:
`npt partners list` and the back-office."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from bot.booking.partners.database import check_database, place_ref
from bot.booking.weekly_hours import hhmm
from bot.clock import WEEKDAYS_FR, now_paris
from bot.db.models import Agenda, AgendaHours, Closure, Place
from bot.db.session import session_scope


@dataclass(frozen=True)
class AgendaSummary:
    id: int
    key: str
    label: str
    kind: str
    slot_minutes: int
    seats: int
    active: bool
    hours: list[str]  # "lundi 10:00-13:00"


@dataclass(frozen=True)
class ClosureSummary:
    id: int
    start: date
    end: date
    reason: str
    origin: str
    agenda_key: str | None


@dataclass(frozen=True)
class PartnerSummary:
    pk: int
    ref: str
    name: str
    commune: str
    booking_enabled: bool
    agendas: list[AgendaSummary]
    closures: list[ClosureSummary]  # those not yet over


def list_partners(today: date | None = None, url: str | None = None) -> list[PartnerSummary]:
    check_database(url)
    today = today or now_paris().date()
    out = []
    with session_scope(url) as session:
        places = session.execute(select(Place).where(Place.partner.is_(True))
                                 .order_by(Place.code_postal, Place.nom)).scalars().all()
        for place in places:
            agendas = session.execute(select(Agenda).where(Agenda.place_pk == place.pk)
                                      .order_by(Agenda.id)).scalars().all()
            keys = {a.id: a.key for a in agendas}
            summaries = []
            for agenda in agendas:
                hours = session.execute(select(AgendaHours).where(AgendaHours.agenda_id == agenda.id)
                                        .order_by(AgendaHours.weekday, AgendaHours.start)).scalars()
                summaries.append(AgendaSummary(
                    agenda.id, agenda.key, agenda.label, agenda.kind, agenda.slot_minutes,
                    agenda.seats, agenda.active,
                    [f"{WEEKDAYS_FR[h.weekday]} {hhmm(h.start)}-{hhmm(h.end)}" for h in hours]))
            closures = session.execute(select(Closure).where(Closure.place_pk == place.pk,
                                                             Closure.end_date >= today)
                                       .order_by(Closure.start_date)).scalars().all()
            out.append(PartnerSummary(
                place.pk, place_ref(place), place.nom, place.commune, place.booking_enabled, summaries,
                [ClosureSummary(c.id, c.start_date, c.end_date, c.reason, c.origin,
                                keys.get(c.agenda_id)) for c in closures]))
    return out
