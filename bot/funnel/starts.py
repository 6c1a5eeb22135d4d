"""Conversations started, for the funnel. A conversation counts once a month: its row holds a
keyed hash of the conversation id and the month (so nothing links two months, and no id is
kept); a prescripteur's counter counts each new person, with the organisation."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.clock import PARIS, now_paris
from bot.config import secret_key
from bot.db.models import ConversationStart
from bot.db.session import session_scope, upsert_insert


def month_of(moment: datetime | None = None) -> str:
    return (moment or now_paris()).astimezone(PARIS).strftime("%Y-%m")


def _hash(conversation: str, month: str) -> str:
    return hmac.new(secret_key(), f"conversation-start:{month}:{conversation}".encode("utf-8"),
                    hashlib.sha256).hexdigest()


def record_start(channel: str, conversation: str | None = None, organisation_id: int | None = None,
                 now: datetime | None = None, url: str | None = None) -> bool:
    """Count a conversation started this month (once; True when it was new), or, without a
    conversation, one more person at a prescripteur's counter."""
    month = month_of(now)
    digest = _hash(conversation, month) if conversation else secrets.token_hex(32)
    values = {"month": month, "channel": (channel or "unknown")[:32],
              "organisation_id": organisation_id, "conversation_hash": digest}
    with session_scope(url) as session:
        statement = upsert_insert(session, ConversationStart.__table__)
        if statement is not None:
            return (session.execute(statement.values(**values).on_conflict_do_nothing()).rowcount
                    or 0) == 1
        try:
            with session.begin_nested():
                session.add(ConversationStart(**values))
            return True
        except IntegrityError:
            return False
