"""Shared time, in one place: the clock, Europe/Paris at the edges, naive UTC in the database,
French public holidays, and dates said in French.

- `utc_now()` is the only reading of the system clock (aware, UTC). Tests replace it:
  `monkeypatch.setattr(bot.clock, "utc_now", lambda: ...)`; `now()` and `now_db()` follow.
- `now()` is aware Europe/Paris: the default `now` of every booking, funding and reminder
  function and command. `now_db()` is naive UTC, as the database columns store it.
- Public holidays come from the `holidays` package (metropolitan France, the 11 days; Alsace-
  Moselle's two extra days aside), under the names this code has always used.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre")


# --- the clock ---------------------------------------------------------------------------------

def utc_now() -> datetime:
    """The current time (aware, UTC): the one reading of the system clock."""
    return datetime.now(timezone.utc)


def now() -> datetime:
    """Now, in Europe/Paris (aware)."""
    return utc_now().astimezone(PARIS)


def now_paris() -> datetime:
    """Now, in Europe/Paris (aware): the name the booking and funding code uses."""
    return now()


def now_db() -> datetime:
    """Now, as naive UTC: what the database's DateTime columns hold."""
    return to_db(utc_now())


# --- conversions -------------------------------------------------------------------------------

def aware(moment: datetime, name: str = "time") -> datetime:
    """`moment` in Europe/Paris; a naive datetime is refused (ambiguous)."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (for example Europe/Paris): {moment!r}")
    return moment.astimezone(PARIS)


def to_db(moment: datetime) -> datetime:
    """Aware -> naive UTC, as the database stores it."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def from_db(moment: datetime) -> datetime:
    """Naive UTC from the database -> aware Europe/Paris."""
    return moment.replace(tzinfo=timezone.utc).astimezone(PARIS)


def local(day: date, clock: time) -> datetime:
    """The wall-clock time `clock` of `day` in Europe/Paris."""
    return datetime.combine(day, clock, tzinfo=PARIS)


# --- public holidays ---------------------------------------------------------------------------

# The `holidays` package's French names -> the names this code has always given.
_NAMES = {
    "Fête de la Victoire": "Victoire 1945",
    "Armistice": "Armistice 1918",
}


@lru_cache(maxsize=32)
def public_holidays(year: int) -> dict[date, str]:
    """The 11 public holidays of metropolitan France (Alsace-Moselle's two extra days aside)."""
    import holidays  # imported on first use: loading every country costs some time

    days = holidays.France(years=year, subdiv=None, language="fr")
    return {day: _NAMES.get(name, name) for day, name in sorted(days.items())}


def is_public_holiday(day: date) -> bool:
    return day in public_holidays(day.year)


# --- dates said in French ----------------------------------------------------------------------

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
