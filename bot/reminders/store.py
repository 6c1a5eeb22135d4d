"""The reminders table: scheduling (inside the booking's transaction), claiming, outcomes.

Claiming is `UPDATE reminders SET status='sending' ... WHERE id = ? AND status = <as read>`
checked by its row count: two senders running at once (two processes, two machines) never get
the same reminder, on SQLite (one writer at a time) as on PostgreSQL (the second UPDATE waits for
the first's row lock, then finds the status changed). A claim not marked sent or failed within
`reminder_claim_timeout_minutes` (the sender died) is handed out again, as a new attempt: only a
crash between the provider accepting the message and `mark_sent` can then repeat it.

A send that may have gone out although it failed (the push timed out, or its connection broke
after the request was sent) is marked `uncertain` (`mark_uncertain`): never retried
automatically, counted by `npt reminders list`, for the operator to look at.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from bot.booking.rules import BookingRules, booking_rules
from bot.clock import aware, from_db, local, now_paris, to_db
from bot.db.models import Booking, Person, Place, Reminder
from bot.db.session import session_scope


REMINDER = "reminder"  # the day before the appointment
STRUCTURE_CANCELLED = "structure_cancelled"  # the structure cancelled: the person is told
KINDS = (REMINDER, STRUCTURE_CANCELLED)


class ReminderStatus(str, Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # may have been delivered: never retried automatically
    SKIPPED_OPT_OUT = "skipped_opt_out"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ReminderJob:
    """A claimed reminder: everything the sender needs, nothing more."""

    reminder_id: int
    booking_id: int
    reference: str
    place_name: str
    address: str
    phone: str | None
    start: datetime  # aware, Europe/Paris
    first_name: str
    channel: str
    sender_id: str
    person_key: str
    attempt: int  # 1 for the first try
    claimed_at: datetime  # aware, Europe/Paris: "demain" is said from this day
    kind: str = REMINDER  # or STRUCTURE_CANCELLED

    @property
    def id(self) -> int:
        """The reminder's id (same as `reminder_id`), for mark_sent / mark_failed."""
        return self.reminder_id


@dataclass(frozen=True)
class ReminderRecord:
    id: int
    booking_id: int
    due_at: datetime  # aware, Europe/Paris
    status: ReminderStatus
    attempts: int
    last_error: str | None
    sent_at: datetime | None


def due_time(start: datetime, rules: BookingRules) -> datetime:
    """When the reminder of an appointment at `start` (aware) is due: `reminder_days_before`
    days before, at `reminder_hour`, Europe/Paris."""
    return local(start.date() - timedelta(days=rules.reminder_days_before), rules.reminder_hour)


def schedule(session: Session, booking: Booking, start: datetime, now: datetime,
             rules: BookingRules) -> Reminder | None:
    """A pending reminder for `booking` (flushed, with an id) in the caller's transaction.

    None when its due time has already passed (a booking made the evening before, or the same
    day): the confirmation was just sent.
    """
    due = due_time(start, rules)
    if due <= now or due >= start:
        return None
    row = Reminder(booking_id=booking.id, due_at=to_db(due), status=ReminderStatus.PENDING.value,
                   attempts=0, created_at=to_db(now), updated_at=to_db(now))
    session.add(row)
    return row


def schedule_cancellation_notice(session: Session, booking_id: int, now: datetime) -> Reminder:
    """A message telling the person that the structure cancelled their booking, due at once, in
    the caller's transaction (the cancellation's): durable, claimed and sent like a reminder."""
    row = Reminder(booking_id=booking_id, kind=STRUCTURE_CANCELLED, due_at=to_db(now),
                   status=ReminderStatus.PENDING.value, attempts=0, created_at=to_db(now),
                   updated_at=to_db(now))
    session.add(row)
    return row


def cancel_for_booking(session: Session, booking_id: int, now: datetime) -> int:
    """Cancel the reminders of a booking not yet handed to a sender."""
    return session.execute(
        update(Reminder).where(Reminder.booking_id == booking_id, Reminder.kind == REMINDER,
                               Reminder.status == ReminderStatus.PENDING.value)
        .values(status=ReminderStatus.CANCELLED.value, updated_at=to_db(now))
        .execution_options(synchronize_session=False)).rowcount or 0


def _settle(session: Session, reminder_id: int, observed: str, status: ReminderStatus, now_db) -> None:
    session.execute(update(Reminder).where(Reminder.id == reminder_id, Reminder.status == observed)
                    .values(status=status.value, updated_at=now_db)
                    .execution_options(synchronize_session=False))


