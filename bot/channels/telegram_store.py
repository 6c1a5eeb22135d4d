"""Telegram updates, stored before Telegram gets its answer (as SMS are, bot.channels.sms_store).

An update is recorded with its JSON and its person's pseudonym, then acknowledged, then
processed. Whoever processes it claims it first (a conditional UPDATE checked by its row
count), so two processes recovering updates at the same start never both process one. Its
JSON is blanked once it is processed (what was said lives in the conversation, which
SUPPRIMER erases); an update whose processing raised is tried again, then kept as `failed`
with its error for the operator (`npt inbound`), never silently dropped.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.channels.claims import PROCESSING, RECEIVED, claim_row
from bot.clock import now_db
from bot.db.models import ChannelUpdate
from bot.db.session import session_scope

CHANNEL = "telegram"
PROCESSED, FAILED = "processed", "failed"


@dataclass(frozen=True)
class StoredUpdate:
    id: int
    update_id: str
    payload: str
    attempts: int


def record_update(update_id: str, payload: str, person_key: str | None,
                  url: str | None = None) -> int | None:
    """Store an update before it is acknowledged; its row id, or None when this update_id was
    already stored (Telegram sent it again: it is not processed twice)."""
    now = now_db()
    try:
        with session_scope(url) as session:
            row = ChannelUpdate(channel=CHANNEL, update_id=str(update_id)[:64],
                                received_at=now, updated_at=now, payload=payload,
                                person_key=person_key, status=RECEIVED, attempts=0)
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def claim(row_id: int, url: str | None = None, stale_after: float | None = None) -> int | None:
    """Take the update for processing; the attempt number, or None when another process has it
    (or it was processed). A row left `processing` by a process that died is taken again only
    when `stale_after` seconds have passed since it was claimed."""
    with session_scope(url) as session:
        row = session.get(ChannelUpdate, row_id)
        claimed_at = row.updated_at or row.received_at if row is not None else None
        return claim_row(session, ChannelUpdate, row, claimed_at, stale_after)


def release(row_id: int, error: str, url: str | None = None) -> None:
    """Processing raised; the update waits for another attempt."""
    with session_scope(url) as session:
        session.execute(update(ChannelUpdate).where(ChannelUpdate.id == row_id).values(
            status=RECEIVED, last_error=error[:500], updated_at=now_db()))


def finish(row_id: int, error: str | None = None, url: str | None = None) -> None:
    """Processed (its JSON blanked), or failed for good with its error."""
    values = {"status": PROCESSED, "payload": None, "updated_at": now_db()}
    if error is not None:
        values.update(status=FAILED, last_error=error[:500])
    with session_scope(url) as session:
        session.execute(update(ChannelUpdate).where(ChannelUpdate.id == row_id).values(**values))


def unprocessed(older_than_seconds: float = 0, url: str | None = None) -> list[StoredUpdate]:
    """Updates stored but not processed (received, or left processing by a stopped process),
    untouched for `older_than_seconds`."""
    limit = now_db() - timedelta(seconds=older_than_seconds)
    with session_scope(url) as session:
        rows = session.execute(
            select(ChannelUpdate).where(ChannelUpdate.channel == CHANNEL,
                                        ChannelUpdate.status.in_((RECEIVED, PROCESSING)),
                                        ChannelUpdate.payload.is_not(None),
                                        func.coalesce(ChannelUpdate.updated_at,
                                                      ChannelUpdate.received_at) <= limit)
            .order_by(ChannelUpdate.id)).scalars().all()
        return [StoredUpdate(r.id, r.update_id, r.payload, r.attempts or 0) for r in rows]


def counts(url: str | None = None) -> dict[str, int]:
    """Stored Telegram updates by status (for `npt inbound`)."""
    with session_scope(url) as session:
        return dict(session.execute(
            select(ChannelUpdate.status, func.count(ChannelUpdate.id))
            .where(ChannelUpdate.channel == CHANNEL).group_by(ChannelUpdate.status)).all())


def forget_person(person_key: str, url: str | None = None) -> int:
    """SUPPRIMER: the person's stored updates lose their JSON and error text (ids and statuses
    stay, so that a repeat is still not processed)."""
    with session_scope(url) as session:
        return session.execute(
            update(ChannelUpdate).where(ChannelUpdate.person_key == person_key)
            .values(payload=None, last_error=None, person_key=None, updated_at=now_db())
        ).rowcount or 0
