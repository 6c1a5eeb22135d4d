"""Partner places and their agendas, kept by operators in a data file: `npt partners load`.

The file (YAML, default data/partners/demo.yml) lists the partner places (by the directory's
source and id), each with its agendas (weekly hours, slot length, seats) and closures; see the
comments at the top of data/partners/demo.yml for the format.

- The whole file is checked before anything is written; every problem is reported with the file
  path and where in the file it is (`partners[2].agendas[0].hours[1]`): an unknown place, a
  weekly range outside the place's opening hours (`horaires` of the directory), overlapping or
  invalid times, unknown keys, bad dates.
- The file is loaded in one transaction: nothing is half-loaded.
- The file is the list of partners: a place that is no longer in it stops being a partner (its
  agendas become inactive; its bookings stay and are reported). Loading the same file twice
  changes nothing. Closures added with `npt partners closure add` are kept across loads.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, time, timedelta
from pathlib import Path

import yaml
from sqlalchemy import delete, inspect, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from unidecode import unidecode

from bot.clock import WEEKDAYS_FR, aware, now_paris, to_db
from bot.db.models import Agenda, AgendaHours, Booking as BookingRow, Closure, Place, utcnow
from bot.db.session import get_engine, session_scope
from bot.paths import DATA_DIR
from bot.yaml_data import YamlDataError, load_yaml

DEFAULT_PARTNERS_FILE = DATA_DIR / "partners" / "demo.yml"
KINDS = {"individual": "individual", "individuel": "individual", "collective": "collective",
         "collectif": "collective"}
_DAYS = {name: number for number, name in enumerate(WEEKDAYS_FR)}
_DAYS.update({"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6})
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TIME = re.compile(r"^(\d{1,2})[:h](\d{2})$")
REFERENCE_MONDAY = date(2024, 1, 8)  # a week without public holiday, to read opening hours
PARTNER_KEYS = {"place", "booking_enabled", "agendas", "closures", "note"}
AGENDA_KEYS = {"key", "label", "kind", "slot_minutes", "seats", "hours", "what_to_bring"}
HOURS_KEYS = {"days", "from", "to"}
CLOSURE_KEYS = {"from", "to", "reason", "agenda"}


class PartnersError(Exception):
    """A partners operation was refused; the message is for the operator."""


class PartnersFileError(PartnersError):
    """The partners file is unusable; `problems` lists every fault, one line each."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(problems))


class PartnersDatabaseError(PartnersError):
    """The database is not ready (not migrated)."""


class PlaceNotFound(PartnersError):
    pass


# -- reading the file ------------------------------------------------------------------------

@dataclass
class HoursSpec:
    weekday: int
    start: time
    end: time
    where: str


@dataclass
class AgendaSpec:
    key: str
    label: str
    kind: str
    slot_minutes: int
    seats: int
    what_to_bring: list[str] | None
    hours: list[HoursSpec]


@dataclass
class ClosureSpec:
    start: date
    end: date
    reason: str
    agenda_key: str | None


@dataclass
class PartnerSpec:
    place: Place
    booking_enabled: bool
    agendas: list[AgendaSpec]
    closures: list[ClosureSpec]


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _parse_time(value) -> time | None:
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 10:00 as 600
        hours, minutes = divmod(value, 60)
    else:
        match = _TIME.match(str(value).strip()) if isinstance(value, str) else None
        if not match:
            return None
        hours, minutes = int(match.group(1)), int(match.group(2))
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        return None
    return time(hours, minutes)


def _parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _day(name: str) -> int | None:
    return _DAYS.get(unidecode(name).strip().lower())


def _parse_days(value) -> list[int] | None:
    """"lundi", "lundi-jeudi", "lundi, mercredi", ["mardi", "jeudi"], "Mo-Fr" -> weekdays."""
    items = value if isinstance(value, list) else str(value).split(",") if isinstance(value, str) else None
    if not items:
        return None
    days: list[int] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            return None
        first, sep, last = item.strip().partition("-")
        a, b = _day(first), _day(last) if sep else _day(first)
        if a is None or b is None or b < a:
            return None
        days.extend(range(a, b + 1))
    return sorted(set(days))