def claim_due(now: datetime | None = None, limit: int = 50, url: str | None = None) -> list[ReminderJob]:
    """Claim up to `limit` reminders due at `now`, soonest due first.

    Due reminders whose booking was cancelled become `cancelled`; those of a person who said STOP
    become `skipped_opt_out` (never sent); those whose appointment has already begun become
    `expired`. The others become `sending` and are returned: send each, then call `mark_sent`
    or `mark_failed`.
    """
    rules = booking_rules()
    now = aware(now, "now") if now is not None else now_paris()
    now_db = to_db(now)
    stale = now_db - timedelta(minutes=rules.reminder_claim_timeout_minutes)
    jobs: list[ReminderJob] = []
    with session_scope(url) as session:
        candidates = session.execute(
            select(Reminder.id, Reminder.status, Reminder.claimed_at, Reminder.attempts,
                   Reminder.kind, Booking, Place, Person.opted_out_at)
            .join(Booking, Booking.id == Reminder.booking_id)
            .join(Place, Place.pk == Booking.place_pk)
            .outerjoin(Person, Person.person_key == Booking.person_key)
            .where(or_(and_(Reminder.status == ReminderStatus.PENDING.value, Reminder.due_at <= now_db),
                       and_(Reminder.status == ReminderStatus.SENDING.value, Reminder.claimed_at < stale)))
            .order_by(Reminder.due_at, Reminder.id).limit(limit)).all()
        for reminder_id, status, claimed_at, attempts, kind, booking, place, opted_out_at in candidates:
            wanted = "cancelled" if kind == STRUCTURE_CANCELLED else "booked"
            if booking.status != wanted or not booking.sender_id:
                _settle(session, reminder_id, status, ReminderStatus.CANCELLED, now_db)
                continue
            if opted_out_at is not None:
                _settle(session, reminder_id, status, ReminderStatus.SKIPPED_OPT_OUT, now_db)
                continue
            if booking.start <= now_db:
                _settle(session, reminder_id, status, ReminderStatus.EXPIRED, now_db)
                continue
            if status == ReminderStatus.SENDING.value and attempts >= rules.reminder_max_attempts:
                _settle(session, reminder_id, status, ReminderStatus.FAILED, now_db)
                continue
            condition = [Reminder.id == reminder_id, Reminder.status == status]
            if status == ReminderStatus.SENDING.value:
                condition.append(Reminder.claimed_at == claimed_at)
            claimed = session.execute(
                update(Reminder).where(*condition)
                .values(status=ReminderStatus.SENDING.value, claimed_at=now_db,
                        attempts=Reminder.attempts + 1, updated_at=now_db)
                .execution_options(synchronize_session=False)).rowcount
            if claimed != 1:
                continue  # another sender took it first
            from bot.booking.bookings import one_line_address

            jobs.append(ReminderJob(
                reminder_id=reminder_id, booking_id=booking.id, reference=booking.reference,
                place_name=place.nom, address=one_line_address(place), phone=place.telephone,
                start=from_db(booking.start), first_name=booking.first_name or "",
                channel=booking.channel, sender_id=booking.sender_id, person_key=booking.person_key,
                attempt=attempts + 1, claimed_at=now, kind=kind))
    return jobs


due_reminders = claim_due  # the same function: it claims what it returns


def mark_sent(reminder_id: int, now: datetime | None = None, url: str | None = None) -> bool:
    """The reminder went out. False when it was not claimed (never sent twice)."""
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    with session_scope(url) as session:
        return session.execute(
            update(Reminder).where(Reminder.id == reminder_id,
                                   Reminder.status == ReminderStatus.SENDING.value)
            .values(status=ReminderStatus.SENT.value, sent_at=now_db, updated_at=now_db)
            .execution_options(synchronize_session=False)).rowcount == 1


def mark_failed(reminder_id: int, error: str, now: datetime | None = None,
                url: str | None = None) -> ReminderStatus | None:
    """The send failed: tried again after `reminder_retry_minutes`, until `reminder_max_attempts`
    attempts; then `failed`. Returns the new status (None when the reminder was not claimed)."""
    rules = booking_rules()
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    with session_scope(url) as session:
        row = session.get(Reminder, reminder_id)
        if row is None or row.status != ReminderStatus.SENDING.value:
            return None
        if row.attempts >= rules.reminder_max_attempts:
            status, due = ReminderStatus.FAILED, row.due_at
        else:
            status, due = ReminderStatus.PENDING, now_db + timedelta(minutes=rules.reminder_retry_minutes)
        done = session.execute(
            update(Reminder).where(Reminder.id == reminder_id,
                                   Reminder.status == ReminderStatus.SENDING.value,
                                   Reminder.attempts == row.attempts)
            .values(status=status.value, due_at=due, last_error=str(error)[:500], updated_at=now_db)
            .execution_options(synchronize_session=False)).rowcount
        return status if done == 1 else None


def mark_uncertain(reminder_id: int, error: str, now: datetime | None = None,
                   url: str | None = None) -> bool:
    """The send may have gone out (no answer after the request was sent): the reminder becomes
    `uncertain` and is never handed out again. False when it was not claimed."""
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    with session_scope(url) as session:
        return session.execute(
            update(Reminder).where(Reminder.id == reminder_id,
                                   Reminder.status == ReminderStatus.SENDING.value)
            .values(status=ReminderStatus.UNCERTAIN.value, last_error=str(error)[:500],
                    updated_at=now_db)
            .execution_options(synchronize_session=False)).rowcount == 1


def reminder_counts(url: str | None = None) -> dict[str, int]:
    """How many reminders are in each status."""
    with session_scope(url) as session:
        return dict(session.execute(select(Reminder.status, func.count()).group_by(Reminder.status)).all())


def next_due(url: str | None = None) -> datetime | None:
    """When the next pending reminder is due (aware), or None."""
    with session_scope(url) as session:
        due = session.execute(select(func.min(Reminder.due_at)).where(
            Reminder.status == ReminderStatus.PENDING.value)).scalar()
        return from_db(due) if due else None


def reminders_of_booking(booking_id: int, url: str | None = None) -> list[ReminderRecord]:
    """The reminders of a booking, oldest first (a move cancels one and schedules another)."""
    with session_scope(url) as session:
        rows = session.execute(select(Reminder).where(Reminder.booking_id == booking_id)
                               .order_by(Reminder.id)).scalars().all()
        return [ReminderRecord(r.id, r.booking_id, from_db(r.due_at), ReminderStatus(r.status),
                               r.attempts, r.last_error, from_db(r.sent_at) if r.sent_at else None)
                for r in rows]
