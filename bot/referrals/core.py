"""The referral record and its statuses (booked -> accompanied | absent | cancelled)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.clock import from_db, now_db, to_db
from bot.db.models import Referral, ReferralEvent, StoredDiagnostic
from bot.db.session import session_scope
from bot.notifications import person_confirmed
from bot.notifications.outbox import add as notify


class ReferralStatus(str, Enum):
    BOOKED = "booked"
    ACCOMPANIED = "accompanied"
    ABSENT = "absent"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return REFERRAL_STATUS_LABELS[self]


REFERRAL_STATUS_LABELS = {
    ReferralStatus.BOOKED: "Rendez-vous pris",
    ReferralStatus.ACCOMPANIED: "Accompagné(e)",
    ReferralStatus.ABSENT: "Absent(e)",
    ReferralStatus.CANCELLED: "Annulé",
}


@dataclass(frozen=True)
class ReferralRecord:
    id: int
    person_key: str
    diagnostic_id: int | None
    level: str | None
    services: list[str]
    grid_version: str | None
    place_pk: int
    booking_id: int | None
    slot_start: datetime | None  # aware, Europe/Paris
    channel: str
    oriented_by: str
    oriented_by_organisation: str | None
    status: ReferralStatus
    created_at: datetime  # aware, Europe/Paris
    updated_at: datetime
    accompanied_on: date | None = None  # the day of the accompaniment, once marked
    organisation_id: int | None = None  # the prescripteur's organisation
    prescripteur_first_name: str | None = None
    person_confirmed_at: datetime | None = None  # aware: the person's own "OUI"
    person_confirmed_channel: str | None = None


def _record(row: Referral) -> ReferralRecord:
    return ReferralRecord(
        id=row.id, person_key=row.person_key, diagnostic_id=row.diagnostic_id, level=row.level,
        services=list(row.services or []), grid_version=row.grid_version, place_pk=row.place_pk,
        booking_id=row.booking_id, slot_start=from_db(row.slot_start) if row.slot_start else None,
        channel=row.channel, oriented_by=row.oriented_by,
        oriented_by_organisation=row.oriented_by_organisation, status=ReferralStatus(row.status),
        created_at=from_db(row.created_at), updated_at=from_db(row.updated_at),
        accompanied_on=row.accompanied_on, organisation_id=row.organisation_id,
        prescripteur_first_name=row.prescripteur_first_name,
        person_confirmed_at=from_db(row.person_confirmed_at) if row.person_confirmed_at else None,
        person_confirmed_channel=row.person_confirmed_channel)


def check_diagnosis(diagnosis: dict) -> dict:
    """The diagnosis of a booking: {"level", "services", "grid_version", "diagnostic_id"}."""
    if not isinstance(diagnosis, dict):
        raise ValueError("diagnosis must be a dict with level, services, grid_version, diagnostic_id")
    unknown = set(diagnosis) - {"level", "services", "grid_version", "diagnostic_id"}
    if unknown:
        raise ValueError(f"diagnosis has unknown keys: {', '.join(sorted(unknown))}")
    services = diagnosis.get("services") or []
    if not isinstance(services, (list, tuple)) or not all(isinstance(s, str) for s in services):
        raise ValueError("diagnosis['services'] must be a list of service names")
    diagnostic_id = diagnosis.get("diagnostic_id")
    if diagnostic_id is not None and (isinstance(diagnostic_id, bool) or not isinstance(diagnostic_id, int)):
        raise ValueError("diagnosis['diagnostic_id'] must be an int or None")
    level, grid_version = diagnosis.get("level"), diagnosis.get("grid_version")
    return {"level": None if level is None else str(level)[:32], "services": list(services),
            "grid_version": None if grid_version is None else str(grid_version)[:32],
            "diagnostic_id": diagnostic_id}


def record_event(session: Session, referral_id: int, *, at: datetime, actor: str, actor_role: str,
                 from_status: str | None, to_status: str, accompanied_on: date | None = None,
                 note: str | None = None) -> ReferralEvent:
    """Append one status change of a referral to the audit log (`at` naive UTC)."""
    event = ReferralEvent(referral_id=referral_id, at=at, actor=str(actor)[:160],
                          actor_role=str(actor_role)[:16], from_status=from_status,
                          to_status=to_status, accompanied_on=accompanied_on, note=note)
    session.add(event)
    return event


def create_referral(session: Session, *, person_key: str, diagnosis: dict, place_pk: int,
                    booking_id: int | None, slot_start: datetime | None, channel: str,
                    oriented_by: str, oriented_by_organisation: str | None,
                    now: datetime, actor: str = "assistant",
                    actor_role: str = "assistant", organisation_id: int | None = None,
                    prescripteur_first_name: str | None = None,
                    prescripteur_session_id: int | None = None) -> Referral:
    """A new referral in `session` (the booking's transaction). Times are naive UTC.

    A diagnostic id that is no longer stored (erased in between) is recorded as None; the level,
    services and grid version are kept with the referral either way. Its creation (None ->
    booked) is written to the audit log.
    """
    diagnosis = check_diagnosis(diagnosis)
    diagnostic_id = diagnosis["diagnostic_id"]
    if diagnostic_id is not None and session.get(StoredDiagnostic, diagnostic_id) is None:
        diagnostic_id = None
    row = Referral(person_key=person_key, diagnostic_id=diagnostic_id, level=diagnosis["level"],
                   services=diagnosis["services"], grid_version=diagnosis["grid_version"],
                   place_pk=place_pk, booking_id=booking_id, slot_start=slot_start, channel=channel,
                   oriented_by=oriented_by, oriented_by_organisation=oriented_by_organisation,
                   organisation_id=organisation_id, prescripteur_first_name=prescripteur_first_name,
                   prescripteur_session_id=prescripteur_session_id,
                   status=ReferralStatus.BOOKED.value, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    record_event(session, row.id, at=now, actor=actor, actor_role=actor_role, from_status=None,
                 to_status=ReferralStatus.BOOKED.value)
    return row


def follow_booking(session: Session, booking_id: int, *, now: datetime,
                   slot_start: datetime | None = None, status: ReferralStatus | None = None,
                   actor: str | None = None, actor_role: str | None = None,
                   note: str | None = None) -> None:
    """The referral of a booking follows it: new time, or cancelled (only while still booked).

    A change of status is written to the audit log, by `actor` (a name) in `actor_role`
    ("person", "structure", "admin"...; default "assistant").
    """
    values: dict = {"updated_at": now}
    if slot_start is not None:
        values["slot_start"] = slot_start
    if status is None:
        session.execute(update(Referral).where(Referral.booking_id == booking_id,
                                               Referral.status == ReferralStatus.BOOKED.value)
                        .values(**values).execution_options(synchronize_session=False))
        return
    values["status"] = status.value
    ids = session.execute(select(Referral.id).where(
        Referral.booking_id == booking_id, Referral.status == ReferralStatus.BOOKED.value)
        .order_by(Referral.id)).scalars().all()
    for referral_id in ids:
        changed = session.execute(update(Referral).where(
            Referral.id == referral_id, Referral.status == ReferralStatus.BOOKED.value)
            .values(**values).execution_options(synchronize_session=False)).rowcount
        if changed:
            record_event(session, referral_id, at=now, actor=actor or actor_role or "assistant",
                         actor_role=actor_role or "assistant",
                         from_status=ReferralStatus.BOOKED.value, to_status=status.value,
                         note=note)


def referrals_of(person_key: str, url: str | None = None) -> list[ReferralRecord]:
    """Every referral of a person, oldest first."""
    with session_scope(url) as session:
        rows = session.execute(select(Referral).where(Referral.person_key == person_key)
                               .order_by(Referral.created_at, Referral.id)).scalars().all()
        return [_record(row) for row in rows]


def confirm_by_person(booking_id: int, person_key: str, channel: str,
                      now: datetime | None = None, url: str | None = None) -> bool:
    """The person's own "OUI" to a booking made for them: recorded on its referral, with the
    time and the channel, when the referral is theirs and still booked. The first "OUI" is kept
    (a second one changes nothing). True when it was recorded now; the prescripteur who made
    the booking is then told, at once (bot/notifications/person_confirmed.py)."""
    moment = to_db(now) if now is not None else now_db()
    with session_scope(url) as session:
        row = session.execute(select(Referral).where(
            Referral.booking_id == booking_id, Referral.person_key == person_key)
        ).scalar_one_or_none()
        if (row is None or row.status != ReferralStatus.BOOKED.value
                or row.person_confirmed_at is not None):
            return False
        row.person_confirmed_at, row.person_confirmed_channel = moment, channel[:32]
        row.updated_at = moment
        if row.prescripteur_session_id is not None:
            notify(session, person_confirmed.NOTIFIER, booking_id, from_db(moment), from_db(moment))
        return True

