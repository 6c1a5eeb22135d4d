"""A place's postal address on one line, as the person reads it in a confirmation or reminder."""
from __future__ import annotations

from bot.db.models import Place


def one_line_address(place: Place) -> str:
    """"181 Avenue Daumesnil, 75012 Paris 12e"."""
    parts = [place.adresse.strip()]
    if place.complement_adresse and place.complement_adresse.strip():
        parts.append(place.complement_adresse.strip())
    parts.append(f"{place.code_postal} {place.commune}".strip())
    return ", ".join(part for part in parts if part)