def _unknown(entry: dict, allowed: set[str], where: str, problems: list[str], path: Path) -> None:
    extra = sorted(str(k) for k in entry if k not in allowed)
    if extra:
        problems.append(f"{path}: {where}: unknown key(s) {', '.join(extra)} "
                        f"(allowed: {', '.join(sorted(allowed))})")


def resolve_place(session: Session, ref) -> Place | None:
    """A place by "source:id", by {source, id}, or by its number (pk)."""
    if isinstance(ref, dict):
        source, place_id = ref.get("source"), ref.get("id")
        if source is None or place_id is None:
            return None
        return session.execute(select(Place).where(Place.source == str(source),
                                                   Place.id == str(place_id))).scalars().first()
    text = str(ref).strip()
    if text.isdigit():
        return session.get(Place, int(text))
    for index in [i for i, ch in enumerate(text) if ch == ":"]:
        place = session.execute(select(Place).where(Place.source == text[:index],
                                                    Place.id == text[index + 1:])).scalars().first()
        if place is not None:
            return place
    return None


def place_ref(place: Place) -> str:
    return f"{place.source}:{place.id}"


def _readable_hours(horaires: str) -> bool:
    import opening_hours

    try:
        opening_hours.OpeningHours(horaires)
    except Exception:  # the library's ParserError, or anything it raises on odd input
        return False
    return True


@lru_cache(maxsize=256)
def _opening_hours(horaires: str):
    import opening_hours

    return opening_hours.OpeningHours(horaires)


def _open_throughout(horaires: str, weekday: int, start: time, end: time) -> bool:
    """Open without a break from `start` to `end` on `weekday`, by the OSM opening hours."""
    hours = _opening_hours(horaires)
    day = REFERENCE_MONDAY + timedelta(days=weekday)
    begin, finish = datetime.combine(day, start), datetime.combine(day, end)
    if not hours.is_open(begin):
        return False
    change = hours.next_change(begin)
    return change is None or change >= finish


