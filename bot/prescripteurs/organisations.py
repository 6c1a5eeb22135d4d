"""Prescripteur organisations and their access codes (PRODUCT.md, "Prescripteur mode").

The Métropole creates an organisation (`npt organisations create`) and gets its code, shown
once: 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), at least two digits
and two letters (about 48 bits), typed
with or without spaces and dashes, in any case. Only a keyed hash of the code is stored
(HMAC-SHA256 with the pseudonyms' key), with its last two characters to tell codes apart in a
list; a revoked code opens nothing. `check_code` says which organisation a typed code opens, if
any; wrong codes of one conversation are counted (`code_failures`, keyed hash of the
conversation id): after MAX_FAILURES within WINDOW_MINUTES, no code is even checked for it until
the oldest failure leaves the window.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from bot.clock import from_db, now_db, to_db
from bot.config import secret_key
from bot.db.models import CodeFailure, Organisation, OrganisationCode
from bot.db.session import session_scope
from bot.geo.communes import place as place_by_insee
from bot.geo.member import member_commune
from bot.text import normalize

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
MAX_FAILURES = 5
WINDOW_MINUTES = 15
KINDS = {
    "la_poste": "La Poste",
    "bailleur_social": "bailleur social",
    "ccas": "CCAS",
    "mairie": "mairie",
    "mission_locale": "mission locale",
    "autre": "autre",
}


class OrganisationError(ValueError):
    """A wrong name, kind, commune or code: an English `str()` for the command line and the
    logs, and `message_fr` for the back-office."""

    def __init__(self, message: str, message_fr: str):
        super().__init__(message)
        self.message_fr = message_fr


class CodeCheck(str, Enum):
    OK = "ok"
    UNKNOWN = "unknown"  # no such code, or a revoked one: the same answer
    THROTTLED = "throttled"  # too many wrong codes from this conversation: not even checked


@dataclass(frozen=True)
class CodeView:
    id: int
    hint: str  # "…K7": the code's last two characters
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class OrganisationView:
    id: int
    name: str
    kind: str
    commune_insee: str
    commune: str
    codes: tuple[CodeView, ...]  # oldest first
    created_at: datetime

    @property
    def active_codes(self) -> tuple[str, ...]:
        """The hints of the codes not revoked."""
        return tuple(code.hint for code in self.codes if code.revoked_at is None)

    @property
    def revoked_codes(self) -> int:
        return sum(1 for code in self.codes if code.revoked_at is not None)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


@dataclass(frozen=True)
class CodeResult:
    status: CodeCheck
    organisation: OrganisationView | None = None
    code_id: int | None = None  # the code that opened it (a session ends when it is revoked)


def normalize_code(typed: str) -> str:
    """"k7mq 4xpa-2b" -> "K7MQ4XPA2B": spaces, dashes and dots dropped, upper case."""
    return re.sub(r"[\s.\-_]+", "", typed or "").upper()


def _mixed(code: str) -> bool:
    """At least two digits and two letters: every code is drawn so, and words never are."""
    digits = sum(ch.isdigit() for ch in code)
    return digits >= 2 and len(code) - digits >= 2


def looks_like_a_code(typed: str) -> bool:
    """True when the message is, once normalised, CODE_LENGTH characters of the alphabet with
    at least two digits and two letters (a conversation may then try it as a code; words such
    as "super super" never are)."""
    code = normalize_code(typed)
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code) and _mixed(code)


def parse_kind(typed: str) -> str:
    """"La Poste", "la-poste", "CCAS", "Mission locale", "other" -> the kind's key."""
    key = re.sub(r"[\s\-]+", "_", normalize(typed or "").strip())
    key = {"laposte": "la_poste", "poste": "la_poste", "bailleur": "bailleur_social",
           "other": "autre"}.get(key, key)
    if key not in KINDS:
        raise OrganisationError(f"kind {typed!r} is not one of: {', '.join(KINDS)}",
                                "Choisissez un type d'organisation de la liste.")
    return key


def _hash(kind: str, value: str) -> str:
    return hmac.new(secret_key(), f"organisation-code:{kind}:{value}".encode("utf-8"),
                    hashlib.sha256).hexdigest()


def _commune(text: str):
    """The member commune an operator named (name, postcode or INSEE code), or the error."""
    value = (text or "").strip()
    found = member_commune(value)
    if found is None:
        raise OrganisationError(f"{value!r} is not a commune of the Métropole du Grand Paris "
                                "(give its name, postcode or INSEE code)",
                                "Cette commune n'est pas une commune de la Métropole du Grand "
                                "Paris (nom, code postal ou code INSEE).")
    return found


def _view(session, row: Organisation) -> OrganisationView:
    codes = session.execute(select(OrganisationCode).where(
        OrganisationCode.organisation_id == row.id).order_by(OrganisationCode.id)).scalars().all()
    commune = place_by_insee(row.commune_insee)
    return OrganisationView(
        id=row.id, name=row.name, kind=row.kind, commune_insee=row.commune_insee,
        commune=commune.nom if commune is not None else row.commune_insee,
        codes=tuple(CodeView(code.id, f"…{code.hint}", from_db(code.created_at),
                             from_db(code.revoked_at) if code.revoked_at else None)
                    for code in codes),
        created_at=from_db(row.created_at))


