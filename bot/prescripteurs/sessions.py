"""The prescripteur mode of a conversation: opened by one of an organisation's codes, for
`session_minutes` (data/prescripteurs.yml), then the code is asked again.

The mode lives here, in the database, never in the conversation's tracker: the channels check a
typed code before Rasa sees the message (connectors/gate.py), and the actions ask `active_session`
whether the conversation they serve is a prescripteur's. Revoking the code ends its sessions at
their next message.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.clock import from_db, now_db, to_db
from bot.db.models import Organisation, OrganisationCode, PrescripteurSession
from bot.db.session import session_scope
from bot.prescripteurs.organisations import CodeCheck, check_code, looks_like_a_code
from bot.prescripteurs.rules import prescripteur_rules
from bot.text import normalize

# "code K7MQ4XPA2B", "mon code est : K7MQ 4XPA 2B", "Code prescripteur K7MQ-4XPA-2B".
_CODE_WORDS = re.compile(r"^(?:mon |le |voici (?:mon |le )?)?code(?: prescripteur| organisation"
                         r"| d organisation| pro)?(?: est| c est)?\s*")


@dataclass(frozen=True)
class Session:
    id: int
    organisation_id: int
    organisation: str  # the organisation's name
    first_name: str | None  # the prescripteur's, asked once per session
    expires_at: datetime


@dataclass(frozen=True)
class Entry:
    status: CodeCheck
    session: Session | None = None


def typed_code(text: str | None) -> str | None:
    """The code in a message that is only a code, with or without "code" / "mon code est"
    before it; None for anything else (the message is then read as usual)."""
    if not text or len(text) > 80:
        return None
    words = normalize(text)
    rest = _CODE_WORDS.sub("", words, count=1) if words.startswith(("code", "mon ", "le ", "voici ")) else words
    candidate = rest.replace(" ", "")
    return candidate.upper() if looks_like_a_code(candidate) else None


def _view(row: PrescripteurSession, organisation: Organisation) -> Session:
    return Session(id=row.id, organisation_id=row.organisation_id, organisation=organisation.name,
                   first_name=row.first_name, expires_at=from_db(row.expires_at))


def enter(code: str, conversation: str, channel: str, throttle_key: str | None = None,
          now: datetime | None = None, url: str | None = None) -> Entry:
    """Try `code` for `conversation`: a known code opens a new session (ending any other of the
    conversation); a wrong one counts against `throttle_key` (the conversation by default)."""
    moment = to_db(now) if now is not None else now_db()
    result = check_code(code, throttle_key or conversation, now=now, url=url)
    if result.status is not CodeCheck.OK:
        return Entry(result.status)
    minutes = prescripteur_rules().session_minutes
    with session_scope(url) as session:
        session.execute(update(PrescripteurSession).where(
            PrescripteurSession.conversation == conversation,
            PrescripteurSession.ended_at.is_(None)).values(ended_at=moment)
            .execution_options(synchronize_session=False))
        row = PrescripteurSession(conversation=conversation, channel=channel[:32],
                                  organisation_id=result.organisation.id, code_id=result.code_id,
                                  started_at=moment, expires_at=moment + timedelta(minutes=minutes))
        session.add(row)
        session.flush()
        return Entry(CodeCheck.OK, _view(row, session.get(Organisation, row.organisation_id)))


def active_session(conversation: str, now: datetime | None = None,
                   url: str | None = None) -> Session | None:
    """The conversation's prescripteur session still open: not expired, not ended, its code
    not revoked; None otherwise (a citizen's conversation)."""
    moment = to_db(now) if now is not None else now_db()
    with session_scope(url) as session:
        found = session.execute(
            select(PrescripteurSession, Organisation)
            .join(Organisation, Organisation.id == PrescripteurSession.organisation_id)
            .join(OrganisationCode, OrganisationCode.id == PrescripteurSession.code_id)
            .where(PrescripteurSession.conversation == conversation,
                   PrescripteurSession.ended_at.is_(None),
                   PrescripteurSession.expires_at > moment,
                   OrganisationCode.revoked_at.is_(None))
            .order_by(PrescripteurSession.id.desc()).limit(1)).first()
        return _view(*found) if found else None


def had_session(conversation: str, url: str | None = None) -> bool:
    """True when the conversation was ever in prescripteur mode (to say that it has ended)."""
    with session_scope(url) as session:
        return session.execute(select(PrescripteurSession.id).where(
            PrescripteurSession.conversation == conversation).limit(1)).first() is not None


def set_first_name(session_id: int, first_name: str, url: str | None = None) -> None:
    with session_scope(url) as session:
        row = session.get(PrescripteurSession, session_id)
        if row is not None:
            row.first_name = first_name[:60]


def end_session(conversation: str, now: datetime | None = None, url: str | None = None) -> int:
    """Leave the prescripteur mode ("fin", "quitter"); the number of sessions ended."""
    moment = to_db(now) if now is not None else now_db()
    with session_scope(url) as session:
        return session.execute(update(PrescripteurSession).where(
            PrescripteurSession.conversation == conversation,
            PrescripteurSession.ended_at.is_(None)).values(ended_at=moment)
            .execution_options(synchronize_session=False)).rowcount or 0
