"""Right of access (droit d'accès): everything stored about one person, as plain data.

`export_person(ref)` gathers, under the person's pseudonym: their people row (consent, STOP),
stored diagnostics, bookings (with the first name while it is kept), referrals, funding
entries, SMS (direction, date, text), the choices last offered in their chats, and what was
said in their Rasa conversations (namespaced id and the bare old id). Times are in
Europe/Paris with their offset. `npt privacy export` prints it as JSON.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select

from bot.channels.channel_store import choices_for_key
from bot.channels.sms_store import export_for_key
from bot.db.models import (Booking as BookingRow, FundingEntry, Person, Place, Referral,
                           StoredDiagnostic)
from bot.db.session import session_scope
from bot.people.identity import PersonRef
from bot.people.tracker_data import conversation_texts
from bot.webinars.privacy import export_registrations

PARIS_TZ = "Europe/Paris"


def _when(value: datetime | date | None) -> str | None:
    """Naive UTC (the database's) or aware -> ISO in Europe/Paris; a date -> ISO date."""
    from zoneinfo import ZoneInfo

    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(ZoneInfo(PARIS_TZ)).isoformat(timespec="seconds")
    return value.isoformat()


def _database_part(key: str, url: str | None) -> dict[str, Any]:
    with session_scope(url) as session:
        person = session.get(Person, key)
        diagnostics = session.execute(select(StoredDiagnostic).where(
            StoredDiagnostic.person_key == key).order_by(StoredDiagnostic.id)).scalars().all()
        bookings = session.execute(select(BookingRow, Place.nom).join(
            Place, Place.pk == BookingRow.place_pk).where(BookingRow.person_key == key)
            .order_by(BookingRow.start, BookingRow.id)).all()
        references = {row.id: row.reference for row, _ in bookings}
        referrals = session.execute(select(Referral, Place.nom).join(
            Place, Place.pk == Referral.place_pk).where(Referral.person_key == key)
            .order_by(Referral.id)).all()
        funding = session.execute(select(FundingEntry).where(FundingEntry.person_key == key)
                                  .order_by(FundingEntry.year)).scalars().all()
        return {
            "person": None if person is None else {
                "first_seen": _when(person.created_at),
                "consent_given_at": _when(person.consent_at),
                "opted_out_at": _when(person.opted_out_at),
            },
            "diagnostics": [{
                "date": _when(d.created_at), "channel": d.channel,
                "grid_version": d.grid_version, "level": d.level, "score": d.score,
                "area_scores": d.area_scores, "services": d.services,
                "accompaniment": d.accompaniment, "support": d.support, "answers": d.answers,
            } for d in diagnostics],
            "bookings": [{
                "reference": b.reference, "place": place, "start": _when(b.start),
                "end": _when(b.end), "status": b.status, "first_name": b.first_name,
                "channel": b.channel, "booked_at": _when(b.created_at),
                "cancelled_at": _when(b.cancelled_at), "cancelled_by": b.cancelled_by,
            } for b, place in bookings],
            "referrals": [{
                "date": _when(r.created_at), "place": place, "status": r.status,
                "level": r.level, "services": r.services, "channel": r.channel,
                "booking_reference": references.get(r.booking_id),
                "appointment": _when(r.slot_start), "accompanied_on": _when(r.accompanied_on),
                "oriented_by": r.oriented_by, "oriented_by_organisation": r.oriented_by_organisation,
            } for r, place in referrals],
            "funding": [{
                "year": f.year, "accompanied_on": _when(f.accompanied_on), "funded": f.funded,
            } for f in funding],
        }


def export_person(ref: PersonRef, url: str | None = None, tracker_url: str | None = None
                  ) -> dict[str, Any]:
    """Everything stored about the person `ref` names (bot.people.identity.person_ref)."""

    data: dict[str, Any] = {"channel": ref.channel, "identifier": ref.raw_id,
                            "pseudonym": ref.key}
    data.update(_database_part(ref.key, url))
    data["sms_messages"] = [{"direction": "received" if m.direction == "in" else "sent",
                             "date": _when(m.created_at), "text": m.body, "status": m.status}
                            for m in export_for_key(ref.key, url)]
    data["chat_choices"] = [{"chat": c.chat_id, "date": _when(c.updated_at),
                             "choices": [b.get("title") for b in c.buttons if isinstance(b, dict)]}
                            for c in choices_for_key(ref.key, url)]
    data["webinar_registrations"] = export_registrations(ref.key, url)
    conversations = conversation_texts(ref.conversation_ids, tracker_url)
    data["conversations"] = [{
        "conversation_id": conversation,
        "messages": [{"date": _when(e.at), "from": "person" if e.kind == "user" else "assistant",
                      "text": e.text} for e in conversations[conversation]],
    } for conversation in ref.conversation_ids if conversation in conversations]
    return data


def is_empty(export: dict[str, Any]) -> bool:
    """Nothing is stored about the person."""
    return export.get("person") is None and not any(
        export.get(part) for part in ("diagnostics", "bookings", "referrals", "funding",
                                      "sms_messages", "chat_choices", "conversations",
                                      "webinar_registrations"))
