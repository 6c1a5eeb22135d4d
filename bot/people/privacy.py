"""Consent, opt-out and erasure, one function each: the conversation, the CLI and the
back-office call these."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from bot.booking.bookings import forget_contact  # bookings refer to people, not the reverse
from bot.channels.channel_store import forget_person as forget_chats
from bot.channels.sms_store import forget_person as forget_sms
from bot.channels.telegram_store import forget_person as forget_updates
from bot.db.models import Person, StoredDiagnostic, utcnow
from bot.db.session import session_scope
from bot.webinars.privacy import forget_registrations


def _person(session, key: str) -> Person:
    person = session.get(Person, key)
    if person is None:
        person = Person(person_key=key, created_at=utcnow())
        session.add(person)
    return person


def record_consent(key: str, url: str | None = None, method: str = "self") -> None:
    """The person agreed that their answers are kept: by themselves ("self"), or told to a
    prescripteur at a counter ("prescripteur:<organisation id>"); the time and the method are
    kept."""
    with session_scope(url) as session:
        person = _person(session, key)
        person.consent_at = utcnow()
        person.consent_method = method[:64]


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
    bookings: int = 0  # bookings whose contact data was blanked
    sms: int = 0  # SMS whose number, texts and errors were blanked
    chat_choices: int = 0  # chat choices deleted
    webinar_registrations: int = 0  # webinar registrations cancelled and blanked


def erase_person(key: str, url: str | None = None) -> Erasure:
    """SUPPRIMER: erase the person's results and details.

    After it no table of ours holds their phone number, chat id, sender id, first name or
    anything they wrote: bookings keep no contact data, SMS rows no number, text or error text,
    chat choices of all their chats are deleted, diagnostics deleted. What stays is only
    pseudonymous: bookings and referrals (the structure's funding rests on them) and the
    opt-out marker of someone who said STOP, so that we never write to them again. Rasa's
    conversation itself is erased by the tracker store at the end of the turn
    (connectors/tracker_store.py).
    """

    # Contact details of bookings go first: the bookings and referrals stay, under the
    # pseudonym only, and no reminder can reach the person any more.
    bookings = forget_contact(key, url)
    sms = forget_sms(key, url)  # the number, texts and error texts of their SMS
    chats = forget_chats(key, url)  # the choices last offered in each of their chats
    forget_updates(key, url)  # the stored Telegram updates (their JSON names the chat)
    webinars = forget_registrations(key, url)  # cancelled (the seat passes on) and blanked
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
        return Erasure(diagnostics=removed or 0, person_removed=person_removed,
                       bookings=bookings, sms=sms, chat_choices=chats,
                       webinar_registrations=webinars)


def count_diagnostics(key: str, url: str | None = None) -> int:
    with session_scope(url) as session:
        return len(session.execute(
            select(StoredDiagnostic.id).where(StoredDiagnostic.person_key == key)
        ).all())
