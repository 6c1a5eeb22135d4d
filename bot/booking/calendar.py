"""Time helpers of booking: Europe/Paris at the edges, naive UTC in the database, French
public holidays, and dates said in French."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

from bot.booking.rules import PARIS

WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre")


def aware(moment: datetime, name: str = "time") -> datetime:
    """`moment` in Europe/Paris; a naive datetime is refused (ambiguous)."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (for example Europe/Paris): {moment!r}")
    return moment.astimezone(PARIS)


def clock() -> datetime:
    """The current time (aware). Tests replace it: monkeypatch bot.booking.calendar.clock."""
    return datetime.now(timezone.utc)


def now_paris() -> datetime:
    """Now, in Europe/Paris: the default `now` of every booking function and command."""
    return clock().astimezone(PARIS)


def to_db(moment: datetime) -> datetime:
    """Aware -> naive UTC, as the database stores it."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def from_db(moment: datetime) -> datetime:
    """Naive UTC from the database -> aware Europe/Paris."""
    return moment.replace(tzinfo=timezone.utc).astimezone(PARIS)


def local(day: date, clock: time) -> datetime:
    """The wall-clock time `clock` of `day` in Europe/Paris."""
    return datetime.combine(day, clock, tzinfo=PARIS)


def _easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=32)
def public_holidays(year: int) -> dict[date, str]:
    """The 11 public holidays of metropolitan France (Alsace-Moselle's two extra days aside)."""
    easter = _easter(year)
    return {
        date(year, 1, 1): "Jour de l'an",
        easter + timedelta(days=1): "Lundi de Pâques",
        date(year, 5, 1): "Fête du Travail",
        date(year, 5, 8): "Victoire 1945",
        easter + timedelta(days=39): "Ascension",
        easter + timedelta(days=50): "Lundi de Pentecôte",
        date(year, 7, 14): "Fête nationale",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "Armistice 1918",
        date(year, 12, 25): "Noël",
    }


def is_public_holiday(day: date) -> bool:
    return day in public_holidays(day.year)


def say_date(day: date) -> str:
    """"mardi 1er décembre"."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{WEEKDAYS_FR[day.weekday()]} {number} {MONTHS_FR[day.month - 1]}"


def say_time(moment: datetime | time) -> str:
    """"10 h", "10 h 30"."""
    return f"{moment.hour} h" if moment.minute == 0 else f"{moment.hour} h {moment.minute:02d}"


def say_slot(start: datetime) -> str:
    """"mardi 1er décembre à 10 h 30"."""
    return f"{say_date(start.date())} à {say_time(start)}"
