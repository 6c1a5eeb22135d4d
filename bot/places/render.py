"""A place as the person reads it: a short card of plain French text, one line per item, fit for
an SMS (no markdown, no emoji) as well as for Telegram and the web chat.

    1. France services La Poste de Saint-Denis — 1,9 km
    2 Place du Caquet, 93200 Saint-Denis
    Ouvert maintenant, jusqu'à 17 h.
    Gratuit.
    Accès : se présenter.
    Tél. 01 49 33 64 64

A place that takes appointments through the assistant says so on a last line ("Rendez-vous
possible par ici."); other places say nothing about it, to keep their card short.
"""
from __future__ import annotations

from datetime import datetime
from typing import Sequence

import phonenumbers

from bot import messages
from bot.places.hours import describe_hours
from bot.places.search import PlaceMatch, takes_bookings

MAX_CARD_CHARS = 320
ELLIPSIS = "…"


def format_distance(km: float) -> str:
    """"350 m" below 1 km (to the nearest 10 m), "1,2 km" from 1 km on (French decimal comma)."""
    metres = int(round(max(0.0, km) * 100)) * 10
    if metres < 1000:
        return f"{max(metres, 10)} m"
    return f"{metres / 1000:.1f} km".replace(".", ",")


def format_phone(number: str | None) -> str | None:
    """A phone number as dialled in France ("01 23 45 67 89"); None when absent or invalid."""
    if not number or not str(number).strip():
        return None
    try:
        parsed = phonenumbers.parse(str(number).strip(), "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def _or_list(values: Sequence[str]) -> str:
    """"a", "a ou b", "a, b ou c"."""
    values = [value for value in values if value]
    if len(values) <= 1:
        return "".join(values)
    return f"{', '.join(values[:-1])} ou {values[-1]}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _cut(text: str, length: int) -> str:
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    return text[:length - 1].rstrip(" ,;-—") + ELLIPSIS


def _fees(values: Sequence[str]) -> str | None:
    values = [value.strip() for value in values if value and value.strip()]
    if not values:
        return None
    return _or_list([values[0]] + [_lower_first(value) for value in values[1:]]) + "."


def _access(values: Sequence[str]) -> str | None:
    values = [_lower_first(value.strip()) for value in values if value and value.strip()]
    return f"Accès : {_or_list(values)}." if values else None


def _contact(match: PlaceMatch) -> str | None:
    phone = format_phone(match.telephone)
    if phone:
        return f"Tél. {phone}"
    emails = [email for email in match.courriels if email]
    return f"Courriel : {emails[0]}" if emails else None


def _address(match: PlaceMatch, with_complement: bool, length: int) -> str:
    street = " ".join((match.adresse or "").split())
    complement = " ".join((match.complement_adresse or "").split())
    if with_complement and complement:
        street = f"{street} ({complement})"
    town = " ".join(part for part in (match.code_postal, match.commune) if part)
    return _cut(", ".join(part for part in (street, town) if part), length)


def booking_line(match: PlaceMatch) -> str | None:
    """"Rendez-vous possible par ici." for a place that takes bookings through the assistant
    (a partner with bookings enabled); None for the others."""
    return messages.text("place_card_bookable") if takes_bookings(match) else None


def place_card(match: PlaceMatch, number: int | None, now: datetime) -> str:
    """The card of a place: name and distance, address, hours at `now`, fees, access, phone,
    and for a place that takes bookings through the assistant, a last line saying so.

    Lines with nothing to say are left out (no fees listed, no phone nor email). A card longer
    than about `MAX_CARD_CHARS` characters is shortened: first the address complement, then
    the list of ways in, then the name and the address are cut (with "…").
    """
    hours = describe_hours(match.horaires, now)
    fees = _fees(match.frais_a_charge)
    contact = _contact(match)
    booking = booking_line(match)
    prefix = f"{number}. " if number is not None else ""
    distance = f" — {format_distance(match.distance_km)}"
    attempts = (
        (True, len(match.modalites_acces), 90, 120),
        (False, len(match.modalites_acces), 90, 120),
        (False, 2, 90, 120),
        (False, 2, 50, 70),
        (False, 1, 40, 60),
    )
    for with_complement, access_count, name_length, address_length in attempts:
        lines = [
            f"{prefix}{_cut(match.nom or '', name_length)}{distance}",
            _address(match, with_complement, address_length),
            hours,
            fees,
            _access(match.modalites_acces[:access_count]),
            contact,
            booking,
        ]
        card = "\n".join(line for line in lines if line)
        if len(card) <= MAX_CARD_CHARS:
            break
    return card


__all__ = ["MAX_CARD_CHARS", "booking_line", "format_distance", "format_phone", "place_card"]
