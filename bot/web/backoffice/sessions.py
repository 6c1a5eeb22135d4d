"""Back-office sessions: a random token in an HttpOnly cookie, its SHA-256 in the database.

Each session has its own CSRF token, put in every form and checked on every POST. Sessions end
after IDLE_MINUTES without a request, or MAX_HOURS after login, or at logout.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.clock import now_db
from bot.db.models import StaffAccount, WebSession
from bot.db.session import session_scope
from bot.web.backoffice.accounts import Account, _place_name, _view

IDLE_MINUTES = 120
MAX_HOURS = 12
TOKEN_BYTES = 32


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ActiveSession:
    account: Account
    csrf_token: str

    def csrf_ok(self, submitted: str | None) -> bool:
        return bool(submitted) and hmac.compare_digest(self.csrf_token.encode(),
                                                       str(submitted).encode())


def open_session(account_id: int, *, now: datetime | None = None,
                 url: str | None = None) -> str:
    """A new session of the account; returns the token for the cookie (shown nowhere else)."""
    now = now or now_db()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with session_scope(url) as session:
        session.execute(delete(WebSession).where(WebSession.expires_at <= now))
        session.add(WebSession(token_hash=_digest(token), account_id=account_id,
                               csrf_token=secrets.token_urlsafe(TOKEN_BYTES), created_at=now,
                               last_seen_at=now, expires_at=now + timedelta(hours=MAX_HOURS)))
    return token


def session_of(token: str | None, *, now: datetime | None = None,
               url: str | None = None) -> ActiveSession | None:
    """The live session of a cookie token (its idle time restarts), or None."""
    if not token or len(token) > 200:
        return None
    now = now or now_db()
    with session_scope(url) as session:
        row = session.execute(select(WebSession).where(
            WebSession.token_hash == _digest(token))).scalars().first()
        if row is None:
            return None
        account = session.get(StaffAccount, row.account_id)
        if (account is None or not account.active or row.expires_at <= now
                or row.last_seen_at + timedelta(minutes=IDLE_MINUTES) <= now):
            session.delete(row)
            return None
        row.last_seen_at = now
        return ActiveSession(_view(account, _place_name(session, account.place_pk)),
                             row.csrf_token)


def close_session(token: str | None, url: str | None = None) -> None:
    if not token:
        return
    with session_scope(url) as session:
        session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))
