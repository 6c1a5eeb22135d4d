"""What the assistant says for a `Location`, from `data/geo/messages.yml`."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from bot.geo.communes import GEO_DIR, former_communes
from bot.geo.locate import AMBIGUOUS, FOUND, MAX_LISTED, OUTSIDE, Location
from bot.yaml_data import load_yaml

MESSAGES_PATH = GEO_DIR / "messages.yml"
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre")
# Departments where only some communes are members: their few communes are named.
_SOME_MAX = 6


@lru_cache(maxsize=1)
def _messages() -> dict:
    return load_yaml(MESSAGES_PATH)


def ask_where() -> str:
    """The question of the "where" step."""
    return _messages()["ask"]


def render(location: Location) -> list[str]:
    """The message(s) to send for `location`: one, or two for `outside` (the statement, then
    the national helpline and map)."""
    m = _messages()
    if location.kind == FOUND:
        if location.merged_from:
            former = next(f for f in former_communes() if f.nom == location.merged_from)
            return [m["merged"].format(former=location.merged_from, name=location.name,
                                       date=_french_date(former.date))]
        key = "found_point" if location.reason == "point" else "found"
        return [m[key].format(name=location.name)]
    if location.kind == AMBIGUOUS:
        return [_ambiguous(location, m)]
    if location.kind == OUTSIDE:
        return [_outside(location, m["outside"]), m["outside_help"]]
    if location.reason == "name":
        return [m["unknown"]]  # a name not judged (a place of Paris, a typo): the postcode
                               # will settle it
    return [m["not_understood"]]


def _ambiguous(location: Location, m: dict) -> str:
    candidates = location.candidates
    if location.reason == "paris":
        if location.postcode:
            return m["paris_postcode"].format(postcode=location.postcode)
        return m["paris"]
    if location.reason == "department":
        department = location.department or ""
        if location.postcode:
            return m["department_postcode"].format(postcode=location.postcode,
                                                   department=department)
        if len(candidates) == 1:
            return m["department_one"].format(department=department, name=candidates[0].nom)
        if len(candidates) <= _SOME_MAX:
            return m["department_some"].format(department=department,
                                               names=", ".join(c.nom for c in candidates))
        return m["department"].format(department=department,
                                      examples=_or([c.nom for c in candidates[:3]]))
    if len(candidates) == 1:
        return m["confirm"].format(name=candidates[0].nom)
    shown = candidates[:MAX_LISTED]
    options = ", ".join(f"{i} {c.nom}" for i, c in enumerate(shown, 1))
    numbers = _or([str(i) for i in range(1, len(shown) + 1)])
    template = m["choose"].get(location.reason, m["choose"]["name"])
    return template.format(options=options, numbers=numbers, postcode=location.postcode or "")


def _outside(location: Location, m: dict) -> str:
    if location.reason == "postcode":  # its communes are in location.others, not said
        return m["postcode"].format(postcode=location.postcode)
    if location.named:
        return m["name"].format(name=location.named)
    if location.reason == "department":
        return m["department"].format(department=location.department)
    return m["point"]  # a shared location (or, defensively, anything else)


def _or(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " ou " + items[-1]


def _french_date(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{'1er' if day.day == 1 else day.day} {_MONTHS[day.month - 1]} {day.year}"

