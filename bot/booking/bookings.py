"""Book, move, cancel; a person's bookings; erasure of contact details.

Seats are never oversold and a person never holds two open bookings at one place, even when
many book at once, on SQLite and PostgreSQL alike:

- a `slot_seats` row per (agenda, start), made on demand by `INSERT ... ON CONFLICT DO NOTHING`
  on its unique constraint, then `UPDATE slot_seats SET taken = taken + 1 WHERE id = ? AND
  taken < seats` checked by its row count;
- a partial unique index on bookings (person_key, place_pk) WHERE is_open;
- the booking, its referral and its reminder are written in one transaction: nothing half-made.

A booking keeps its id and its reference when it is moved (the person has one number to give);
its referral follows it, the old reminder is cancelled and a new one scheduled. Cancelling frees
the seat, cancels the referral and the reminder. Times in and out are aware (Europe/Paris); the
database holds naive UTC.

Contact data (`sender_id`, `first_name`) is kept only to confirm and remind:
`forget_contact(person_key)` blanks it (SUPPRIMER) and cancels pending reminders; the referral
stays, with the pseudonymous key only. `forget_past_contacts(before)` blanks it for
appointments over before a date (retention, `npt privacy purge`).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.booking.errors import (AlreadyBooked, BookingError, BookingNotActive, BookingNotFound,
                                SlotFull)
from bot.booking.rules import BookingRules, booking_rules
from bot.booking.slots import AgendaPlan, check_slot
from bot.clock import aware, from_db, now_paris, to_db
from bot.db.models import Agenda, Booking as BookingRow, Place, Reminder, SlotSeats
from bot.db.retry import retrying as _retrying
from bot.db.session import session_scope, upsert_insert
from bot.notifications import (booking_reminder, prescripteur_booked, prescripteur_cancelled,
                               structure_cancelled)
from bot.notifications.outbox import NotificationStatus, add as notify, cancel_pending
from bot.notifications.rules import notification_rules
from bot.places.address import one_line_address
from bot.referrals.core import ReferralStatus, check_diagnosis, create_referral, follow_booking

BOOKED, CANCELLED = "booked", "cancelled"
CANCELLED_BY = ("person", "structure", "admin", "prescripteur")
RETRIES = 5
_SEPARATORS = re.compile(r"[\s\-_.·/]+")


@dataclass(frozen=True)
class Booking:
    """A booking as the conversation and the operators see it; times aware, Europe/Paris."""

    id: int
    reference: str
    place_pk: int
    place_name: str
    address: str  # one line: street, complement, postcode and commune
    phone: str | None
    start: datetime
    end: datetime
    first_name: str  # "" once the contact details were erased
    status: str  # "booked" | "cancelled"
    channel: str
    what_to_bring: list[str] = field(default_factory=list)
    agenda_label: str = ""
    collective: bool = False


def _schedule_reminder(session: Session, booking_id: int, start: datetime,
                       now: datetime) -> None:
    """The booking's reminder, in its transaction, unless its due time has already passed (a
    booking made the evening before, or the same day: the confirmation was just sent)."""
    due = booking_reminder.due_time(start, notification_rules())
    if now < due < start:
        notify(session, booking_reminder.NOTIFIER, booking_id, due, now)


def _view(session: Session, row: BookingRow, rules: BookingRules | None = None) -> Booking:
    rules = rules or booking_rules()
    place = session.get(Place, row.place_pk)
    agenda = session.get(Agenda, row.agenda_id)
    bring = agenda.what_to_bring if agenda is not None and agenda.what_to_bring else rules.what_to_bring
    return Booking(
        id=row.id, reference=row.reference, place_pk=row.place_pk, place_name=place.nom,
        address=one_line_address(place), phone=place.telephone, start=from_db(row.start),
        end=from_db(row.end), first_name=row.first_name or "", status=row.status,
        channel=row.channel, what_to_bring=list(bring),
        agenda_label=agenda.label if agenda is not None else "",
        collective=bool(agenda is not None and agenda.kind == "collective"))


def normalize_reference(reference: str) -> str:
    """" k7m-4qx " -> "K7M4QX"."""
    return _SEPARATORS.sub("", str(reference or "")).upper()


def new_reference(rules: BookingRules) -> str:
    return "".join(secrets.choice(rules.reference_alphabet) for _ in range(rules.reference_length))


def _take_seat(session: Session, plan: AgendaPlan, start: datetime) -> int | None:
    """Take one seat of the slot of `plan` at `start` (aware); its slot_seats id, or None if full."""
    start_db = to_db(start)
    insert = upsert_insert(session, SlotSeats)
    if insert is not None:
        session.execute(insert.values(agenda_id=plan.id, start=start_db, taken=0)
                        .on_conflict_do_nothing(index_elements=["agenda_id", "start"]))
    seat_id = session.execute(select(SlotSeats.id).where(
        SlotSeats.agenda_id == plan.id, SlotSeats.start == start_db)).scalar()
    if seat_id is None:  # another database: plain insert; a race ends in IntegrityError, retried
        seat = SlotSeats(agenda_id=plan.id, start=start_db, taken=0)
        session.add(seat)
        session.flush()
        seat_id = seat.id
    taken = session.execute(
        update(SlotSeats).where(SlotSeats.id == seat_id, SlotSeats.taken < plan.seats)
        .values(taken=SlotSeats.taken + 1).execution_options(synchronize_session=False)).rowcount
    return seat_id if taken == 1 else None


def _release_seat(session: Session, seat_id: int) -> None:
    session.execute(update(SlotSeats).where(SlotSeats.id == seat_id, SlotSeats.taken > 0)
                    .values(taken=SlotSeats.taken - 1).execution_options(synchronize_session=False))


def _take_first(session: Session, candidates) -> tuple[AgendaPlan, datetime, datetime, int]:
    for plan, start, end in candidates:
        seat_id = _take_seat(session, plan, start)
        if seat_id is not None:
            return plan, start, end, seat_id
    raise SlotFull(f"no seat left at {candidates[0][1].isoformat()}")


def _open_booking(session: Session, person_key: str, place_pk: int) -> BookingRow | None:
    return session.execute(select(BookingRow).where(
        BookingRow.person_key == person_key, BookingRow.place_pk == place_pk,
        BookingRow.is_open.is_(True))).scalars().first()


def _close_past(session: Session, person_key: str, place_pk: int, now: datetime) -> None:
    """A booking whose appointment is over no longer holds the person's place at the structure."""
    session.execute(update(BookingRow).where(
        BookingRow.person_key == person_key, BookingRow.place_pk == place_pk,
        BookingRow.is_open.is_(True), BookingRow.end <= to_db(now))
        .values(is_open=False).execution_options(synchronize_session=False))


