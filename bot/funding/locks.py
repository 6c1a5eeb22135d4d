"""The locks of the funding: a year's row and a referral's row, held until the transaction ends.

Every change to a year's entries holds the lock of its `funding_years` row (inserted if missing
by an insert-ignore, then SELECT ... FOR UPDATE on PostgreSQL; on SQLite the write transaction,
begun by the first statement, serialises). A confirmation locks the referral row first, then its
year(s) in ascending order (bot.funding.marking); a merge locks every year in ascending order
(bot.funding.merges); so two confirmations never both take the last funded place, and a
confirmation never counts a key that a merge is folding into another. Transient errors
(deadlock, serialization, busy SQLite) are retried as bookings do (bot.db.retry).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db.models import FundingYear, Referral
from bot.db.session import upsert_insert
from bot.funding.errors import ReferralNotFound


def lock_year(session: Session, year: int, moment_db: datetime) -> FundingYear:
    """The `funding_years` row of `year`, made if missing and locked until the transaction ends."""
    insert = upsert_insert(session, FundingYear)
    if insert is not None:
        session.execute(insert.values(year=year, updated_at=moment_db)
                        .on_conflict_do_nothing(index_elements=["year"]))
    row = session.execute(select(FundingYear).where(FundingYear.year == year).with_for_update()
                          .execution_options(populate_existing=True)).scalars().first()
    if row is None:  # another database: a plain insert (a race ends in an IntegrityError)
        row = FundingYear(year=year, updated_at=moment_db)
        session.add(row)
        session.flush()
    return row


def lock_referral(session: Session, referral_id) -> Referral:
    """Lock the referral row (the transaction's first write) and read it afresh."""
    if isinstance(referral_id, bool) or not isinstance(referral_id, int):
        raise ReferralNotFound(f"no referral {referral_id!r}", "Cette orientation n'existe pas.")
    locked = session.execute(update(Referral).where(Referral.id == referral_id)
                             .values(updated_at=Referral.updated_at)
                             .execution_options(synchronize_session=False)).rowcount
    row = session.get(Referral, referral_id, populate_existing=True) if locked else None
    if row is None:
        raise ReferralNotFound(f"no referral {referral_id}", "Cette orientation n'existe pas.")
    return row
