"""Slowing down password guesses at the back-office login, without letting a stranger lock
anyone out.

Every refused password check is a row of `login_failures` (source address, e-mail as typed,
when), written by the check itself, so that parallel guesses all count, on SQLite as on
PostgreSQL. Within any WINDOW_MINUTES:

- a source address that typed PAIR_LIMIT wrong passwords for one e-mail, or SOURCE_LIMIT in
  all, is refused (its attempts are not even checked) until those failures are older than the
  window: it guesses at most that many times per window;
- an e-mail with many wrong passwords from anywhere is only slowed down (`login_delay`: a
  bounded wait before its check): its real owner, from their own address and with the right
  password, still gets in while a stranger hammers the account.

Nothing depends on whether the e-mail is an account (a typo or a stranger's guess counts the
same), so a refusal tells nothing about who has an account. The table holds keyed hashes
(HMAC-SHA256 with the pseudonyms' key) of the address and of the e-mail, never the values, and
no row older than the window is kept. A correct password clears the failures of that address for
that e-mail; a new password (`npt accounts password`) clears every failure of the account.

The source address is the connection's peer, or, with NPT_TRUST_PROXY=1 (the web app behind one
reverse proxy), the last address the proxy added to X-Forwarded-For. IPv6 addresses count by
their /64 network (what one subscriber usually gets).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (Column, DateTime, Index, Integer, MetaData, String, Table, and_, case,
                        delete, func, insert, select)
from sqlalchemy.orm import Session

from bot.clock import now_db
from bot.addresses import source_of
from bot.config import secret_key

log = logging.getLogger(__name__)

WINDOW_MINUTES = 15
PAIR_LIMIT = 5  # wrong passwords for one e-mail from one source address
SOURCE_LIMIT = 20  # wrong passwords for any e-mails from one source address
DELAY_FREE_FAILURES = 2  # an e-mail's failures (any source) before its logins are slowed
FIRST_DELAY_SECONDS = 0.5  # then doubled at each failure...
MAX_DELAY_SECONDS = 5.0  # ... up to this

# Created by migration 0009; kept out of bot.db.models (it is the login's own bookkeeping).
metadata = MetaData()
login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True),
    Column("source_hash", String(64), nullable=False),
    Column("email_hash", String(64), nullable=False),
    Column("account_id", Integer, nullable=True),  # when the e-mail is an account's
    Column("failed_at", DateTime, nullable=False),  # naive UTC
    Index("ix_login_failures_source_hash_failed_at", "source_hash", "failed_at"),
    Index("ix_login_failures_email_hash_failed_at", "email_hash", "failed_at"),
    Index("ix_login_failures_failed_at", "failed_at"),
    Index("ix_login_failures_account_id", "account_id"),
)


def _hash(kind: str, value: str) -> str:
    return hmac.new(secret_key(), f"backoffice-login:{kind}:{value}".encode("utf-8"),
                    hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Gate:
    refused: bool  # this source may not try this e-mail now (its attempt is not checked)
    delay: float  # seconds to wait before the check (the e-mail is being guessed)


def _keys(source: str, email: str) -> tuple[str, str]:
    return _hash("source", source_of(source)), _hash("email", email)


def _counts(session: Session, source_hash: str, email_hash: str, since: datetime
            ) -> tuple[int, int, int]:
    """Failures since `since`: of this source for this e-mail, of this source, of this e-mail."""
    recent = login_failures.c.failed_at >= since
    of_source = login_failures.c.source_hash == source_hash
    of_email = login_failures.c.email_hash == email_hash
    pair, source = session.execute(
        select(func.sum(case((of_email, 1), else_=0)), func.count())
        .where(of_source, recent)).one()
    email = session.execute(select(func.count()).where(of_email, recent)).scalar_one()
    return int(pair or 0), int(source or 0), int(email or 0)


def delay_for(email_failures: int) -> float:
    """The wait before a check of an e-mail with that many recent failures (any source)."""
    if email_failures < DELAY_FREE_FAILURES:
        return 0.0
    steps = email_failures - DELAY_FREE_FAILURES
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** min(steps, 16))


def gate(session: Session, source: str, email: str, now: datetime | None = None) -> Gate:
    now = now or now_db()
    source_hash, email_hash = _keys(source, email)
    pair, from_source, of_email = _counts(session, source_hash, email_hash,
                                          now - timedelta(minutes=WINDOW_MINUTES))
    return Gate(refused=pair >= PAIR_LIMIT or from_source >= SOURCE_LIMIT,
                delay=delay_for(of_email))


def record_failure(session: Session, source: str, email: str, now: datetime | None = None,
                   account_id: int | None = None) -> None:
    """Count a wrong password (in the caller's transaction), and forget failures older than the
    window. `account_id`: the account of the e-mail, if any (a new password clears by it)."""
    now = now or now_db()
    source_hash, email_hash = _keys(source, email)
    since = now - timedelta(minutes=WINDOW_MINUTES)
    session.execute(delete(login_failures).where(login_failures.c.failed_at < since))
    session.execute(insert(login_failures).values(source_hash=source_hash, email_hash=email_hash,
                                                  account_id=account_id, failed_at=now))
    pair, from_source, _ = _counts(session, source_hash, email_hash, since)
    if pair == PAIR_LIMIT or from_source == SOURCE_LIMIT:
        log.warning("back-office: %d wrong passwords for one e-mail, %d in all, from %s within "
                    "%d minutes: that address is refused for now", pair, from_source,
                    source_of(source), WINDOW_MINUTES)


def clear_pair(session: Session, source: str, email: str) -> None:
    """The right password from this source: its failures for this e-mail are forgotten."""
    source_hash, email_hash = _keys(source, email)
    session.execute(delete(login_failures).where(and_(login_failures.c.source_hash == source_hash,
                                                      login_failures.c.email_hash == email_hash)))


def clear_account(session: Session, account_id: int) -> None:
    """A new password: every failure for this account is forgotten (no source stays refused for
    it, no wait). By the account's id, so that it works whatever key the command runs with."""
    session.execute(delete(login_failures).where(login_failures.c.account_id == account_id))
