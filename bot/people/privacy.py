"""Consent, opt-out and erasure, one function each: the conversation, the CLI and the
back-office call these."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from bot.db.models import Person, StoredDiagnostic, utcnow
from bot.db.session import session_scope


def _person(session, key: str) -> Person:
    person = session.get(Person, key)
    if person is None:
        person = Person(person_key=key, created_at=utcnow())
        session.add(person)
    return person


def record_consent(key: str, url: str | None = None) -> None:
    with session_scope(url) as session:
        person = _person(session, key)
        person.consent_at = utcnow()


def record_opt_out(key: str, url: str | None = None) -> None:
    """STOP: no message is sent to this person any more (kept even after erasure)."""
    with session_scope(url) as session:
        person = _person(session, key)
        if person.opted_out_at is None:
            person.opted_out_at = utcnow()


def clear_opt_out(key: str, url: str | None = None) -> None:
    """START: the person accepts messages again."""
    with session_scope(url) as session:
        person = session.get(Person, key)
        if person is not None:
            person.opted_out_at = None


def is_opted_out(key: str, url: str | None = None) -> bool:
    with session_scope(url) as session:
        person = session.get(Person, key)
        return bool(person and person.opted_out_at)


@dataclass(frozen=True)
class Erasure:
    diagnostics: int
    person_removed: bool


def erase_person(key: str, url: str | None = None) -> Erasure:
    """SUPPRIMER: erase the person's results and details.

    What stays is only what the law asks us to keep: the pseudonymous opt-out marker of someone
    who said STOP, so that we never write to them again.
    """
    from bot.booking import forget_contact  # bookings refer to people, not the reverse

    # Contact details of bookings go first: the bookings and referrals stay, under the
    # pseudonym only, and no reminder can reach the person any more.
    forget_contact(key, url)
    from bot.messaging.sms_store import forget_person as forget_sms

    forget_sms(key, url)  # the number and texts of their SMS
    with session_scope(url) as session:
        removed = session.execute(
            delete(StoredDiagnostic).where(StoredDiagnostic.person_key == key)
        ).rowcount
        person = session.get(Person, key)
        person_removed = False
        if person is not None:
            if person.opted_out_at is None:
                session.delete(person)
                person_removed = True
            else:
                person.consent_at = None
        return Erasure(diagnostics=removed or 0, person_removed=person_removed)


def count_diagnostics(key: str, url: str | None = None) -> int:
    with session_scope(url) as session:
        return len(session.execute(
            select(StoredDiagnostic.id).where(StoredDiagnostic.person_key == key)
        ).all())