def _check_agenda(raw, where: str, place: Place, path: Path, problems: list[str]) -> AgendaSpec | None:
    if not isinstance(raw, dict):
        problems.append(f"{path}: {where}: must be a mapping (key, label, kind, slot_minutes, seats, hours)")
        return None
    before = len(problems)
    _unknown(raw, AGENDA_KEYS, where, problems, path)
    key = str(raw.get("key", "")).strip()
    if not _KEY.match(key):
        problems.append(f"{path}: {where}: key must be 1-64 lower-case letters, digits, - or _ "
                        f"(it names the agenda in its place), not {raw.get('key')!r}")
    label = str(raw.get("label") or "").strip()
    if not label or len(label) > 120:
        problems.append(f"{path}: {where}: label must be a text of 1 to 120 characters")
    kind = KINDS.get(str(raw.get("kind", "individual")).strip().lower())
    if kind is None:
        problems.append(f"{path}: {where}: kind must be individual or collective, not {raw.get('kind')!r}")
    minutes, seats = raw.get("slot_minutes"), raw.get("seats", 1)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 10 <= minutes <= 480:
        problems.append(f"{path}: {where}: slot_minutes must be a whole number of minutes from 10 "
                        f"to 480, not {minutes!r}")
        minutes = None
    if isinstance(seats, bool) or not isinstance(seats, int) or not 1 <= seats <= 500:
        problems.append(f"{path}: {where}: seats must be a whole number from 1 to 500, not {seats!r}")
    if kind == "individual" and isinstance(seats, int) and seats != 1:
        problems.append(f"{path}: {where}: an individual agenda has 1 seat per slot "
                        f"(use kind: collective for {seats})")
    bring = raw.get("what_to_bring")
    if bring is not None and (not isinstance(bring, list)
                              or not all(isinstance(b, str) and b.strip() for b in bring)):
        problems.append(f"{path}: {where}: what_to_bring must be a list of texts")
    hours_raw = raw.get("hours")
    hours: list[HoursSpec] = []
    if not isinstance(hours_raw, list) or not hours_raw:
        problems.append(f"{path}: {where}: hours must be a list of {{days, from, to}} "
                        f"(for example {{days: lundi-vendredi, from: \"09:30\", to: \"12:00\"}})")
        hours_raw = []
    for index, item in enumerate(hours_raw):
        at = f"{where}.hours[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{path}: {at}: must be a mapping {{days, from, to}}")
            continue
        _unknown(item, HOURS_KEYS, at, problems, path)
        days = _parse_days(item.get("days"))
        start, end = _parse_time(item.get("from")), _parse_time(item.get("to"))
        if days is None:
            problems.append(f"{path}: {at}: days must name weekdays (lundi ... dimanche, a range "
                            f"lundi-vendredi, or a list), not {item.get('days')!r}")
        if start is None or end is None:
            bad = item.get("from") if start is None else item.get("to")
            problems.append(f"{path}: {at}: from and to must be times HH:MM, not {bad!r}")
        if days is None or start is None or end is None:
            continue
        if start >= end:
            problems.append(f"{path}: {at}: from {_hhmm(start)} must be before to {_hhmm(end)}")
            continue
        span = (datetime.combine(REFERENCE_MONDAY, end) - datetime.combine(REFERENCE_MONDAY, start))
        if minutes and span < timedelta(minutes=minutes):
            problems.append(f"{path}: {at}: {_hhmm(start)}-{_hhmm(end)} is shorter than one slot "
                            f"({minutes} min)")
            continue
        for day in days:
            spec = HoursSpec(day, start, end, at)
            if not _open_throughout(place.horaires, day, start, end):
                problems.append(f"{path}: {at}: {WEEKDAYS_FR[day]} {_hhmm(start)}-{_hhmm(end)} "
                                f"is outside the opening hours of {place.nom} "
                                f"({place_ref(place)}): {place.horaires}")
                continue
            for other in hours:
                if other.weekday == day and other.start < end and start < other.end:
                    problems.append(f"{path}: {at}: {WEEKDAYS_FR[day]} {_hhmm(start)}-{_hhmm(end)} "
                                    f"overlaps {other.where} ({_hhmm(other.start)}-{_hhmm(other.end)})")
                    break
            else:
                hours.append(spec)
    if len(problems) > before:
        return None
    return AgendaSpec(key, label, kind, minutes, seats, [b.strip() for b in bring] if bring else None,
                      sorted(hours, key=lambda h: (h.weekday, h.start)))


def _check_closure(raw, where: str, agenda_keys: set[str], path: Path, problems: list[str]) -> ClosureSpec | None:
    if not isinstance(raw, dict):
        problems.append(f"{path}: {where}: must be a mapping {{from, to, reason}}")
        return None
    before = len(problems)
    _unknown(raw, CLOSURE_KEYS, where, problems, path)
    start, end = _parse_date(raw.get("from")), _parse_date(raw.get("to", raw.get("from")))
    if start is None or end is None:
        bad = raw.get("from") if start is None else raw.get("to")
        problems.append(f"{path}: {where}: from and to must be dates YYYY-MM-DD, not {bad!r}")
    elif end < start:
        problems.append(f"{path}: {where}: to {end} is before from {start}")
    reason = str(raw.get("reason") or "").strip()
    if not reason:
        problems.append(f"{path}: {where}: reason is required (said to operators, never to people)")
    agenda = raw.get("agenda")
    if agenda is not None and str(agenda) not in agenda_keys:
        problems.append(f"{path}: {where}: agenda {agenda!r} is not an agenda of this partner "
                        f"({', '.join(sorted(agenda_keys)) or 'none'})")
    if len(problems) > before:
        return None
    return ClosureSpec(start, end, reason, None if agenda is None else str(agenda))


