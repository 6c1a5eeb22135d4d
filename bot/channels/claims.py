"""Taking a stored inbound message for processing, once: shared by the SMS and Telegram stores.

A conditional UPDATE checked by its row count (status and attempts as read): two processes
recovering the same message at once never both process it, on SQLite as on PostgreSQL. A row
left `processing` by a process that stopped is taken again only `stale_after` seconds after it
was claimed.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.clock import now_db

RECEIVED, PROCESSING = "received", "processing"


def claim_row(session: Session, model, row, claimed_at: datetime | None,
              stale_after: float | None) -> int | None:
    """Claim `row` (an instance of `model` with id, status, attempts, updated_at) for
    processing; the attempt number, or None when another process has it or it was processed.
    `claimed_at`: when a `processing` row was claimed (naive UTC, as stored)."""
    if row is None or row.status not in (RECEIVED, PROCESSING):
        return None
    if row.status == PROCESSING and (
            stale_after is None or claimed_at > now_db() - timedelta(seconds=stale_after)):
        return None
    attempts = row.attempts or 0
    taken = session.execute(
        update(model)
        .where(model.id == row.id, model.status == row.status, model.attempts == attempts)
        .values(status=PROCESSING, attempts=attempts + 1, updated_at=now_db())
        .execution_options(synchronize_session=False)).rowcount
    return attempts + 1 if taken == 1 else None
