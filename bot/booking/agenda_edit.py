"""A structure changes its agenda from the back-office: weekly hours, slot length, seats.

The hours are typed one line per range, the way people write them: "lundi-jeudi 10:00-13:00",
"mardi, jeudi 14h-17h30". The same rules as the partners file apply (inside the place's opening
hours, no overlap, at least one slot long); every fault is said in French, with the line. Slots
already booked stay booked; the new hours apply to the slots offered from now on. The agenda
remembers the edit, so that loading the partners file again keeps it (bot/booking/partners/load.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import delete, select

from bot.booking.weekly_hours import REFERENCE_MONDAY, open_throughout, parse_days
from bot.clock import WEEKDAYS_FR
from bot.db.models import Agenda, AgendaHours, Place, utcnow
from bot.db.session import session_scope

MAX_LINES = 40
_RANGE = re.compile(r"^(?P<days>.+?)\s+(?P<start>\d{1,2}(?:[:h]\d{2})?h?)\s*(?:-|à|a)\s*"
                    r"(?P<end>\d{1,2}(?:[:h]\d{2})?h?)$", re.IGNORECASE)


class AgendaEditError(ValueError):
    """The edit was refused; `problems` are French sentences for the structure's staff."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class HoursLine:
    weekday: int
    start: time
    end: time


def _clock(text: str) -> time | None:
    """"9", "9h", "09:30", "9h30" -> time; None when it is no time of day."""
    match = re.fullmatch(r"(\d{1,2})(?:[:h](\d{2}))?h?", text.strip().lower())
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    return time(hours, minutes) if hours < 24 and minutes < 60 else None


def hhmm(moment: time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def hours_text(hours: list[HoursLine]) -> str:
    """The lines of the form: one per range, "lundi 10:00-13:00"."""
    return "\n".join(f"{WEEKDAYS_FR[h.weekday]} {hhmm(h.start)}-{hhmm(h.end)}" for h in hours)


def parse_hours(text: str) -> tuple[list[tuple[list[int], time, time, int]], list[str]]:
    """The ranges of `text` (days, start, end, line number) and the French faults found."""
    ranges, problems = [], []
    lines = [line.strip() for line in (text or "").replace("\r", "").split("\n")]
    if len([line for line in lines if line]) > MAX_LINES:
        return [], [f"Pas plus de {MAX_LINES} lignes d'horaires."]
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        match = _RANGE.match(line[:200])
        days = parse_days(match.group("days").strip()) if match else None
        start = _clock(match.group("start")) if match else None
        end = _clock(match.group("end")) if match else None
        if not match or days is None or start is None or end is None:
            problems.append(f"Ligne {number} : « {line[:80]} » n'est pas compris. Écrivez par "
                            f"exemple « lundi-vendredi 09:30-12:00 ».")
            continue
        if start >= end:
            problems.append(f"Ligne {number} : l'heure de début doit être avant l'heure de fin.")
            continue
        ranges.append((days, start, end, number))
    if not ranges and not problems:
        problems.append("Indiquez au moins une plage horaire.")
    return ranges, problems


def _inside_opening_hours(horaires: str | None, day: int, start: time, end: time) -> bool:
    """Open throughout by the place's OSM hours; unknown or unreadable hours accept nothing."""
    if not horaires:
        return False
    try:
        return open_throughout(horaires, day, start, end)
    except Exception:  # opening_hours raises its own errors on an unreadable string
        return False


def update_agenda(place_pk: int, agenda_id: int, *, hours: str, slot_minutes: str | int,
                  seats: str | int, actor: str, url: str | None = None) -> list[HoursLine]:
    """Replace the agenda's weekly hours, slot length and seats; AgendaEditError says why not.
    Returns the new hours. An agenda of another place is refused like a missing one."""
    problems: list[str] = []
    try:
        minutes = int(str(slot_minutes).strip())
    except ValueError:
        minutes = 0
    if not 10 <= minutes <= 480:
        problems.append("La durée d'un rendez-vous doit être de 10 à 480 minutes.")
    try:
        places = int(str(seats).strip())
    except ValueError:
        places = 0
    ranges, range_problems = parse_hours(hours)
    problems += range_problems
    with session_scope(url) as session:
        agenda = session.get(Agenda, agenda_id)
        place = session.get(Place, place_pk)
        if agenda is None or place is None or agenda.place_pk != place_pk or not agenda.active:
            raise AgendaEditError(["Cet agenda n'existe pas."])
        if agenda.kind == "individual" and places != 1:
            problems.append("Un agenda de rendez-vous individuels a 1 place par créneau.")
        elif not 1 <= places <= 500:
            problems.append("Le nombre de places doit être de 1 à 500.")
        wanted: list[HoursLine] = []
        for days, start, end, number in ranges:
            span = datetime.combine(REFERENCE_MONDAY, end) - datetime.combine(REFERENCE_MONDAY, start)
            if 10 <= minutes <= 480 and span < timedelta(minutes=minutes):
                problems.append(f"Ligne {number} : {hhmm(start)}-{hhmm(end)} est plus court "
                                f"qu'un rendez-vous ({minutes} minutes).")
                continue
            for day in days:
                label = f"{WEEKDAYS_FR[day]} {hhmm(start)}-{hhmm(end)}"
                if not _inside_opening_hours(place.horaires, day, start, end):
                    problems.append(f"Ligne {number} : {label} est en dehors des horaires "
                                    f"d'ouverture du lieu ({place.horaires or 'inconnus'}).")
                    continue
                clash = next((h for h in wanted if h.weekday == day and h.start < end
                              and start < h.end), None)
                if clash:
                    problems.append(f"Ligne {number} : {label} chevauche {WEEKDAYS_FR[day]} "
                                    f"{hhmm(clash.start)}-{hhmm(clash.end)}.")
                    continue
                wanted.append(HoursLine(day, start, end))
        if problems:
            raise AgendaEditError(problems)
        wanted.sort(key=lambda h: (h.weekday, h.start))
        session.execute(delete(AgendaHours).where(AgendaHours.agenda_id == agenda.id))
        session.add_all(AgendaHours(agenda_id=agenda.id, weekday=h.weekday, start=h.start, end=h.end)
                        for h in wanted)
        stamp = utcnow()
        agenda.slot_minutes, agenda.seats = minutes, places
        agenda.edited_at, agenda.edited_by, agenda.updated_at = stamp, str(actor)[:160], stamp
        return wanted


def agenda_hours(agenda_id: int, url: str | None = None) -> list[HoursLine]:
    with session_scope(url) as session:
        rows = session.execute(select(AgendaHours).where(AgendaHours.agenda_id == agenda_id)
                               .order_by(AgendaHours.weekday, AgendaHours.start)).scalars().all()
        return [HoursLine(r.weekday, r.start, r.end) for r in rows]
