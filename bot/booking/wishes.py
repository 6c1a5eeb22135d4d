"""Slots for a wish ("plutôt le matin", "pas mardi", "le 2 décembre", "plus tard"), and what to
say when no free slot matches it: the closest ones, never the same as before when others exist.

`slots_for_wish(place_pk, now, wish, already_offered)` answers with a `WishAnswer`: the slots to
offer and the sentence that introduces them (data/messages.yml: `slots_for_wish`,
`slots_none_match`, `slots_nothing_later`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from bot import messages
from bot.booking.preferences import Preference
from bot.booking.slots import AFTERNOON, EVENING, MORNING, Slot, day_part, free_slots
from bot.clock import WEEKDAYS_FR, aware, say_date

# Every free slot of the horizon is read once (a few hundred at most: 21 days of agendas).
ALL_SLOTS = 100_000
NOON, SIX_PM = 12 * 60, 18 * 60
_PART_ALONE = {MORNING: "le matin", AFTERNOON: "l'après-midi", EVENING: "le soir"}
# After a weekday: "le mardi matin"; after a date: "le mardi 8 décembre au matin".
_PART_AFTER_DAY = {MORNING: "matin", AFTERNOON: "après-midi", EVENING: "soir"}
_PART_AFTER_DATE = {MORNING: "au matin", AFTERNOON: "l'après-midi", EVENING: "au soir"}

MATCHED, NONE_MATCH, NOTHING_LATER = "slots_for_wish", "slots_none_match", "slots_nothing_later"


@dataclass(frozen=True)
class WishAnswer:
    """What to offer after a wish.

    `matched`: some free slot fits the wish; `slots` are then fitting ones, earliest first.
    Otherwise `slots` are the closest free slots to the wish (shown earliest first), and
    `nothing_later` tells that the wish was "plus tard" and nothing is free later. `slots` is
    empty only when the place has no free slot at all. `wish` is the wish in French ("le
    matin"), `key` the message that introduces the slots; `message` is that sentence.
    """

    matched: bool
    slots: list[Slot] = field(default_factory=list)
    wish: str = ""
    key: str = MATCHED
    nothing_later: bool = False

    @property
    def message(self) -> str:
        if not self.wish and self.key != NOTHING_LATER:  # an empty wish
            return messages.text("slots_other" if self.matched else "slots_none_for_wish")
        return messages.text(self.key, wish=self.wish)


def _or_days(days: Iterable[int]) -> str:
    """"le mardi", "le mardi ou le jeudi", "le lundi, le mardi ou le jeudi"."""
    names = [f"le {WEEKDAYS_FR[day]}" for day in sorted(days)]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} ou {names[-1]}"


def say_wish(wish: Preference) -> str:
    """The wish in French, to follow "Voici des rendez-vous libres" or "Je n'ai pas de
    rendez-vous libre": "le matin", "l'après-midi", "le soir", "le mercredi 2 décembre", "le
    mercredi 2 décembre au matin", "le mardi", "le mardi matin", "un autre jour que le mardi",
    "plus tard"; "" for an empty wish."""
    part = wish.part_of_day if wish.part_of_day in _PART_ALONE else None
    if wish.on_date is not None:
        day = f"le {say_date(wish.on_date)}"
        return f"{day} {_PART_AFTER_DATE[part]}" if part else day
    excluded = set(wish.exclude_weekdays) & set(range(7))
    if excluded and len(excluded) < 7:
        if len(excluded) >= 4:  # "mardi" excludes the six other days: say the wanted ones
            days = _or_days(set(range(7)) - excluded)
            if part:
                return f"{days} {_PART_AFTER_DAY[part]}" if len(excluded) == 6 else \
                    f"{_PART_ALONE[part]}, {days}"
            return days
        other = f"un autre jour que {_or_days(excluded)}"
        return f"{_PART_ALONE[part]}, {other}" if part else other
    if part:
        return _PART_ALONE[part]
    return "plus tard" if wish.later else ""


def _minute_of_day(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def part_distance(start: datetime, part: str | None) -> int:
    """0 when `start` is in `part` of the day; otherwise how many minutes it is from it, at
    least 1: for the morning, the earliest times are the closest; for the evening, the latest."""
    if part is None or day_part(start) == part:
        return 0
    minute = _minute_of_day(start)
    if part == MORNING:
        return minute - NOON + 1
    if part == EVENING:
        return SIX_PM - minute
    return NOON - minute if minute < NOON else minute - SIX_PM + 1


def _as_start(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return aware(moment, "already_offered")


def slots_for_wish(place_pk: int, now: datetime, wish: Preference,
                   already_offered: Iterable[datetime | str] = (), limit: int = 3,
                   url: str | None = None) -> WishAnswer:
    """The free slots of a place to offer after `wish`, and how to introduce them.

    A slot fits the wish when it is in the part of the day asked for, not on an excluded
    weekday, on the date asked for, and, for "plus tard" (`wish.later`), after every slot of
    `already_offered` (their starts, aware datetimes or ISO texts). The fitting slots are
    offered earliest first (`matched`, message `slots_for_wish`). When none fits, the closest
    are offered (`slots_none_match`), ranked by: the fewest days from the date asked for, then
    not on an excluded weekday, then the nearest time of day to the part asked for (morning:
    the earliest starts; evening: the latest; afternoon: nearest to 12 h or 18 h), then the
    earliest; they are shown earliest first. "Plus tard" with nothing later offers the earliest
    free slots with `slots_nothing_later`. A slot of `already_offered` is offered again only
    when no other slot fits (or, when none fits, no other slot is free at all).

    Slots follow the rules of `free_slots` (lead time, horizon, closures, public holidays,
    seats). An empty wish offers the earliest slots not offered yet.
    """
    now = aware(now, "now")
    offered = {_as_start(value) for value in already_offered or ()}
    phrase = say_wish(wish)
    if limit <= 0:
        return WishAnswer(False, [], phrase, NONE_MATCH)
    free = free_slots(place_pk, now, limit=ALL_SLOTS, url=url)
    last_offered = max(offered) if offered else None
    part = wish.part_of_day
    excluded = set(wish.exclude_weekdays)

    def misses(slot: Slot) -> tuple:
        day = slot.start.date()
        return (
            1 if wish.later and last_offered is not None and slot.start <= last_offered else 0,
            abs((day - wish.on_date).days) if wish.on_date is not None else 0,
            1 if day.weekday() in excluded else 0,
            part_distance(slot.start, part),
        )

    ranked = sorted(free, key=lambda slot: (misses(slot), slot.start, slot.agenda_id))
    fitting = [slot for slot in ranked if not any(misses(slot))]
    if fitting:
        return WishAnswer(True, _fresh_first(fitting, offered, limit), phrase, MATCHED)
    if wish.later and not (part or excluded or wish.on_date):
        earliest = sorted(free, key=lambda slot: (slot.start, slot.agenda_id))
        return WishAnswer(False, _fresh_first(earliest, offered, limit), phrase, NOTHING_LATER,
                          nothing_later=True)
    closest = _fresh_first(ranked, offered, limit)
    return WishAnswer(False, sorted(closest, key=lambda slot: (slot.start, slot.agenda_id)),
                      phrase, NONE_MATCH)


def _fresh_first(slots: list[Slot], offered: set[datetime], limit: int) -> list[Slot]:
    """The first `limit` of `slots` that were not offered yet; the offered ones only when
    there is no other."""
    fresh = [slot for slot in slots if slot.start not in offered]
    return (fresh or slots)[:limit]


__all__ = ["WishAnswer", "part_distance", "say_wish", "slots_for_wish"]
