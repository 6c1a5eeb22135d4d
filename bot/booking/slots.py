"""Free slots of partner places, from their agendas' weekly hours, closures and taken seats."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking.errors import PlaceNotBookable, SlotUnavailable
from bot.booking.rules import BookingRules, booking_rules
from bot.clock import aware, is_public_holiday, local, to_db
from bot.db.models import Agenda, AgendaHours, Closure, Place, SlotSeats
from bot.db.session import session_scope

MORNING, AFTERNOON, EVENING = "matin", "apres-midi", "soir"
PARTS_OF_DAY = (MORNING, AFTERNOON, EVENING)


@dataclass(frozen=True)
class Slot:
    """A bookable slot; `start` and `end` are aware, in Europe/Paris."""

    place_pk: int
    agenda_id: int
    start: datetime
    end: datetime
    seats_left: int
    agenda_label: str = ""  # "Rendez-vous individuel", "Atelier collectif : ..."
    collective: bool = False


@dataclass
class AgendaPlan:
    """An active agenda with its weekly hours (weekday -> [(start, end)])."""

    id: int
    place_pk: int
    label: str
    kind: str
    slot_minutes: int
    seats: int
    what_to_bring: list[str] | None
    hours: dict[int, list[tuple[time, time]]] = field(default_factory=dict)

    def slots_of_day(self, day: date) -> list[tuple[datetime, datetime]]:
        """Every slot of `day`, in local time, whether free or not."""
        found = []
        length = timedelta(minutes=self.slot_minutes)
        for start, end in self.hours.get(day.weekday(), []):
            moment, stop = local(day, start), local(day, end)
            while moment + length <= stop:
                found.append((moment, moment + length))
                moment += length
        return found


@dataclass(frozen=True)
class ClosedDays:
    place_pk: int
    periods: tuple[tuple[int | None, date, date, str], ...]  # (agenda id or None, from, to, reason)
    holidays: bool

    def closed(self, day: date, agenda_id: int) -> bool:
        if self.holidays and is_public_holiday(day):
            return True
        return any((agenda is None or agenda == agenda_id) and first <= day <= last
                   for agenda, first, last, _ in self.periods)


def agenda_plans(session: Session, place_pk: int) -> list[AgendaPlan]:
    """The active agendas of a place that have weekly hours, in their order of creation."""
    agendas = session.execute(
        select(Agenda).where(Agenda.place_pk == place_pk, Agenda.active.is_(True)).order_by(Agenda.id)
    ).scalars().all()
    plans = {a.id: AgendaPlan(a.id, a.place_pk, a.label, a.kind, a.slot_minutes, a.seats,
                              a.what_to_bring) for a in agendas}
    if plans:
        for row in session.execute(select(AgendaHours).where(AgendaHours.agenda_id.in_(plans))
                                   .order_by(AgendaHours.weekday, AgendaHours.start)).scalars():
            plans[row.agenda_id].hours.setdefault(row.weekday, []).append((row.start, row.end))
    return [plan for plan in plans.values() if plan.hours]


def closed_days(session: Session, place_pk: int, rules: BookingRules) -> ClosedDays:
    rows = session.execute(select(Closure).where(Closure.place_pk == place_pk)).scalars().all()
    return ClosedDays(place_pk, tuple((c.agenda_id, c.start_date, c.end_date, c.reason) for c in rows),
                      rules.closed_on_public_holidays)


def place_is_bookable(session: Session, place: Place | None) -> bool:
    return bool(place is not None and place.partner and place.booking_enabled
                and agenda_plans(session, place.pk))


def bookable(place_pk: int, url: str | None = None) -> bool:
    """True when the place takes bookings through the assistant: a partner, bookings enabled,
    and at least one active agenda with weekly hours."""
    with session_scope(url) as session:
        return place_is_bookable(session, session.get(Place, place_pk))


def _taken(session: Session, agenda_ids: list[int], first: datetime, last: datetime) -> dict:
    """Seats taken, by (agenda id, naive UTC start), for slots between two aware times."""
    if not agenda_ids:
        return {}
    rows = session.execute(select(SlotSeats.agenda_id, SlotSeats.start, SlotSeats.taken).where(
        SlotSeats.agenda_id.in_(agenda_ids), SlotSeats.start >= to_db(first),
        SlotSeats.start <= to_db(last)))
    return {(agenda_id, start): taken for agenda_id, start, taken in rows}


def day_part(moment: datetime) -> str:
    """"matin" before 12 h, "apres-midi" from 12 h to 18 h, "soir" from 18 h (local time)."""
    if moment.hour < 12:
        return MORNING
    return AFTERNOON if moment.hour < 18 else EVENING


def window(now: datetime, rules: BookingRules) -> tuple[datetime, datetime]:
    """The first and last start one may book at `now`."""
    return now + timedelta(hours=rules.min_lead_hours), now + timedelta(days=rules.horizon_days)


def free_slots(place_pk: int, now: datetime, *, limit: int = 3, part_of_day: str | None = None,
               exclude_weekdays: frozenset[int] = frozenset(), on_date: date | None = None,
               after: datetime | None = None, url: str | None = None) -> list[Slot]:
    """The earliest free slots of a place, soonest first (then agenda order: individual first).

    Only slots from `min_lead_hours` after `now` to `horizon_days` after it (data/booking.yml),
    outside closures and public holidays, with a seat left. Filters: `part_of_day` ("matin" <12 h,
    "apres-midi" 12–18 h, "soir" >=18 h), `exclude_weekdays` (0 = Monday), `on_date` (that day
    only), `after` (only slots starting strictly later: "plus tard"). A place that takes no
    booking has no slot.
    """
    if part_of_day is not None and part_of_day not in PARTS_OF_DAY:
        raise ValueError(f"part_of_day must be one of {', '.join(PARTS_OF_DAY)}, not {part_of_day!r}")
    if limit <= 0:
        return []
    rules = booking_rules()
    now = aware(now, "now")
    first, last = window(now, rules)
    if after is not None:
        first = max(first, aware(after, "after") + timedelta(microseconds=1))
    if first > last:
        return []
    with session_scope(url) as session:
        place = session.get(Place, place_pk)
        if place is None or not place.partner or not place.booking_enabled:
            return []
        plans = agenda_plans(session, place_pk)
        closures = closed_days(session, place_pk, rules)
        taken = _taken(session, [p.id for p in plans], first, last)
    found: list[Slot] = []
    day = first.date()
    while day <= last.date() and len(found) < limit:
        if (on_date is None or day == on_date) and day.weekday() not in exclude_weekdays:
            today = []
            for plan in plans:
                if closures.closed(day, plan.id):
                    continue
                for start, end in plan.slots_of_day(day):
                    if not first <= start <= last:
                        continue
                    if part_of_day is not None and day_part(start) != part_of_day:
                        continue
                    left = plan.seats - taken.get((plan.id, to_db(start)), 0)
                    if left > 0:
                        today.append(Slot(place_pk, plan.id, start, end, left, plan.label,
                                          plan.kind == "collective"))
            found.extend(sorted(today, key=lambda slot: (slot.start, slot.agenda_id)))
        day += timedelta(days=1)
    return found[:limit]


def check_slot(session: Session, place: Place | None, start: datetime, now: datetime,
               rules: BookingRules, agenda_id: int | None = None) -> list[tuple[AgendaPlan, datetime, datetime]]:
    """The agendas of `place` with a slot at `start` one may book at `now`, in agenda order.

    Raises PlaceNotBookable or SlotUnavailable (with the reason) otherwise.
    """
    if place is None:
        raise PlaceNotBookable("no such place")
    if not place.partner or not place.booking_enabled:
        raise PlaceNotBookable(f"{place.nom} takes no booking through the assistant")
    plans = agenda_plans(session, place.pk)
    if not plans:
        raise PlaceNotBookable(f"{place.nom} has no agenda open for booking")
    if agenda_id is not None:
        plans = [plan for plan in plans if plan.id == agenda_id]
        if not plans:
            raise SlotUnavailable(f"agenda {agenda_id} is not an open agenda of {place.nom}")
    first, last = window(now, rules)
    if start <= now:
        raise SlotUnavailable(f"{start.isoformat()} is in the past")
    if start < first:
        raise SlotUnavailable(f"{start.isoformat()} is less than {rules.min_lead_hours} h from now")
    if start > last:
        raise SlotUnavailable(f"{start.isoformat()} is more than {rules.horizon_days} days ahead")
    closures = closed_days(session, place.pk, rules)
    found, closed = [], False
    for plan in plans:
        for slot_start, slot_end in plan.slots_of_day(start.date()):
            if slot_start == start:
                if closures.closed(start.date(), plan.id):
                    closed = True
                else:
                    found.append((plan, slot_start, slot_end))
    if not found:
        if closed:
            raise SlotUnavailable(f"{place.nom} is closed on {start.date().isoformat()}")
        raise SlotUnavailable(f"{start.isoformat()} is not a slot of {place.nom}'s agendas")
    return found
