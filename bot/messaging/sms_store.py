"""The SMS table: every message in and out, so that none is lost or processed twice.

Inbound: stored before anything else (`record_inbound`); a webhook retried by Twilio with the
same MessageSid finds its row and is not processed again. Outbound: stored before the send with
its segments and encoding; Twilio's status callback fills in the delivery status.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.db.models import SmsMessage
from bot.db.session import session_scope

DELIVERY_STATUSES = {"queued", "sending", "sent", "delivered", "undelivered", "failed",
                     "accepted", "scheduled", "read", "canceled"}


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class SmsRecord:
    id: int
    direction: str
    message_sid: str | None
    phone: str | None
    body: str | None
    encoding: str | None
    segments: int | None
    status: str
    attempts: int
    last_error: str | None


def _record(row: SmsMessage) -> SmsRecord:
    return SmsRecord(row.id, row.direction, row.message_sid, row.phone, row.body, row.encoding,
                     row.segments, row.status, row.attempts or 0, row.last_error)


def record_inbound(message_sid: str, phone: str, person_key: str, body: str,
                   url: str | None = None) -> int | None:
    """Store a received SMS; its id, or None when this MessageSid was already stored."""
    now = _now()
    try:
        with session_scope(url) as session:
            row = SmsMessage(direction="in", message_sid=message_sid[:64], phone=phone,
                             person_key=person_key, body=body, status="received", attempts=0,
                             created_at=now, updated_at=now)
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def set_status(message_id: int, status: str, error: str | None = None,
               url: str | None = None) -> None:
    with session_scope(url) as session:
        values = {"status": status, "updated_at": _now()}
        if error is not None:
            values["last_error"] = error[:500]
        session.execute(update(SmsMessage).where(SmsMessage.id == message_id).values(**values))


def unprocessed_inbound(older_than_seconds: float = 30, url: str | None = None) -> list[SmsRecord]:
    """Received messages not processed (the server stopped in between): to process again."""
    limit = _now() - timedelta(seconds=older_than_seconds)
    with session_scope(url) as session:
        rows = session.execute(select(SmsMessage).where(
            SmsMessage.direction == "in", SmsMessage.status.in_(("received", "processing")),
            SmsMessage.updated_at <= limit).order_by(SmsMessage.id)).scalars().all()
        return [_record(row) for row in rows]


def record_outbound(phone: str, person_key: str, body: str, buttons: list[dict] | None,
                    encoding: str, segments: int, url: str | None = None) -> int:
    now = _now()
    with session_scope(url) as session:
        row = SmsMessage(direction="out", phone=phone, person_key=person_key, body=body,
                         buttons=buttons or None, encoding=encoding, segments=segments,
                         status="queued", attempts=0, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return row.id


def mark_sent(message_id: int, message_sid: str | None, status: str, attempts: int,
              url: str | None = None) -> None:
    with session_scope(url) as session:
        session.execute(update(SmsMessage).where(SmsMessage.id == message_id).values(
            message_sid=(message_sid or None), status=status if status in DELIVERY_STATUSES
            else "sent", attempts=attempts, updated_at=_now()))


def mark_failed(message_id: int, error: str, attempts: int, url: str | None = None) -> None:
    with session_scope(url) as session:
        session.execute(update(SmsMessage).where(SmsMessage.id == message_id).values(
            status="failed", last_error=error[:500], attempts=attempts, updated_at=_now()))


def update_delivery(message_sid: str, status: str, error_code: str | None = None,
                    url: str | None = None) -> bool:
    """Twilio's status callback; False when no message has this sid or the status is unknown."""
    if status not in DELIVERY_STATUSES:
        return False
    with session_scope(url) as session:
        values = {"status": status, "updated_at": _now()}
        if error_code:
            values["last_error"] = f"Twilio error {error_code[:20]}"
        return (session.execute(update(SmsMessage).where(
            SmsMessage.message_sid == message_sid[:64], SmsMessage.direction == "out")
            .values(**values)).rowcount or 0) == 1


def last_choices(phone: str, url: str | None = None) -> list[dict] | None:
    """The choices of the last SMS sent to `phone`, if that last SMS offered some."""
    with session_scope(url) as session:
        row = session.execute(select(SmsMessage).where(
            SmsMessage.phone == phone, SmsMessage.direction == "out")
            .order_by(SmsMessage.id.desc()).limit(1)).scalars().first()
        return list(row.buttons) if row is not None and row.buttons else None


def messages_of(phone: str, url: str | None = None) -> list[SmsRecord]:
    with session_scope(url) as session:
        rows = session.execute(select(SmsMessage).where(SmsMessage.phone == phone)
                               .order_by(SmsMessage.id)).scalars().all()
        return [_record(row) for row in rows]


def forget_person(person_key: str, url: str | None = None) -> int:
    """SUPPRIMER: blank the number and the texts of the person's SMS (counts and statuses stay)."""
    with session_scope(url) as session:
        return session.execute(update(SmsMessage).where(SmsMessage.person_key == person_key)
                               .values(phone=None, body=None, buttons=None, updated_at=_now())
                               ).rowcount or 0
