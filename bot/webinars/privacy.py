"""A registrant's data under the privacy rules (PRODUCT.md): SUPPRIMER cancels their webinar
registrations made by chat (a seat they held goes to the waiting list) and blanks their name,
email and conversation, keeping only the commune and role the organisers count; the export
lists them; the retention purge does the same to registrations of sessions long past."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from bot.clock import now_paris, to_db
from bot.db.models import WebinarNotice, WebinarRegistration, WebinarSession
from bot.db.session import session_scope
from bot.webinars.registrations import cancel_by_id
from bot.webinars.seats import ACTIVE


def _blank(session, registration: WebinarRegistration) -> None:
    session.execute(delete(WebinarNotice).where(
        WebinarNotice.registration_id == registration.id))
    registration.name = "(effacé)"
    registration.email = registration.email_key = f"erased-{registration.id}@invalid"
    registration.sender_id = registration.token = registration.person_key = None


def forget_registrations(key: str, url: str | None = None) -> int:
    """SUPPRIMER: the person's registrations are cancelled and blanked; how many."""
    with session_scope(url) as session:
        mine = list(session.execute(select(WebinarRegistration.id, WebinarRegistration.status)
                                    .where(WebinarRegistration.person_key == key)))
    for registration_id, status in mine:
        if status in ACTIVE:
            cancel_by_id(registration_id, url=url)  # the seat goes to the first waiting
    with session_scope(url) as session:
        for registration_id, _ in mine:
            _blank(session, session.get(WebinarRegistration, registration_id))
    return len(mine)


def export_registrations(key: str, url: str | None = None) -> list[dict]:
    with session_scope(url) as session:
        return [{"webinar": title, "start": start.isoformat(), "name": r.name, "email": r.email,
                 "commune_insee": r.commune_insee, "role": r.role, "status": r.status}
                for r, title, start in session.execute(
                    select(WebinarRegistration, WebinarSession.title, WebinarSession.start_at)
                    .join(WebinarSession, WebinarSession.id == WebinarRegistration.session_id)
                    .where(WebinarRegistration.person_key == key)
                    .order_by(WebinarRegistration.id))]


def purge_past_registrations(cutoff: datetime, dry_run: bool = False,
                             url: str | None = None) -> int:
    """Registrations of sessions that began before `cutoff` are blanked (the counts stay)."""
    cutoff_db = to_db(cutoff or now_paris())
    with session_scope(url) as session:
        rows = list(session.execute(
            select(WebinarRegistration)
            .join(WebinarSession, WebinarSession.id == WebinarRegistration.session_id)
            .where(WebinarSession.start_at < cutoff_db,
                   WebinarRegistration.email_key.not_like("erased-%@invalid"))).scalars())
        if not dry_run:
            for registration in rows:
                _blank(session, registration)
        return len(rows)
