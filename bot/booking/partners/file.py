"""Reading and checking a partners file (YAML) against the directory, before anything is written.

Every problem is reported with the file path and where in the file it is
(`partners[2].agendas[0].hours[1]`); see the comments at the top of data/partners/demo.yml for
the format.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from bot.booking.partners.database import place_ref, resolve_place
from bot.booking.partners.errors import PartnersFileError
from bot.booking.weekly_hours import (REFERENCE_MONDAY, hhmm, open_throughout, parse_days,
                                      parse_time, readable_hours)
from bot.clock import WEEKDAYS_FR
from bot.db.models import Place
from bot.paths import DATA_DIR
from bot.yaml_data import YamlDataError, load_yaml

DEFAULT_PARTNERS_FILE = DATA_DIR / "partners" / "demo.yml"
KINDS = {"individual": "individual", "individuel": "individual", "collective": "collective",
         "collectif": "collective"}
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PARTNER_KEYS = {"place", "booking_enabled", "agendas", "closures", "note"}
AGENDA_KEYS = {"key", "label", "kind", "slot_minutes", "seats", "hours", "what_to_bring"}
HOURS_KEYS = {"days", "from", "to"}
CLOSURE_KEYS = {"from", "to", "reason", "agenda"}


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


def _parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _unknown(entry: dict, allowed: set[str], where: str, problems: list[str], path: Path) -> None:
    extra = sorted(str(k) for k in entry if k not in allowed)
    if extra:
        problems.append(f"{path}: {where}: unknown key(s) {', '.join(extra)} "
                        f"(allowed: {', '.join(sorted(allowed))})")


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
        days = parse_days(item.get("days"))
        start, end = parse_time(item.get("from")), parse_time(item.get("to"))
        if days is None:
            problems.append(f"{path}: {at}: days must name weekdays (lundi ... dimanche, a range "
                            f"lundi-vendredi, or a list), not {item.get('days')!r}")
        if start is None or end is None:
            bad = item.get("from") if start is None else item.get("to")
            problems.append(f"{path}: {at}: from and to must be times HH:MM, not {bad!r}")
        if days is None or start is None or end is None:
            continue
        if start >= end:
            problems.append(f"{path}: {at}: from {hhmm(start)} must be before to {hhmm(end)}")
            continue
        span = (datetime.combine(REFERENCE_MONDAY, end) - datetime.combine(REFERENCE_MONDAY, start))
        if minutes and span < timedelta(minutes=minutes):
            problems.append(f"{path}: {at}: {hhmm(start)}-{hhmm(end)} is shorter than one slot "
                            f"({minutes} min)")
            continue
        for day in days:
            spec = HoursSpec(day, start, end, at)
            if not open_throughout(place.horaires, day, start, end):
                problems.append(f"{path}: {at}: {WEEKDAYS_FR[day]} {hhmm(start)}-{hhmm(end)} "
                                f"is outside the opening hours of {place.nom} "
                                f"({place_ref(place)}): {place.horaires}")
                continue
            for other in hours:
                if other.weekday == day and other.start < end and start < other.end:
                    problems.append(f"{path}: {at}: {WEEKDAYS_FR[day]} {hhmm(start)}-{hhmm(end)} "
                                    f"overlaps {other.where} ({hhmm(other.start)}-{hhmm(other.end)})")
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
        if not readable_hours(place.horaires):
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