def _text(value, name: str, limit: int, required: bool = True) -> str:
    value = "" if value is None else str(value).strip()
    if required and not value:
        raise ValueError(f"{name} is required")
    return value[:limit]


def book(*, person_key: str, sender_id: str, channel: str, place_pk: int, start: datetime,
         first_name: str, diagnosis: dict, oriented_by: str = "assistant",
         oriented_by_organisation: str | None = None, agenda_id: int | None = None,
         organisation_id: int | None = None, prescripteur_first_name: str | None = None,
         prescripteur_session_id: int | None = None,
         now: datetime | None = None, url: str | None = None) -> Booking:
    """Book the slot at `start` of a partner place for a person.

    Creates, in one transaction, the booking (with a new reference), its referral (status
    booked, with the diagnosis: {"level", "services", "grid_version", "diagnostic_id"}) and its
    pending reminder. When several agendas of the place have a slot at `start`, `agenda_id`
    chooses (Slot.agenda_id); without it the first with a free seat is taken.

    A prescripteur's booking (`prescripteur_session_id`) for a person reached by SMS also gets
    its SMS to the person at once (bot/notifications/prescripteur_booked.py); an empty
    `sender_id` (a person without a mobile) gets no message at all.

    Raises PlaceNotBookable / SlotUnavailable (past, less than the minimum lead, beyond the
    horizon, closed day, not a slot), SlotFull, AlreadyBooked (`.booking`: the person's open
    booking at that place).
    """
    rules = booking_rules()
    now = aware(now, "now") if now is not None else now_paris()
    start = aware(start, "start")
    person_key = _text(person_key, "person_key", 64)
    channel = _text(channel, "channel", 32)
    sender_id = _text(sender_id, "sender_id", 255, required=False) or None
    first_name = _text(first_name, "first_name", 80, required=False)
    oriented_by = _text(oriented_by, "oriented_by", 64)
    organisation = _text(oriented_by_organisation, "oriented_by_organisation", 120, required=False) or None
    prescripteur = _text(prescripteur_first_name, "prescripteur_first_name", 60,
                         required=False) or None
    diagnosis = check_diagnosis(diagnosis)

    def attempt() -> Booking:
        with session_scope(url) as session:
            place = session.get(Place, place_pk)
            candidates = check_slot(session, place, start, now, rules, agenda_id)
            _close_past(session, person_key, place_pk, now)  # first write: the transaction's lock
            existing = _open_booking(session, person_key, place_pk)
            if existing is not None:
                raise AlreadyBooked(_view(session, existing, rules))
            plan, slot_start, slot_end, seat_id = _take_first(session, candidates)
            reference = new_reference(rules)
            while session.execute(select(BookingRow.id).where(BookingRow.reference == reference)).first():
                reference = new_reference(rules)
            now_db = to_db(now)
            row = BookingRow(reference=reference, person_key=person_key, sender_id=sender_id,
                             channel=channel, first_name=first_name or None, place_pk=place_pk,
                             agenda_id=plan.id, slot_seat_id=seat_id, start=to_db(slot_start),
                             end=to_db(slot_end), status=BOOKED, is_open=True, created_at=now_db,
                             updated_at=now_db)
            session.add(row)
            session.flush()
            create_referral(session, person_key=person_key, diagnosis=diagnosis, place_pk=place_pk,
                            booking_id=row.id, slot_start=row.start, channel=channel,
                            oriented_by=oriented_by, oriented_by_organisation=organisation, now=now_db,
                            organisation_id=organisation_id, prescripteur_first_name=prescripteur,
                            prescripteur_session_id=prescripteur_session_id)
            if sender_id:
                _schedule_reminder(session, row.id, slot_start, now)
                if prescripteur_session_id is not None:
                    notify(session, prescripteur_booked.NOTIFIER, row.id, now, now)
            session.flush()
            return _view(session, row, rules)

    for _ in range(RETRIES):
        try:
            return _retrying(attempt)
        except IntegrityError as error:
            # Lost a race: the same person booking this place at the same moment (AlreadyBooked),
            # or, very rarely, the same new reference or a new slot_seats row (tried again).
            with session_scope(url) as session:
                existing = _open_booking(session, person_key, place_pk)
                if existing is not None:
                    raise AlreadyBooked(_view(session, existing, rules)) from None
            reason = str(error.orig)
            if not any(word in reason for word in ("reference", "slot_seats", "person_key",
                                                   "uq_bookings_open_person_place")):
                raise
    raise BookingError("the booking could not be recorded (database conflicts); try again")