def read_partners_file(path: Path | str) -> list:
    """The raw entries of a partners file (raises PartnersFileError)."""
    path = Path(path)
    if not path.exists():
        raise PartnersFileError(path, [f"{path}: no such file"])
    try:
        raw = load_yaml(path)
    except YamlDataError as error:
        raise PartnersFileError(path, [str(error)]) from None
    except UnicodeDecodeError:
        raise PartnersFileError(path, [f"{path}: is not UTF-8 text"]) from None
    except OSError as error:
        raise PartnersFileError(path, [f"{path}: cannot be read ({error.strerror})"]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise PartnersFileError(path, [f"{path}: not valid YAML{where}: {problem}"]) from None
    if not isinstance(raw, dict) or "partners" not in raw:
        raise PartnersFileError(path, [f"{path}: must be a mapping with a list `partners:`"])
    extra = sorted(str(k) for k in raw if k not in {"partners", "description", "version"})
    if extra:
        raise PartnersFileError(path, [f"{path}: unknown top-level key(s) {', '.join(extra)} "
                                       f"(allowed: partners, description, version)"])
    entries = raw["partners"] or []
    if not isinstance(entries, list):
        raise PartnersFileError(path, [f"{path}: partners must be a list"])
    return entries


def check_partners(session: Session, entries: list, path: Path) -> list[PartnerSpec]:
    """Validate every entry against the directory; raises PartnersFileError with all problems."""
    problems: list[str] = []
    specs: list[PartnerSpec] = []
    seen: dict[int, str] = {}
    for index, entry in enumerate(entries):
        where = f"partners[{index}]"
        if not isinstance(entry, dict) or "place" not in entry:
            problems.append(f"{path}: {where}: must be a mapping with place: {{source, id}}")
            continue
        ref = entry["place"]
        shown = (f"{ref.get('source')}:{ref.get('id')}" if isinstance(ref, dict) else str(ref))
        where = f"{where} ({shown})"
        before = len(problems)
        _unknown(entry, PARTNER_KEYS, where, problems, path)
        place = resolve_place(session, ref)
        if place is None:
            problems.append(f"{path}: {where}: no such place in the directory (give place: "
                            f"{{source: ..., id: ...}} of an imported place; is the directory "
                            f"seeded? `npt places seed`)")
            continue
        if place.pk in seen:
            problems.append(f"{path}: {where}: the same place as {seen[place.pk]}")
            continue
        seen[place.pk] = where
        if not place.horaires:
            problems.append(f"{path}: {where}: {place.nom} has no opening hours in the directory "
                            f"(horaires is empty): its agendas cannot be checked")
            continue
        if not _readable_hours(place.horaires):
            problems.append(f"{path}: {where}: the opening hours of {place.nom} in the directory "
                            f"cannot be read ({place.horaires!r}): its agendas cannot be checked")
            continue
        enabled = entry.get("booking_enabled", True)
        if not isinstance(enabled, bool):
            problems.append(f"{path}: {where}: booking_enabled must be true or false")
        agendas_raw = entry.get("agendas") or []
        if not isinstance(agendas_raw, list):
            problems.append(f"{path}: {where}: agendas must be a list")
            agendas_raw = []
        agendas, keys = [], set()
        for a_index, raw in enumerate(agendas_raw):
            agenda = _check_agenda(raw, f"{where}.agendas[{a_index}]", place, path, problems)
            if agenda is None:
                continue
            if agenda.key in keys:
                problems.append(f"{path}: {where}.agendas[{a_index}]: key {agenda.key!r} is used "
                                f"twice in this place")
                continue
            keys.add(agenda.key)
            agendas.append(agenda)
        # a closure naming an agenda that is faulty above is not reported a second time
        keys |= {str(a["key"]) for a in agendas_raw if isinstance(a, dict) and a.get("key") is not None}
        closures_raw = entry.get("closures") or []
        if not isinstance(closures_raw, list):
            problems.append(f"{path}: {where}: closures must be a list")
            closures_raw = []
        closures = [c for c_index, raw in enumerate(closures_raw)
                    if (c := _check_closure(raw, f"{where}.closures[{c_index}]", keys, path, problems))]
        if len(problems) == before:
            specs.append(PartnerSpec(place, enabled, agendas, closures))
    if problems:
        raise PartnersFileError(path, problems)
    return specs


# -- writing ---------------------------------------------------------------------------------

@dataclass
class LoadReport:
    path: str
    partners: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    places_changed: int = 0
    agendas_created: int = 0
    agendas_updated: int = 0
    agendas_deactivated: int = 0
    hours_changed: int = 0
    closures_changed: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.places_changed or self.agendas_created
                    or self.agendas_updated or self.agendas_deactivated or self.hours_changed
                    or self.closures_changed)

    def lines(self) -> list[str]:
        out = [f"file: {self.path}", f"partners: {len(self.partners)}"]
        if not self.changed:
            out.append("no change (the database already matches the file)")
        else:
            out.extend(f"  now a partner: {name}" for name in self.added)
            out.extend(f"  no longer a partner: {name}" for name in self.removed)
            out.append(f"agendas: {self.agendas_created} created, {self.agendas_updated} updated, "
                       f"{self.agendas_deactivated} deactivated; weekly hours changed in "
                       f"{self.hours_changed}; closures changed at {self.closures_changed} places")
        out.extend(f"warning: {warning}" for warning in self.warnings)
        return out


