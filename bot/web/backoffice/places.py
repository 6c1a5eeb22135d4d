"""What the back-office shows of a place, and the closures its staff may remove."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete

from bot.booking.partners.listing import PartnerSummary, list_partners
from bot.db.models import Closure, Place, Referral
from bot.db.session import session_scope
from bot.places.address import one_line_address


@dataclass(frozen=True)
class PlaceSummary:
    pk: int
    name: str
    commune: str
    address: str
    partner: bool


def place_summary(place_pk: int, url: str | None = None) -> PlaceSummary | None:
    with session_scope(url) as session:
        place = session.get(Place, place_pk)
        if place is None:
            return None
        return PlaceSummary(place.pk, place.nom, place.commune, one_line_address(place),
                            bool(place.partner))


def partner_summary(place_pk: int, url: str | None = None) -> PartnerSummary | None:
    """The partner place's agendas (weekly hours) and closures not yet over, or None."""
    return next((p for p in list_partners(url=url) if p.pk == place_pk), None)


def remove_operator_closure(place_pk: int, closure_id: int, url: str | None = None) -> bool:
    """Remove a closure added by an operator (those of the partners file come back at each
    load: they are changed in the file). False when there is no such closure of this place."""
    with session_scope(url) as session:
        return (session.execute(delete(Closure).where(
            Closure.id == closure_id, Closure.place_pk == place_pk,
            Closure.origin == "operator")).rowcount or 0) == 1


def referral_place(referral_id: int, url: str | None = None) -> int | None:
    """The place of a referral (to check who may change it), or None."""
    with session_scope(url) as session:
        row = session.get(Referral, referral_id)
        return row.place_pk if row is not None else None
