"""What a person says about when they can come: "plutôt le matin", "pas mardi", "demain".

`read_preference(text, today)` turns it into filters for `free_slots`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.text import normalize

MORNING, AFTERNOON, EVENING = "matin", "apres-midi", "soir"

_WEEKDAYS = {
    "lundi": 0, "lun": 0, "mardi": 1, "mar": 1, "mercredi": 2, "mer": 2, "jeudi": 3, "jeu": 3,
    "vendredi": 4, "ven": 4, "vend": 4, "samedi": 5, "sam": 5, "dimanche": 6, "dim": 6,
}
_PARTS = [
    (re.compile(r"\b(apres ?midi|aprem|aprm|apm|apres midi|l apres midi|tantot)\b"), AFTERNOON),
    (re.compile(r"\b(matin|matinee|le matin|tot)\b"), MORNING),
    (re.compile(r"\b(soir|soiree|fin de journee|apres le travail)\b"), EVENING),
]
# "pas le matin": the other main part of the day.
_OPPOSITE = {MORNING: AFTERNOON, AFTERNOON: MORNING, EVENING: MORNING}
_NEGATION = re.compile(r"\b(pas|sauf|non|ni|jamais|hors|pa|excepte)\b")
_MONTHS = {
    "janvier": 1, "janv": 1, "fevrier": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5,
    "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "octobre": 10,
    "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}


@dataclass(frozen=True)
class Preference:
    """Filters for the next offer of slots. Empty when the text says nothing about time."""

    part_of_day: str | None = None
    exclude_weekdays: frozenset[int] = field(default_factory=frozenset)
    on_date: date | None = None
    later: bool = False  # "plus tard", "autre jour", "la semaine prochaine": show later slots

    @property
    def empty(self) -> bool:
        return (self.part_of_day is None and not self.exclude_weekdays and self.on_date is None
                and not self.later)


def _weekday_mentions(words: list[str]) -> list[tuple[int, bool]]:
    """(weekday, negated) for each weekday named; negated when "pas"/"sauf" comes just before."""
    found = []
    for index, word in enumerate(words):
        if word in _WEEKDAYS and not (word in {"mar", "mer", "sam", "dim", "jeu"} and len(words) > 3):
            before = " ".join(words[max(0, index - 3):index])
            found.append((_WEEKDAYS[word], bool(_NEGATION.search(before))))
    return found


def _explicit_date(words: str, raw: str, today: date) -> date | None:
    """"le 3 décembre", "3/12", "03/12/2026" -> the next such date from today."""
    match = re.search(r"\b(\d{1,2}) (?:er )?(" + "|".join(_MONTHS) + r")\b", words)
    if match:
        day, month = int(match.group(1)), _MONTHS[match.group(2)]
    else:
        match = re.search(r"\b(\d{1,2})[/.-](\d{1,2})\b", raw)
        if not match:
            return None
        day, month = int(match.group(1)), int(match.group(2))
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None


def read_preference(text: str | None, today: date) -> Preference:
    """Read a wish about the time of an appointment. Never raises."""
    raw = str(text or "")[:300]
    words_text = normalize(raw)
    if not words_text:
        return Preference()
    words = words_text.split()
    part = None
    for pattern, value in _PARTS:
        match = pattern.search(words_text)
        if match:
            negated = _NEGATION.search(" ".join(words_text[:match.start()].split()[-2:]))
            part = _OPPOSITE[value] if negated else value
            break
    mentions = _weekday_mentions(words)
    excluded = {day for day, negated in mentions if negated}
    wanted = {day for day, negated in mentions if not negated}
    if wanted:
        excluded |= set(range(7)) - wanted
    on_date = None
    if re.search(r"\bapres demain\b", words_text):
        on_date = today + timedelta(days=2)
    elif re.search(r"\bdemain\b", words_text):
        on_date = today + timedelta(days=1)
    elif re.search(r"\baujourd ?hui\b", words_text):
        on_date = today
    else:
        on_date = _explicit_date(words_text, raw, today)
    later = bool(re.search(r"\b(plus tard|autre jour|autres? (dates?|jours?|horaires?|creneaux?)"
                           r"|semaine prochaine|apres|pas ces|aucun)\b", words_text))
    return Preference(part_of_day=part, exclude_weekdays=frozenset(excluded), on_date=on_date,
                      later=later and part is None and not mentions and on_date is None)
