"""What the prescripteur mode reads of the referrals it made: "mes orientations" (the recent
referrals of the prescripteur's organisation), the booking a person confirms by "OUI", and who
is told of what."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.clock import from_db, now_paris, to_db
from bot.db.models import Booking, Organisation, Place, PrescripteurSession, Referral
from bot.db.session import session_scope
from bot.referrals.core import ReferralStatus

# What "mes orientations" says of each status (the person's own "OUI" shows while booked).
STATUS_WORDS = {
    ReferralStatus.BOOKED.value: "rendez-vous pris",
    "confirmed": "confirmé par la personne",
    ReferralStatus.ACCOMPANIED.value: "accompagnée",
    ReferralStatus.ABSENT.value: "absente",
    ReferralStatus.CANCELLED.value: "annulé",
}


@dataclass(frozen=True)
class OrientationLine:
    reference: str
    first_name: str  # the person's, "" once erased
    prescripteur_first_name: str
    start: datetime  # aware, Europe/Paris
    place_name: str
    status: str  # a key of STATUS_WORDS

    @property
    def status_words(self) -> str:
        return STATUS_WORDS[self.status]


def recent_orientations(organisation_id: int, limit: int = 10,
                        url: str | None = None) -> list[OrientationLine]:
    """The organisation's latest referrals, newest first."""
    with session_scope(url) as session:
        found = session.execute(
            select(Referral, Booking.reference, Booking.first_name, Booking.start, Place.nom)
            .join(Booking, Booking.id == Referral.booking_id)
            .join(Place, Place.pk == Referral.place_pk)
            .where(Referral.organisation_id == organisation_id)
            .order_by(Referral.created_at.desc(), Referral.id.desc()).limit(limit)).all()
        lines = []
        for referral, reference, first_name, start, place_name in found:
            status = referral.status
            if status == ReferralStatus.BOOKED.value and referral.person_confirmed_at is not None:
                status = "confirmed"
            lines.append(OrientationLine(
                reference=reference, first_name=first_name or "",
                prescripteur_first_name=referral.prescripteur_first_name or "",
                start=from_db(start), place_name=place_name, status=status))
        return lines


def awaiting_confirmation(person_key: str, url: str | None = None) -> int | None:
    """The booking id of the person's latest appointment booked by a prescripteur, still booked
    and not confirmed by them yet; None when there is none."""
    with session_scope(url) as session:
        return session.execute(
            select(Referral.booking_id).where(
                Referral.person_key == person_key, Referral.organisation_id.is_not(None),
                Referral.status == ReferralStatus.BOOKED.value,
                Referral.person_confirmed_at.is_(None), Referral.booking_id.is_not(None))
            .order_by(Referral.id.desc()).limit(1)).scalar()


@dataclass(frozen=True)
class BookingOrigin:
    organisation: str  # the organisation's name
    prescripteur_conversation: str | None  # the session's conversation, to tell the prescripteur
    status: str  # the referral's (ReferralStatus)


def origin_of_booking(booking_id: int, url: str | None = None) -> BookingOrigin | None:
    """Who oriented the person of a booking; None for a booking the person made themselves."""
    with session_scope(url) as session:
        found = session.execute(
            select(Organisation.name, PrescripteurSession.conversation, Referral.status)
            .select_from(Referral)
            .join(Organisation, Organisation.id == Referral.organisation_id)
            .outerjoin(PrescripteurSession,
                       PrescripteurSession.id == Referral.prescripteur_session_id)
            .where(Referral.booking_id == booking_id).limit(1)).first()
        return BookingOrigin(*found) if found else None


def upcoming_of_organisation(organisation_id: int, now: datetime | None = None, limit: int = 10,
                             url: str | None = None) -> list[int]:
    """The ids of the organisation's bookings still to come (booked, not begun), soonest first:
    what its prescripteurs may cancel."""
    moment = to_db(now or now_paris())
    with session_scope(url) as session:
        return list(session.execute(
            select(Booking.id).join(Referral, Referral.booking_id == Booking.id)
            .where(Referral.organisation_id == organisation_id, Booking.status == "booked",
                   Booking.is_open.is_(True), Booking.start > moment)
            .order_by(Booking.start, Booking.id).limit(limit)).scalars())
