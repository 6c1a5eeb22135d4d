"""The referrals of a place as the back-office lists them, with their funding.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import aware, from_db, local, now_paris, to_db
from bot.db.models import Booking as BookingRow
from bot.db.models import FundingEntry, Referral
from bot.db.session import session_scope
from bot.funding.statuses import BOOKED, status_label


@dataclass(frozen=True)
class ReferralView:
    """A referral as the back-office lists it: the booking's first name and reference, never a
    phone number or a channel id."""

    id: int
    place_pk: int
    person_key: str  # pseudonymous
    status: str
    status_label: str
    slot_start: datetime | None  # aware, Europe/Paris
    created_at: datetime
    channel: str
    level: str | None
    services: list[str]
    oriented_by: str
    oriented_by_organisation: str | None
    accompanied_on: date | None
    recorded_at: datetime | None
    booking_id: int | None
    reference: str | None
    first_name: str | None
    funded: bool | None  # this referral counts: funded (True) or hors plafond (False); else None
    rank: int | None


def _views(session: Session, query) -> list[ReferralView]:
    rows = session.execute(query).all()
    return [ReferralView(
        id=row.Referral.id, place_pk=row.Referral.place_pk, person_key=row.Referral.person_key,
        status=row.Referral.status, status_label=status_label(row.Referral.status),
        slot_start=from_db(row.Referral.slot_start) if row.Referral.slot_start else None,
        created_at=from_db(row.Referral.created_at), channel=row.Referral.channel,
        level=row.Referral.level, services=list(row.Referral.services or []),
        oriented_by=row.Referral.oriented_by,
        oriented_by_organisation=row.Referral.oriented_by_organisation,
        accompanied_on=row.Referral.accompanied_on,
        recorded_at=from_db(row.Referral.recorded_at) if row.Referral.recorded_at else None,
        booking_id=row.Referral.booking_id, reference=row.reference,
        first_name=row.first_name or None, funded=row.funded, rank=row.rank) for row in rows]


def _listing():
    return (select(Referral, BookingRow.reference, BookingRow.first_name, FundingEntry.funded,
                   FundingEntry.rank)
            .outerjoin(BookingRow, BookingRow.id == Referral.booking_id)
            .outerjoin(FundingEntry, FundingEntry.referral_id == Referral.id))


def referrals_to_confirm(place_pk: int, *, now: datetime | None = None,
                         url: str | None = None) -> list[ReferralView]:
    """The place's referrals still booked whose appointment has begun: the structure must say
    whether the person was accompanied or absent. Oldest appointment first."""
    now = aware(now, "now") if now is not None else now_paris()
    query = _listing().where(Referral.place_pk == place_pk, Referral.status == BOOKED,
                             Referral.slot_start.is_not(None),
                             Referral.slot_start <= to_db(now)) \
        .order_by(Referral.slot_start, Referral.id)
    with session_scope(url) as session:
        return _views(session, query)


def referrals_of_place(place_pk: int, *, since: date | None = None, limit: int | None = None,
                       url: str | None = None) -> list[ReferralView]:
    """Every referral of a place (its appointment, or its creation, on or after `since`),
    latest appointment first."""
    when = func.coalesce(Referral.slot_start, Referral.created_at)
    query = _listing().where(Referral.place_pk == place_pk)
    if since is not None:
        query = query.where(when >= to_db(local(since, time(0))))
    query = query.order_by(when.desc(), Referral.id.desc())
    if limit is not None:
        query = query.limit(max(1, int(limit)))
    with session_scope(url) as session:
        return _views(session, query)