def _new_code(session, organisation_id: int, actor: str, now: datetime) -> str:
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if not _mixed(code):
            continue  # drawn again: a code must never look like a word
        digest = _hash("code", code)
        if session.execute(select(OrganisationCode.id).where(
                OrganisationCode.code_hash == digest)).first() is None:
            break
    session.add(OrganisationCode(organisation_id=organisation_id, code_hash=digest,
                                 hint=code[-2:], created_at=now, created_by=actor))
    return code


def create_organisation(name: str, kind: str, commune: str, actor: str,
                        url: str | None = None) -> tuple[OrganisationView, str]:
    """A new organisation and its first code (returned once, never stored in clear)."""
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise OrganisationError("the organisation's name must be 1 to 120 characters",
                                "Le nom doit faire de 1 à 120 caractères.")
    kind = parse_kind(kind)
    member = _commune(commune)
    now = now_db()
    try:
        with session_scope(url) as session:
            row = Organisation(name=name, kind=kind, commune_insee=member.code_insee,
                               created_at=now, created_by=actor)
            session.add(row)
            session.flush()
            code = _new_code(session, row.id, actor, now)
            session.flush()
            return _view(session, row), code
    except IntegrityError:
        raise OrganisationError(f"an organisation named {name!r} already exists",
                                "Une organisation porte déjà ce nom.") from None


def add_code(name: str | None, actor: str, url: str | None = None,
             organisation_id: int | None = None) -> str:
    """Another code for an existing organisation, named or by its number (for a second counter,
    or after a revocation)."""
    with session_scope(url) as session:
        row = (session.get(Organisation, organisation_id) if organisation_id is not None else
               session.execute(select(Organisation).where(Organisation.name == name)).scalar())
        if row is None:
            raise OrganisationError(f"no organisation named {name!r}",
                                    "Cette organisation n'existe pas.")
        return _new_code(session, row.id, actor, now_db())


def get_organisation(organisation_id: int, url: str | None = None) -> OrganisationView | None:
    with session_scope(url) as session:
        row = session.get(Organisation, organisation_id)
        return _view(session, row) if row is not None else None


def list_organisations(url: str | None = None) -> list[OrganisationView]:
    with session_scope(url) as session:
        rows = session.execute(select(Organisation).order_by(Organisation.name)).scalars().all()
        return [_view(session, row) for row in rows]


def revoke_code(code: str | None, actor: str, url: str | None = None,
                code_id: int | None = None) -> OrganisationView:
    """Revoke a code, typed as printed (or by its number, from the back-office); the
    organisation it opened. Revoking twice is an error, so that the operator knows the code was
    already closed."""
    with session_scope(url) as session:
        row = (session.get(OrganisationCode, code_id) if code_id is not None else
               session.execute(select(OrganisationCode).where(
                   OrganisationCode.code_hash == _hash("code", normalize_code(code or "")))
               ).scalar())
        if row is None:
            raise OrganisationError("no such code (check it character by character)",
                                    "Ce code n'existe pas.")
        if row.revoked_at is not None:
            raise OrganisationError(
                f"this code was already revoked on {from_db(row.revoked_at):%Y-%m-%d}",
                f"Ce code était déjà révoqué (le {from_db(row.revoked_at):%d/%m/%Y}).")
        row.revoked_at, row.revoked_by = now_db(), actor
        session.flush()
        return _view(session, session.get(Organisation, row.organisation_id))


def check_code(typed: str, conversation: str, now: datetime | None = None,
               url: str | None = None) -> CodeResult:
    """Which organisation `typed` opens for this conversation, if any. A wrong code counts as
    a failure of the conversation; after MAX_FAILURES within the window, nothing is checked."""
    now = to_db(now) if now is not None else now_db()
    since = now - timedelta(minutes=WINDOW_MINUTES)
    sender = _hash("conversation", conversation)
    with session_scope(url) as session:
        session.execute(delete(CodeFailure).where(CodeFailure.failed_at < since))
        failures = session.execute(select(func.count(CodeFailure.id)).where(
            CodeFailure.sender_hash == sender, CodeFailure.failed_at >= since)).scalar() or 0
        if failures >= MAX_FAILURES:
            return CodeResult(CodeCheck.THROTTLED)
        row = session.execute(select(OrganisationCode).where(
            OrganisationCode.code_hash == _hash("code", normalize_code(typed)),
            OrganisationCode.revoked_at.is_(None))).scalar()
        if row is None:
            session.add(CodeFailure(sender_hash=sender, failed_at=now))
            return CodeResult(CodeCheck.UNKNOWN)
        return CodeResult(CodeCheck.OK, _view(session, session.get(Organisation, row.organisation_id)),
                          row.id)
