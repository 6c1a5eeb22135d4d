"""What the partners operations read from the database: whether it is migrated, a place by
its reference, the upcoming bookings of a place or agenda."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking.partners.errors import PartnersDatabaseError
from bot.clock import from_db
from bot.db.models import Agenda, Booking as BookingRow, Place
from bot.db.session import missing_table


def check_database(url: str | None = None) -> None:
    problem = missing_table(Agenda.__tablename__, url)
    if problem:
        raise PartnersDatabaseError(problem)


def resolve_place(session: Session, ref) -> Place | None:
    """A place by "source:id", by {source, id}, or by its number (pk)."""
    if isinstance(ref, dict):
        source, place_id = ref.get("source"), ref.get("id")
        if source is None or place_id is None:
            return None
        return session.execute(select(Place).where(Place.source == str(source),
                                                   Place.id == str(place_id))).scalars().first()
    text = str(ref).strip()
    if text.isdigit():
        return session.get(Place, int(text))
    for index in [i for i, ch in enumerate(text) if ch == ":"]:
        place = session.execute(select(Place).where(Place.source == text[:index],
                                                    Place.id == text[index + 1:])).scalars().first()
        if place is not None:
            return place
    return None


def place_ref(place: Place) -> str:
    return f"{place.source}:{place.id}"


def upcoming_rows(session: Session, now_db: datetime, **where) -> list[BookingRow]:
    query = select(BookingRow).where(BookingRow.status == "booked", BookingRow.start > now_db)
    for name, value in where.items():
        query = query.where(getattr(BookingRow, name) == value)
    return session.execute(query.order_by(BookingRow.start)).scalars().all()


def local_date(moment_db: datetime) -> date:
    return from_db(moment_db).date()