def check_database(url: str | None = None) -> None:
    try:
        ready = inspect(get_engine(url)).has_table(Agenda.__tablename__)
    except SQLAlchemyError as error:
        raise PartnersDatabaseError(f"the database cannot be opened: {str(error).splitlines()[0]}") from None
    if not ready:
        raise PartnersDatabaseError("the database has no agendas table yet: run `npt db upgrade` first")


def _upcoming(session: Session, now_db: datetime, **where) -> list[BookingRow]:
    query = select(BookingRow).where(BookingRow.status == "booked", BookingRow.start > now_db)
    for name, value in where.items():
        query = query.where(getattr(BookingRow, name) == value)
    return session.execute(query.order_by(BookingRow.start)).scalars().all()


def _name(place: Place) -> str:
    return f"{place.nom} ({place_ref(place)}, pk {place.pk})"


def _apply(session: Session, specs: list[PartnerSpec], report: LoadReport, now: datetime,
           override: bool = False) -> None:
    now_db, stamp = to_db(now), utcnow()
    wanted = {spec.place.pk: spec for spec in specs}
    current = session.execute(select(Place).where(
        or_(Place.partner.is_(True), Place.booking_enabled.is_(True)))).scalars().all()
    for place in current:
        if place.pk in wanted:
            continue
        place.partner, place.booking_enabled = False, False
        report.removed.append(_name(place))
        for agenda in session.execute(select(Agenda).where(Agenda.place_pk == place.pk,
                                                           Agenda.active.is_(True))).scalars():
            agenda.active, agenda.updated_at = False, stamp
            report.agendas_deactivated += 1
        session.execute(delete(Closure).where(Closure.place_pk == place.pk, Closure.origin == "file"))
        left = _upcoming(session, now_db, place_pk=place.pk)
        if left:
            report.warnings.append(f"{_name(place)} is no longer a partner but keeps {len(left)} "
                                   f"upcoming booking(s): {', '.join(b.reference for b in left)}")
    for spec in specs:
        place = spec.place
        report.partners.append(_name(place))
        if not place.partner:
            report.added.append(_name(place))
        if not place.partner or place.booking_enabled != spec.booking_enabled:
            if place.partner:
                report.places_changed += 1
            place.partner, place.booking_enabled = True, spec.booking_enabled
        existing = {a.key: a for a in session.execute(
            select(Agenda).where(Agenda.place_pk == place.pk)).scalars()}
        agenda_ids: dict[str, int] = {}
        for item in spec.agendas:
            agenda = existing.get(item.key)
            values = {"label": item.label, "kind": item.kind, "slot_minutes": item.slot_minutes,
                      "seats": item.seats, "what_to_bring": item.what_to_bring, "active": True}
            kept = agenda is not None and agenda.edited_at is not None and not override
            if kept:  # the structure's own hours, slot length and seats (back-office) stay
                del values["slot_minutes"], values["seats"], values["kind"]
                report.warnings.append(
                    f"agenda {item.key} of {_name(place)} keeps the hours, slot length and seats "
                    f"set in the back-office by {agenda.edited_by} (use --override to apply the file)")
            elif agenda is not None and agenda.edited_at is not None:
                agenda.edited_at, agenda.edited_by = None, None
            if agenda is None:
                agenda = Agenda(place_pk=place.pk, key=item.key, created_at=stamp, updated_at=stamp, **values)
                session.add(agenda)
                session.flush()
                report.agendas_created += 1
            elif any(getattr(agenda, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(agenda, name, value)
                agenda.updated_at = stamp
                report.agendas_updated += 1
            agenda_ids[item.key] = agenda.id
            if kept:
                continue
            have = {(h.weekday, h.start, h.end) for h in session.execute(
                select(AgendaHours).where(AgendaHours.agenda_id == agenda.id)).scalars()}
            want = {(h.weekday, h.start, h.end) for h in item.hours}
            if have != want:
                session.execute(delete(AgendaHours).where(AgendaHours.agenda_id == agenda.id))
                session.add_all(AgendaHours(agenda_id=agenda.id, weekday=d, start=s, end=e)
                                for d, s, e in sorted(want))
                report.hours_changed += 1
        for key, agenda in existing.items():
            if key not in agenda_ids and agenda.active:
                agenda.active, agenda.updated_at = False, stamp
                report.agendas_deactivated += 1
                left = _upcoming(session, now_db, agenda_id=agenda.id)
                if left:
                    report.warnings.append(f"agenda {key} of {_name(place)} is gone from the file "
                                           f"but keeps {len(left)} upcoming booking(s): "
                                           f"{', '.join(b.reference for b in left)}")
        have = {(c.agenda_id, c.start_date, c.end_date, c.reason) for c in session.execute(
            select(Closure).where(Closure.place_pk == place.pk, Closure.origin == "file")).scalars()}
        want = {(agenda_ids[c.agenda_key] if c.agenda_key else None, c.start, c.end, c.reason)
                for c in spec.closures}
        if have != want:
            session.execute(delete(Closure).where(Closure.place_pk == place.pk, Closure.origin == "file"))
            session.add_all(Closure(place_pk=place.pk, agenda_id=a, start_date=s, end_date=e,
                                    reason=r, origin="file", created_at=stamp)
                            for a, s, e, r in sorted(want, key=lambda c: (c[1], c[2], c[0] or 0, c[3])))
            report.closures_changed += 1
            session.flush()
            for closure in spec.closures:
                hit = [b for b in _upcoming(session, now_db, place_pk=place.pk)
                       if closure.start <= _local_date(b.start) <= closure.end
                       and (closure.agenda_key is None or b.agenda_id == agenda_ids[closure.agenda_key])]
                if hit:
                    report.warnings.append(
                        f"{len(hit)} upcoming booking(s) of {_name(place)} fall in the closure "
                        f"{closure.start} to {closure.end}: {', '.join(b.reference for b in hit)} "
                        f"(they are not cancelled: tell the people, then cancel them)")


def _local_date(moment_db: datetime) -> date:
    from bot.clock import from_db

    return from_db(moment_db).date()


def load_partners(path: Path | str | None = None, url: str | None = None,
                  now: datetime | None = None, override: bool = False) -> LoadReport:
    """Make the partners in the database those of the file, in one transaction.

    An agenda whose hours, slot length or seats a structure changed in the back-office keeps
    them (a warning says so) unless `override`: then the file wins and the edit is forgotten.
    """
    path = Path(path) if path is not None else DEFAULT_PARTNERS_FILE
    entries = read_partners_file(path)
    check_database(url)
    now = aware(now, "now") if now is not None else now_paris()
    report = LoadReport(path=str(path))
    with session_scope(url) as session:
        specs = check_partners(session, entries, path)
        _apply(session, specs, report, now, override)
    return report


# -- closures and listing --------------------------------------------------------------------

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
        inside = [b.reference for b in _upcoming(session, to_db(now), place_pk=found.pk)
                  if start <= _local_date(b.start) <= end and agenda_id in (None, b.agenda_id)]
        return ClosureAdded(closure.id, found.nom, inside)


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
                    [f"{WEEKDAYS_FR[h.weekday]} {_hhmm(h.start)}-{_hhmm(h.end)}" for h in hours]))
            closures = session.execute(select(Closure).where(Closure.place_pk == place.pk,
                                                             Closure.end_date >= today)
                                       .order_by(Closure.start_date)).scalars().all()
            out.append(PartnerSummary(
                place.pk, place_ref(place), place.nom, place.commune, place.booking_enabled, summaries,
                [ClosureSummary(c.id, c.start_date, c.end_date, c.reason, c.origin,
                                keys.get(c.agenda_id)) for c in closures]))
    return out