def _lock_booking(session: Session, booking_id: int, person_key: str | None) -> BookingRow:
    """Lock the booking row for this transaction (first write), and check it may change."""
    condition = [BookingRow.id == booking_id]
    if person_key is not None:
        condition.append(BookingRow.person_key == person_key)
    locked = session.execute(update(BookingRow).where(*condition)
                             .values(updated_at=BookingRow.updated_at)
                             .execution_options(synchronize_session=False)).rowcount
    row = session.get(BookingRow, booking_id, populate_existing=True) if locked else None
    if row is None:
        raise BookingNotFound(f"no booking {booking_id}" + (" for this person" if person_key else ""))
    return row


def move(booking_id: int, *, person_key: str, new_start: datetime, agenda_id: int | None = None,
         now: datetime | None = None, url: str | None = None) -> Booking:
    """Move a booking to another slot of the same place; same id and reference.

    In one transaction: take a seat of the new slot, free the old one, move the referral's
    slot, cancel the pending reminder and schedule a new one. Moving to the slot it already has
    changes nothing. Raises BookingNotFound (not this person's), BookingNotActive (cancelled or
    already begun), SlotUnavailable, SlotFull. To change place: cancel, then book.
    """
    rules = booking_rules()
    now = aware(now, "now") if now is not None else now_paris()
    new_start = aware(new_start, "new_start")

    def attempt() -> Booking:
        with session_scope(url) as session:
            row = _lock_booking(session, booking_id, person_key)
            if row.status != BOOKED or from_db(row.start) <= now:
                raise BookingNotActive(f"booking {row.reference} is {row.status}"
                                       + (" and has begun" if row.status == BOOKED else ""))
            place = session.get(Place, row.place_pk)
            candidates = check_slot(session, place, new_start, now, rules, agenda_id)
            if any(plan.id == row.agenda_id and to_db(start) == row.start for plan, start, _ in candidates):
                return _view(session, row, rules)
            old_seat = row.slot_seat_id
            plan, slot_start, slot_end, seat_id = _take_first(session, candidates)
            _release_seat(session, old_seat)
            now_db = to_db(now)
            row.agenda_id, row.slot_seat_id = plan.id, seat_id
            row.start, row.end, row.updated_at = to_db(slot_start), to_db(slot_end), now_db
            follow_booking(session, row.id, now=now_db, slot_start=row.start)
            cancel_pending(session, booking_reminder.NOTIFIER, row.id, now)
            session.flush()
            _schedule_reminder(session, row.id, slot_start, now)
            session.flush()
            return _view(session, row, rules)

    return _retrying(attempt)


