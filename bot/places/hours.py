"""Opening hours of a place, read from its OSM `opening_hours` expression (the standard's
`horaires` field), and said in one or two short French sentences fit for an SMS.

- Every time is read in Europe/Paris: a naive `now` is taken as Paris local time, an aware one
  is converted. Returned datetimes are aware, in Europe/Paris.
- French public holidays are known (`PH` in an expression, e.g. "Mo-Fr 09:00-17:00; PH off").
  An expression that does not mention `PH` is applied as written on holidays too: we never guess
  a closure that the place did not declare.
- An empty or unreadable expression never raises: the person is asked to call before coming
  (and an unreadable one is logged once, as a warning, for the directory's maintainers).
- Only the next `HORIZON_DAYS` days are looked at: a place that does not open within them has no
  known next opening.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import lru_cache

import opening_hours

from bot.clock import MONTHS_FR as MONTHS, PARIS, WEEKDAYS_FR as WEEKDAYS

log = logging.getLogger(__name__)

COUNTRY = "FR"  # calendar of public holidays (PH)
HORIZON_DAYS = 62  # enough for rules like "the first Wednesday of the month"

UNKNOWN_HOURS = "Horaires non communiqués : appelez avant de venir."
UNCERTAIN_NOW = "Horaires à confirmer : appelez avant de venir."
NO_NEXT_OPENING = "Fermé maintenant. Prochaine ouverture non communiquée : appelez avant de venir."


def _paris(now: datetime) -> datetime:
    """`now` in Europe/Paris: naive means Paris local time already."""
    if now.tzinfo is None or now.tzinfo.utcoffset(now) is None:
        return now.replace(tzinfo=PARIS)
    return now.astimezone(PARIS)


@lru_cache(maxsize=4096)
def _parse(expression: str) -> opening_hours.OpeningHours | None:
    """The parsed expression, or None (logged once) when it is not valid OSM opening hours."""
    try:
        try:
            return opening_hours.OpeningHours(expression, timezone=PARIS, country=COUNTRY,
                                              max_interval_days=HORIZON_DAYS)
        except opening_hours.UnknownCountryError:  # pragma: no cover - 2.1.4 knows FR
            return opening_hours.OpeningHours(expression, timezone=PARIS,
                                              max_interval_days=HORIZON_DAYS)
    except Exception as error:  # ParserError, or anything else the parser may raise
        reason = " ".join(str(error).split())[:300] or type(error).__name__
        log.warning("unreadable opening hours %r: %s", expression[:200], reason)
    return None


def _hours(expression: str | None) -> opening_hours.OpeningHours | None:
    if expression is None:
        return None
    text = str(expression).strip()
    return _parse(text) if text else None


def _state_and_changes(hours, now: datetime):
    """(state at `now`, end of the opening in progress, start of the next opening).

    When open, the end is the first moment of another state (intervals that differ only by
    their comment are one opening); when closed or unknown, the next opening is the start of the
    first open interval. Whatever lies beyond the horizon is None.
    """
    horizon = now + timedelta(days=HORIZON_DAYS)
    state = None
    for start, _stop, interval_state, _comment in hours.intervals(now, horizon):
        if state is None:
            state = interval_state
            continue
        if state == opening_hours.State.OPEN and interval_state != opening_hours.State.OPEN:
            return state, start, None
        if state != opening_hours.State.OPEN and interval_state == opening_hours.State.OPEN:
            return state, None, start
    return state, None, None


def is_open(expression: str | None, now: datetime) -> bool | None:
    """True when open at `now`, False when closed; None when unknown (no hours, unreadable
    hours, or an `unknown` rule at that time)."""
    hours = _hours(expression)
    if hours is None:
        return None
    moment = _paris(now)
    try:
        if hours.is_open(moment):
            return True
        if hours.is_closed(moment):
            return False
    except Exception as error:  # pragma: no cover - defensive: never break a conversation
        log.warning("opening hours %r could not be evaluated: %s", expression, error)
    return None


def next_opening(expression: str | None, now: datetime) -> datetime | None:
    """The earliest moment at or after `now` when the place is open (`now` itself, in Paris
    time, when it is open already); None when unknown or not within `HORIZON_DAYS` days."""
    hours = _hours(expression)
    if hours is None:
        return None
    moment = _paris(now)
    try:
        state, _end, opening = _state_and_changes(hours, moment)
    except Exception as error:  # pragma: no cover - defensive
        log.warning("opening hours %r could not be evaluated: %s", expression, error)
        return None
    if state == opening_hours.State.OPEN:
        return moment
    return opening.astimezone(PARIS) if opening is not None else None


def french_time(moment: datetime) -> str:
    """"9 h", "9 h 30", "17 h", "minuit"."""
    if moment.hour == 0 and moment.minute == 0:
        return "minuit"
    return f"{moment.hour} h" if moment.minute == 0 else f"{moment.hour} h {moment.minute:02d}"


def _day_words(moment: datetime, now: datetime) -> str:
    """"aujourd'hui", "demain", "mardi", or "le lundi 4 août" (a week or more ahead)."""
    days = (moment.date() - now.date()).days
    if days == 0:
        return "aujourd'hui"
    if days == 1:
        return "demain"
    weekday = WEEKDAYS[moment.weekday()]
    if days < 7:
        return weekday
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"le {weekday} {day} {MONTHS[moment.month - 1]}"


def describe_hours(expression: str | None, now: datetime) -> str:
    """Whether the place is open at `now` and until when, or when it opens next, in French.

    "Ouvert maintenant, jusqu'à 17 h." · "Fermé maintenant. Ouvre demain à 9 h." ·
    "Fermé maintenant. Ouvre mardi à 9 h 30." · "Horaires non communiqués : appelez avant de
    venir." (no hours, or hours that cannot be read). Never raises.
    """
    hours = _hours(expression)
    if hours is None:
        return UNKNOWN_HOURS
    moment = _paris(now)
    try:
        state, end, opening = _state_and_changes(hours, moment)
    except Exception as error:  # pragma: no cover - defensive
        log.warning("opening hours %r could not be evaluated: %s", expression, error)
        return UNKNOWN_HOURS
    if state == opening_hours.State.OPEN:
        if end is None:
            return "Ouvert maintenant."
        end = end.astimezone(PARIS)
        if end.date() == moment.date() or (end.hour == 0 and end.minute == 0
                                           and (end.date() - moment.date()).days == 1):
            return f"Ouvert maintenant, jusqu'à {french_time(end)}."
        return f"Ouvert maintenant, jusqu'à {_day_words(end, moment)} {french_time(end)}."
    if state == opening_hours.State.CLOSED:
        if opening is None:
            return NO_NEXT_OPENING
        opening = opening.astimezone(PARIS)
        return f"Fermé maintenant. Ouvre {_day_words(opening, moment)} à {french_time(opening)}."
    return UNCERTAIN_NOW


__all__ = ["PARIS", "describe_hours", "french_time", "is_open", "next_opening"]
