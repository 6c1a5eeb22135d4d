"""The outbox: every message the assistant sends on its own is a row here first.

A notifier (bot/notifications/booking_reminder.py, structure_cancelled.py, ...) adds its row in
the transaction of the event that causes it (`add`); the sender (bot/notifications/sender.py,
`npt reminders send`) claims the rows that are due and hands each to the person's conversation.
The rows live in the `reminders` table (its historical name: reminders were the first kind).

Claiming is `UPDATE reminders SET status='sending' ... WHERE id = ? AND status = <as read>`
checked by its row count: two senders running at once (two processes, two machines) never get
the same row, on SQLite (one writer at a time) as on PostgreSQL (the second UPDATE waits for
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

from bot.clock import aware, from_db, now_paris, to_db
from bot.db.models import Booking, Person, Place, PrescripteurSession, Referral, Reminder
from bot.db.session import session_scope
from bot.notifications.notifier import Notifier
from bot.notifications.registry import notifier
from bot.notifications.rules import notification_rules
from bot.places.address import one_line_address


class NotificationStatus(str, Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # may have been delivered: never retried automatically
    SKIPPED_OPT_OUT = "skipped_opt_out"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True)
class NotificationJob:
    """A claimed notification: everything the sender needs, nothing more."""

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
    kind: str  # the notifier's kind (bot/notifications/registry.py)

    @property
    def id(self) -> int:
        """The row's id (same as `reminder_id`), for mark_sent / mark_failed."""
        return self.reminder_id


@dataclass(frozen=True)
class NotificationRecord:
    id: int
    booking_id: int
    due_at: datetime  # aware, Europe/Paris
    status: NotificationStatus
    attempts: int
    last_error: str | None
    sent_at: datetime | None


def add(session: Session, what: Notifier, booking_id: int, due: datetime,
        now: datetime) -> Reminder:
    """A pending notification about a booking, due at `due` (aware), in the caller's transaction
    (written with the event that causes it, or not at all)."""
    notifier(what.kind)  # KeyError for a notifier missing from the registry: nothing would say it
    row = Reminder(booking_id=booking_id, kind=what.kind, due_at=to_db(due),
                   status=NotificationStatus.PENDING.value, attempts=0, created_at=to_db(now),
                   updated_at=to_db(now))
    session.add(row)
    return row


def cancel_pending(session: Session, what: Notifier, booking_id: int, now: datetime) -> int:
    """Cancel the notifications of this notifier about a booking not yet handed to a sender."""
    return session.execute(
        update(Reminder).where(Reminder.booking_id == booking_id, Reminder.kind == what.kind,
                               Reminder.status == NotificationStatus.PENDING.value)
        .values(status=NotificationStatus.CANCELLED.value, updated_at=to_db(now))
        .execution_options(synchronize_session=False)).rowcount or 0


def _settle(session: Session, reminder_id: int, observed: str, status: NotificationStatus, now_db) -> None:
    session.execute(update(Reminder).where(Reminder.id == reminder_id, Reminder.status == observed)
                    .values(status=status.value, updated_at=now_db)
                    .execution_options(synchronize_session=False))


def claim_due(now: datetime | None = None, limit: int = 50, url: str | None = None) -> list[NotificationJob]:
    """Claim up to `limit` notifications due at `now`, soonest due first.

    Due rows whose booking is no longer in its notifier's status become `cancelled`; those of a
    person who said STOP become `skipped_opt_out` (never sent); those whose appointment has
    already begun become `expired`. The others become `sending` and are returned: send each, then call `mark_sent`
    or `mark_failed`.
    """
    rules = notification_rules()
    now = aware(now, "now") if now is not None else now_paris()
    now_db = to_db(now)
    stale = now_db - timedelta(minutes=rules.reminder_claim_timeout_minutes)
    jobs: list[NotificationJob] = []
    with session_scope(url) as session:
        candidates = session.execute(
            select(Reminder.id, Reminder.status, Reminder.claimed_at, Reminder.attempts,
                   Reminder.kind, Booking, Place, Person.opted_out_at,
                   PrescripteurSession.conversation, PrescripteurSession.channel)
            .join(Booking, Booking.id == Reminder.booking_id)
            .join(Place, Place.pk == Booking.place_pk)
            .outerjoin(Person, Person.person_key == Booking.person_key)
            .outerjoin(Referral, Referral.booking_id == Booking.id)
            .outerjoin(PrescripteurSession,
                       PrescripteurSession.id == Referral.prescripteur_session_id)
            .where(or_(and_(Reminder.status == NotificationStatus.PENDING.value, Reminder.due_at <= now_db),
                       and_(Reminder.status == NotificationStatus.SENDING.value, Reminder.claimed_at < stale)))
            .order_by(Reminder.due_at, Reminder.id).limit(limit)).all()
        for (reminder_id, status, claimed_at, attempts, kind, booking, place, opted_out_at,
             prescripteur_conversation, prescripteur_channel) in candidates:
            # A notice for the prescripteur goes to their session's conversation (their own
            # STOP is checked by the action that says it); the others to the person's.
            to_prescripteur = notifier(kind).recipient == "prescripteur"
            sender_id, channel = ((prescripteur_conversation, prescripteur_channel)
                                  if to_prescripteur else (booking.sender_id, booking.channel))
            if booking.status != notifier(kind).booking_status or not sender_id:
                _settle(session, reminder_id, status, NotificationStatus.CANCELLED, now_db)
                continue
            if opted_out_at is not None and not to_prescripteur:
                _settle(session, reminder_id, status, NotificationStatus.SKIPPED_OPT_OUT, now_db)
                continue
            if booking.start <= now_db and not notifier(kind).after_start:
                _settle(session, reminder_id, status, NotificationStatus.EXPIRED, now_db)
                continue
            if status == NotificationStatus.SENDING.value and attempts >= rules.reminder_max_attempts:
                _settle(session, reminder_id, status, NotificationStatus.FAILED, now_db)
                continue
            condition = [Reminder.id == reminder_id, Reminder.status == status]
            if status == NotificationStatus.SENDING.value:
                condition.append(Reminder.claimed_at == claimed_at)
            claimed = session.execute(
                update(Reminder).where(*condition)
                .values(status=NotificationStatus.SENDING.value, claimed_at=now_db,
                        attempts=Reminder.attempts + 1, updated_at=now_db)
                .execution_options(synchronize_session=False)).rowcount
            if claimed != 1:
                continue  # another sender took it first
            jobs.append(NotificationJob(
                reminder_id=reminder_id, booking_id=booking.id, reference=booking.reference,
                place_name=place.nom, address=one_line_address(place), phone=place.telephone,
                start=from_db(booking.start), first_name=booking.first_name or "",
                channel=channel, sender_id=sender_id, person_key=booking.person_key,
                attempt=attempts + 1, claimed_at=now, kind=kind))
    return jobs


