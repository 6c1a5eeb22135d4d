"""The member commune someone named: an INSEE code, a postcode, or a name with typos ("st
denis"); "Paris" alone is Paris as a whole (an organisation, a commune agent serve it all)."""
from __future__ import annotations

import re

from bot.geo.communes import place as place_by_insee
from bot.geo.locate import locate


def member_commune(text: str | None):
    """The commune (or Paris arrondissement) of the Métropole `text` names, or None."""
    value = (text or "").strip()
    found = place_by_insee(value) if re.fullmatch(r"\d[\dAB]\d{3}", value) else None
    if found is None:
        location = locate(value)
        found = location.place if location.found else location.fallback
    if found is None:
        return None
    return place_by_insee(found.commune_insee) or found
