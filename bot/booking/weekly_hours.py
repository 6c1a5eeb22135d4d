"""Weekly hours as operators and staff write them, checked against a place's opening hours.

Read by the partners file (bot/booking/partners/file.py) and by the back-office's agenda edit
(bot/booking/agenda_edit.py): the same days ("lundi-vendredi", "Mo-Fr", a list), the same times
("09:30", "9h30") and the same rule (open without a break, by the directory's `horaires` in the
OSM opening-hours format).
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import opening_hours
from unidecode import unidecode

from bot.clock import WEEKDAYS_FR

_DAYS = {name: number for number, name in enumerate(WEEKDAYS_FR)}
_DAYS.update({"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6})
_TIME = re.compile(r"^(\d{1,2})[:h](\d{2})$")
REFERENCE_MONDAY = date(2024, 1, 8)  # a week without public holiday, to read opening hours


def hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def parse_time(value) -> time | None:
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


def _day(name: str) -> int | None:
    return _DAYS.get(unidecode(name).strip().lower())


def parse_days(value) -> list[int] | None:
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


def readable_hours(horaires: str) -> bool:
    try:
        opening_hours.OpeningHours(horaires)
    except Exception:  # the library's ParserError, or anything it raises on odd input
        return False
    return True


@lru_cache(maxsize=256)
def _opening_hours(horaires: str):
    return opening_hours.OpeningHours(horaires)


def open_throughout(horaires: str, weekday: int, start: time, end: time) -> bool:
    """Open without a break from `start` to `end` on `weekday`, by the OSM opening hours."""
    hours = _opening_hours(horaires)
    day = REFERENCE_MONDAY + timedelta(days=weekday)
    begin, finish = datetime.combine(day, start), datetime.combine(day, end)
    if not hours.is_open(begin):
        return False
    change = hours.next_change(begin)
    return change is None or change >= finish
