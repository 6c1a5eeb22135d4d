"""The SMS table: every message in and out, so that none is lost or processed twice.

Inbound: stored before anything else (`record_inbound`); a webhook retried by Twilio with the
same MessageSid finds its row and is not processed again. Outbound: stored before the send with
its segments and encoding, under the person's pseudonym only (never the number: a row written
after SUPPRIMER, its confirmation, must not bring the number back); Twilio's status callback
fills in the delivery status. Error texts are stored with phone numbers masked.

Retention (`purge_before`): the number, texts, choices and errors of rows older than the
cut-off are blanked; the rows stay (counts, segments, statuses).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, null, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.channels.claims import claim_row
from bot.clock import now_db
from bot.db.models import SmsMessage
from bot.db.session import session_scope
from bot.pseudonyms import channel_identity, person_key

DELIVERY_STATUSES = {"queued", "sending", "sent", "delivered", "undelivered", "failed",
                     "accepted", "scheduled", "read", "canceled"}


# A phone number in an error text: "+33612345678", "0612345678", "+33 6 12 34 56 78",
# "06.12.34.56.78" (8 digits or more, not glued to letters: Twilio's SIDs and error codes stay).
_PHONE_LIKE = re.compile(r"(?<![\w+])\+?\d(?:[ .\-]?\d){7,}(?!\w)")
MASK = "[numéro masqué]"


def scrub(text: str | None, phone: str | None = None) -> str | None:
    """`text` without phone numbers (the exact `phone`, and anything that looks like one)."""
    if text is None:
        return None
    if phone:
        text = text.replace(phone, MASK)
        digits = phone.lstrip("+")
        if len(digits) >= 8:
            text = text.replace(digits, MASK)
    return _PHONE_LIKE.sub(MASK, text)


def key_of_phone(phone: str) -> str:
    """The pseudonym of an SMS number (as the SMS channel computes it)."""

    return person_key(channel_identity("twilio_sms", phone))


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
    now = now_db()
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
        values = {"status": status, "updated_at": now_db()}
        if error is not None:
            values["last_error"] = scrub(error)[:500]
        session.execute(update(SmsMessage).where(SmsMessage.id == message_id).values(**values))


def claim_inbound(message_id: int, stale_after: float | None = None,
                  url: str | None = None) -> int | None:
    """Take a received SMS for processing; the attempt number, or None when another process has
    it or it was processed (bot/channels/claims.py: never by two processes; a row left
    `processing` by a process that stopped is taken again after `stale_after` seconds), or
    when an earlier SMS of the same number is still waiting: a person's messages are processed
    one after the other, in the order they came (`next_inbound` then gives the next one)."""
    with session_scope(url) as session:
        row = session.get(SmsMessage, message_id)
        if row is None or row.direction != "in":
            return None
        if row.phone is not None and session.execute(
                select(SmsMessage.id).where(
                    SmsMessage.direction == "in", SmsMessage.phone == row.phone,
                    SmsMessage.id < row.id,
                    SmsMessage.status.in_(("received", "processing"))).limit(1)).first():
            return None
        return claim_row(session, SmsMessage, row, row.updated_at, stale_after)


def next_inbound(phone: str, after_id: int, url: str | None = None) -> SmsRecord | None:
    """The first SMS of `phone` received after message `after_id` and not processed yet."""
    with session_scope(url) as session:
        row = session.execute(select(SmsMessage).where(
            SmsMessage.direction == "in", SmsMessage.phone == phone, SmsMessage.id > after_id,
            SmsMessage.status == "received").order_by(SmsMessage.id).limit(1)).scalar()
        return _record(row) if row is not None else None


def inbound_counts(url: str | None = None) -> dict[str, int]:
    """Received SMS by processing status (for `npt inbound`)."""
    with session_scope(url) as session:
        return dict(session.execute(
            select(SmsMessage.status, func.count(SmsMessage.id))
            .where(SmsMessage.direction == "in").group_by(SmsMessage.status)).all())


def unprocessed_inbound(older_than_seconds: float = 30, url: str | None = None) -> list[SmsRecord]:
    """Received messages not processed (the server stopped in between): to process again."""
    limit = now_db() - timedelta(seconds=older_than_seconds)
    with session_scope(url) as session:
        rows = session.execute(select(SmsMessage).where(
            SmsMessage.direction == "in", SmsMessage.status.in_(("received", "processing")),
            SmsMessage.updated_at <= limit).order_by(SmsMessage.id)).scalars().all()
        return [_record(row) for row in rows]


def record_outbound_for_key(person_key: str, body: str, buttons: list[dict] | None,
                            encoding: str, segments: int, url: str | None = None) -> int:
    """Store an SMS about to be sent, under the person's pseudonym (no number); its id."""
    if not person_key:
        raise ValueError("an outbound SMS is stored under its person_key")
    now = now_db()
    with session_scope(url) as session:
        row = SmsMessage(direction="out", phone=None, person_key=person_key, body=body,
                         buttons=buttons or None, encoding=encoding, segments=segments,
                         status="queued", attempts=0, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return row.id


def record_outbound(phone: str, person_key: str, body: str, buttons: list[dict] | None,
                    encoding: str, segments: int, url: str | None = None) -> int:
    """Kept for callers that still pass the number: it is not stored
    (`record_outbound_for_key`)."""
    return record_outbound_for_key(person_key or key_of_phone(phone), body, buttons, encoding,
                                   segments, url)


def sent_bodies_after(person_key: str, after_id: int, url: str | None = None) -> list[str]:
    """The texts of the SMS sent to the person after message `after_id`, oldest first: stored
    just before the send and confirmed by Twilio (its id), or given up after every attempt.
    One stored but never confirmed (the process stopped during the send) is not among them."""
    with session_scope(url) as session:
        return [body for (body,) in session.execute(select(SmsMessage.body).where(
            SmsMessage.person_key == person_key, SmsMessage.direction == "out",
            SmsMessage.id > after_id,
            or_(SmsMessage.message_sid.isnot(None), SmsMessage.status != "queued"))
            .order_by(SmsMessage.id)).all() if body is not None]


def mark_sent(message_id: int, message_sid: str | None, status: str, attempts: int,
              url: str | None = None) -> None:
    with session_scope(url) as session:
        session.execute(update(SmsMessage).where(SmsMessage.id == message_id).values(
            message_sid=(message_sid or None), status=status if status in DELIVERY_STATUSES
            else "sent", attempts=attempts, updated_at=now_db()))


def mark_failed(message_id: int, error: str, attempts: int, url: str | None = None,
                phone: str | None = None) -> None:
    """The send failed for good; `error` is stored with phone numbers masked (Twilio's messages
    name the number: "The 'To' number +336... is not a valid phone number")."""
    with session_scope(url) as session:
        session.execute(update(SmsMessage).where(SmsMessage.id == message_id).values(
            status="failed", last_error=scrub(error, phone)[:500], attempts=attempts,
            updated_at=now_db()))


def update_delivery(message_sid: str, status: str, error_code: str | None = None,
                    url: str | None = None) -> bool:
    """Twilio's status callback; False when no message has this sid or the status is unknown."""
    if status not in DELIVERY_STATUSES:
        return False
    with session_scope(url) as session:
        values = {"status": status, "updated_at": now_db()}
        if error_code:
            values["last_error"] = f"Twilio error {error_code[:20]}"
        return (session.execute(update(SmsMessage).where(
            SmsMessage.message_sid == message_sid[:64], SmsMessage.direction == "out")
            .values(**values)).rowcount or 0) == 1


def last_choices_for_key(person_key: str, url: str | None = None) -> list[dict] | None:
    """The choices of the last SMS sent to the person, if that last SMS offered some."""
    with session_scope(url) as session:
        row = session.execute(select(SmsMessage).where(
            SmsMessage.person_key == person_key, SmsMessage.direction == "out")
            .order_by(SmsMessage.id.desc()).limit(1)).scalars().first()
        return list(row.buttons) if row is not None and row.buttons else None


def last_choices(phone: str, url: str | None = None) -> list[dict] | None:
    """The same, for callers that still pass the number (looked up by its pseudonym)."""
    return last_choices_for_key(key_of_phone(phone), url)


def messages_for_key(person_key: str, url: str | None = None) -> list[SmsRecord]:
    """Every SMS of the person, in and out, oldest first (what erasure left of them too)."""
    with session_scope(url) as session:
        rows = session.execute(select(SmsMessage).where(SmsMessage.person_key == person_key)
                               .order_by(SmsMessage.id)).scalars().all()
        return [_record(row) for row in rows]


def messages_of(phone: str, url: str | None = None) -> list[SmsRecord]:
    """The same, for callers that pass the number."""
    return messages_for_key(key_of_phone(phone), url)


@dataclass(frozen=True)
class SmsExport:
    direction: str
    created_at: datetime  # naive UTC
    body: str | None
    status: str


def export_for_key(person_key: str, url: str | None = None) -> list[SmsExport]:
    """The person's SMS as the right of access shows them: direction, date, text, status."""
    with session_scope(url) as session:
        rows = session.execute(select(SmsMessage).where(SmsMessage.person_key == person_key)
                               .order_by(SmsMessage.id)).scalars().all()
        return [SmsExport(row.direction, row.created_at, row.body, row.status) for row in rows]


def forget_person(person_key: str, url: str | None = None) -> int:
    """SUPPRIMER: blank the number, the texts, the choices and the error texts of the person's
    SMS (counts, segments and statuses stay)."""
    with session_scope(url) as session:
        return session.execute(update(SmsMessage).where(SmsMessage.person_key == person_key)
                               .values(phone=None, body=None, buttons=null(), last_error=None,
                                       updated_at=now_db())).rowcount or 0


def _holds_personal_data():
    return or_(SmsMessage.phone.isnot(None), SmsMessage.body.isnot(None),
               SmsMessage.last_error.isnot(None))


def purge_before(cutoff: datetime, dry_run: bool = False, url: str | None = None) -> int:
    """Retention: blank the number, texts, choices and errors of SMS stored before `cutoff`
    (naive UTC); the number of rows blanked (or that would be, with `dry_run`)."""
    condition = (SmsMessage.created_at < cutoff, _holds_personal_data())
    with session_scope(url) as session:
        if dry_run:
            return session.execute(select(func.count(SmsMessage.id)).where(*condition)).scalar() or 0
        return session.execute(update(SmsMessage).where(*condition).values(
            phone=None, body=None, buttons=null(), last_error=None, updated_at=now_db())
            .execution_options(synchronize_session=False)).rowcount or 0