def cancel(booking_id: int, *, person_key: str | None, by: str = "person",
           now: datetime | None = None, url: str | None = None,
           actor: str | None = None, notify_person: bool = False) -> Booking:
    """Cancel a booking: its seat is freed, its referral cancelled, its pending reminder cancelled.

    `person_key` must be the booking's person; None only for staff, an admin or the
    prescripteur who booked it (`by` = "structure", "admin" or "prescripteur"; checking that
    they may is the caller's job). `actor` names who cancelled
    in the referral's audit log (a staff account's email; default: `by`). `notify_person`: a
    message telling the person is queued in the same transaction (bot.notifications, sent by the
    scheduler on their channel). Cancelling a cancelled booking returns it unchanged. Raises BookingNotFound, BookingNotActive (already begun).
    """
    if by not in CANCELLED_BY:
        raise ValueError(f"by must be one of {', '.join(CANCELLED_BY)}, not {by!r}")
    if person_key is None and by == "person":
        raise ValueError("a person cancels with their person_key; None is for staff or admin")
    rules = booking_rules()
    now = aware(now, "now") if now is not None else now_paris()

    def attempt() -> Booking:
        with session_scope(url) as session:
            row = _lock_booking(session, booking_id, person_key)
            if row.status == CANCELLED:
                return _view(session, row, rules)
            if from_db(row.start) <= now:
                raise BookingNotActive(f"booking {row.reference} has begun: it cannot be cancelled")
            now_db = to_db(now)
            row.status, row.is_open = CANCELLED, False
            row.cancelled_at, row.cancelled_by, row.updated_at = now_db, by, now_db
            _release_seat(session, row.slot_seat_id)
            follow_booking(session, row.id, now=now_db, status=ReferralStatus.CANCELLED,
                           actor=actor or by, actor_role=by)
            cancel_pending(session, booking_reminder.NOTIFIER, row.id, now)
            if notify_person and row.sender_id:
                notify(session, prescripteur_cancelled.NOTIFIER if by == "prescripteur"
                       else structure_cancelled.NOTIFIER, row.id, now, now)
            session.flush()
            return _view(session, row, rules)

    return _retrying(attempt)


def get_booking(booking_id: int, url: str | None = None) -> Booking | None:
    with session_scope(url) as session:
        row = session.get(BookingRow, booking_id)
        return _view(session, row) if row is not None else None