def mark_sent(reminder_id: int, now: datetime | None = None, url: str | None = None) -> bool:
    """The notification went out. False when it was not claimed (never sent twice)."""
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    with session_scope(url) as session:
        return session.execute(
            update(Reminder).where(Reminder.id == reminder_id,
                                   Reminder.status == NotificationStatus.SENDING.value)
            .values(status=NotificationStatus.SENT.value, sent_at=now_db, updated_at=now_db)
            .execution_options(synchronize_session=False)).rowcount == 1


def mark_failed(reminder_id: int, error: str, now: datetime | None = None,
                url: str | None = None) -> NotificationStatus | None:
    """The send failed: tried again after `reminder_retry_minutes`, until `reminder_max_attempts`
    attempts; then `failed`. Returns the new status (None when the row was not claimed)."""
    rules = notification_rules()
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    with session_scope(url) as session:
        row = session.get(Reminder, reminder_id)
        if row is None or row.status != NotificationStatus.SENDING.value:
            return None
        if row.attempts >= rules.reminder_max_attempts:
            status, due = NotificationStatus.FAILED, row.due_at
        else:
            status, due = NotificationStatus.PENDING, now_db + timedelta(minutes=rules.reminder_retry_minutes)
        done = session.execute(
            update(Reminder).where(Reminder.id == reminder_id,
                                   Reminder.status == NotificationStatus.SENDING.value,
                                   Reminder.attempts == row.attempts)
            .values(status=status.value, due_at=due, last_error=str(error)[:500], updated_at=now_db)
            .execution_options(synchronize_session=False)).rowcount
        return status if done == 1 else None


def mark_uncertain(reminder_id: int, error: str, now: datetime | None = None,
                   url: str | None = None) -> bool:
    """The send may have gone out (no answer after the request was sent): the row becomes
    `uncertain` and is never handed out again. False when it was not claimed."""
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    with session_scope(url) as session:
        return session.execute(
            update(Reminder).where(Reminder.id == reminder_id,
                                   Reminder.status == NotificationStatus.SENDING.value)
            .values(status=NotificationStatus.UNCERTAIN.value, last_error=str(error)[:500],
                    updated_at=now_db)
            .execution_options(synchronize_session=False)).rowcount == 1


def counts_by_status(url: str | None = None) -> dict[str, int]:
    """How many notifications are in each status."""
    with session_scope(url) as session:
        return dict(session.execute(select(Reminder.status, func.count()).group_by(Reminder.status)).all())


def next_due(url: str | None = None) -> datetime | None:
    """When the next pending notification is due (aware), or None."""
    with session_scope(url) as session:
        due = session.execute(select(func.min(Reminder.due_at)).where(
            Reminder.status == NotificationStatus.PENDING.value)).scalar()
        return from_db(due) if due else None


def notifications_of_booking(booking_id: int, url: str | None = None) -> list[NotificationRecord]:
    """The notifications about a booking, oldest first (a move cancels a reminder and schedules
    another)."""
    with session_scope(url) as session:
        rows = session.execute(select(Reminder).where(Reminder.booking_id == booking_id)
                               .order_by(Reminder.id)).scalars().all()
        return [NotificationRecord(r.id, r.booking_id, from_db(r.due_at), NotificationStatus(r.status),
                               r.attempts, r.last_error, from_db(r.sent_at) if r.sent_at else None)
                for r in rows]


def pending_due(now: datetime | None = None, url: str | None = None) -> list[tuple[str, str, datetime]]:
    """(kind, booking reference, due at) of the pending rows due at `now`, soonest first,
    changing nothing: what `npt reminders send --dry-run` shows (the sender may still skip
    some: a cancelled booking, a STOP)."""
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    with session_scope(url) as session:
        rows = session.execute(
            select(Reminder.kind, Booking.reference, Reminder.due_at)
            .join(Booking, Booking.id == Reminder.booking_id)
            .where(Reminder.status == NotificationStatus.PENDING.value, Reminder.due_at <= now_db)
            .order_by(Reminder.due_at, Reminder.id)).all()
        return [(kind, reference, from_db(due)) for kind, reference, due in rows]