def active_bookings(person_key: str, now: datetime | None = None, url: str | None = None) -> list[Booking]:
    """The person's upcoming bookings (booked, not yet begun), soonest first."""
    now = aware(now, "now") if now is not None else now_paris()
    with session_scope(url) as session:
        rows = session.execute(select(BookingRow).where(
            BookingRow.person_key == person_key, BookingRow.status == BOOKED,
            BookingRow.start > to_db(now)).order_by(BookingRow.start, BookingRow.id)).scalars().all()
        return [_view(session, row) for row in rows]


def find_booking(reference: str, url: str | None = None,
                 person_key: str | None = None) -> Booking | None:
    """The booking of a reference, whatever its status; case, spaces and dashes do not matter.
    With `person_key`, only that person's booking (None for anyone else's)."""
    reference = normalize_reference(reference)
    if not reference or len(reference) > 16:
        return None
    query = select(BookingRow).where(BookingRow.reference == reference)
    if person_key is not None:
        query = query.where(BookingRow.person_key == person_key)
    with session_scope(url) as session:
        row = session.execute(query).scalars().first()
        return _view(session, row) if row is not None else None


def upcoming_bookings(place_pk: int | None = None, now: datetime | None = None,
                      until: date | None = None, url: str | None = None) -> list[Booking]:
    """Booked appointments not yet begun, soonest first; of one place, or of all."""
    now = aware(now, "now") if now is not None else now_paris()
    with session_scope(url) as session:
        query = select(BookingRow).where(BookingRow.status == BOOKED, BookingRow.start > to_db(now))
        if place_pk is not None:
            query = query.where(BookingRow.place_pk == place_pk)
        rows = session.execute(query.order_by(BookingRow.start, BookingRow.id)).scalars().all()
        views = [_view(session, row) for row in rows]
    return [view for view in views if until is None or view.start.date() <= until]


def forget_contact(person_key: str, url: str | None = None, *, now: datetime | None = None) -> int:
    """Erasure (SUPPRIMER): blank `sender_id` and `first_name` of every booking of the person and
    cancel their reminders not yet handed to a sender (the error texts of their reminders are
    blanked too). The bookings stay (the seat is still theirs; the structure sees no name) and
    so do the referrals, with the pseudonymous key only. Returns the number of bookings blanked.
    """
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    with session_scope(url) as session:
        ids = select(BookingRow.id).where(BookingRow.person_key == person_key).scalar_subquery()
        session.execute(update(Reminder).where(Reminder.booking_id.in_(ids),
                                               Reminder.status == NotificationStatus.PENDING.value)
                        .values(status=NotificationStatus.CANCELLED.value, updated_at=now_db)
                        .execution_options(synchronize_session=False))
        session.execute(update(Reminder).where(Reminder.booking_id.in_(ids),
                                               Reminder.last_error.isnot(None))
                        .values(last_error=None).execution_options(synchronize_session=False))
        return session.execute(update(BookingRow).where(BookingRow.person_key == person_key)
                               .values(sender_id=None, first_name=None, updated_at=now_db)
                               .execution_options(synchronize_session=False)).rowcount or 0


def forget_past_contacts(before: datetime, *, dry_run: bool = False, now: datetime | None = None,
                         url: str | None = None) -> int:
    """Retention: blank the contact data (`sender_id`, `first_name`, and the error texts of
    their reminders) of bookings whose appointment ended before `before` (aware). Reminders of
    those bookings are long due. Returns the number of bookings blanked (or that would be, with
    `dry_run`)."""
    before_db = to_db(aware(before, "before"))
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    holds = (BookingRow.end < before_db,
             or_(BookingRow.sender_id.isnot(None), BookingRow.first_name.isnot(None)))
    with session_scope(url) as session:
        if dry_run:
            return session.execute(select(func.count(BookingRow.id)).where(*holds)).scalar() or 0
        ids = select(BookingRow.id).where(BookingRow.end < before_db).scalar_subquery()
        session.execute(update(Reminder).where(Reminder.booking_id.in_(ids),
                                               Reminder.last_error.isnot(None))
                        .values(last_error=None).execution_options(synchronize_session=False))
        return session.execute(update(BookingRow).where(*holds)
                               .values(sender_id=None, first_name=None, updated_at=now_db)
                               .execution_options(synchronize_session=False)).rowcount or 0
