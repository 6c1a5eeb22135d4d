"""The webinar messages the scheduler sends on its own: the invitation by email, reminders the
day before and the hour before, the offer of a freed seat, a change of time or link. Each is a
row of `webinar_notices` first (added in the transaction of its cause), then claimed and sent by
`npt webinars send` (bot/webinars/sender.py), by chat in the conversation the person registered
from and by email. Claiming is the outbox's (bot/notifications/outbox.py): an UPDATE checked by
its row count, so two schedulers never send the same row.

A notice is checked again when it is claimed: a reminder of a registration cancelled since, an
offer taken or expired, a session already begun, are never sent; nor any reminder, offer or
change to a person who sent STOP on the channel they registered from.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bot.clock import aware, from_db, now_paris, say_slot, to_db
from bot.db.models import Person, WebinarNotice, WebinarRegistration, WebinarSession
from bot.db.session import session_scope
from bot.notifications.rules import notification_rules
from bot.pseudonyms import conversation_identity, person_key
from bot.webinars.links import cancel_url, invitation_url
from bot.webinars.rules import webinar_rules

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
UNCERTAIN, CANCELLED, SKIPPED_OPT_OUT = "uncertain", "cancelled", "skipped_opt_out"
# The registration's status each kind is still true for.
VALID_WHILE = {"reminder_day": {"registered"}, "reminder_hour": {"registered"},
               "confirmed": {"registered"}, "waiting": {"waiting"}, "offer": {"offered"},
               "changed": {"registered", "waiting", "offered"}}
# Answers to the person's own request: sent even after a STOP on a chat channel.
REQUESTED = {"confirmed", "waiting"}
WITH_INVITATION = {"confirmed", "changed"}


def add(session: Session, registration: WebinarRegistration, kind: str, due: datetime,
        email: bool) -> int:
    """Queue `kind` for a registration: by chat when the person registered in a conversation
    and the kind has a chat text, by email when `email` (SMTP is configured). Returns the
    number of rows added."""
    texts = webinar_rules().notices[kind]
    media = ["chat"] if registration.sender_id and "chat" in texts else []
    media += ["email"] if email else []
    for medium in media:
        session.add(WebinarNotice(registration_id=registration.id, kind=kind, medium=medium,
                                  due_at=to_db(due), status=PENDING, attempts=0,
                                  created_at=to_db(now_paris())))
    return len(media)


def add_reminders(session: Session, registration: WebinarRegistration, start: datetime,
                  now: datetime, email: bool) -> None:
    """The reminders of a seat: the day before and the hour before, unless that moment has
    already passed."""
    rules = webinar_rules()
    for kind, minutes in (("reminder_day", rules.reminder_day_minutes),
                          ("reminder_hour", rules.reminder_hour_minutes)):
        due = start - timedelta(minutes=minutes)
        if due > now:
            add(session, registration, kind, due, email)


def cancel_pending(session: Session, registration_id: int, kinds: set[str] | None = None) -> int:
    """Cancel the notices of a registration not yet handed to a sender."""
    query = update(WebinarNotice).where(WebinarNotice.registration_id == registration_id,
                                        WebinarNotice.status == PENDING)
    if kinds:
        query = query.where(WebinarNotice.kind.in_(kinds))
    return session.execute(query.values(status=CANCELLED)
                           .execution_options(synchronize_session=False)).rowcount or 0


@dataclass(frozen=True)
class NoticeJob:
    id: int
    kind: str
    medium: str
    registration_id: int
    name: str
    email: str
    channel: str
    sender_id: str | None
    token: str
    title: str
    start: datetime  # aware, Europe/Paris
    minutes: int
    link: str
    sequence: int
    description: str | None
    offer_expires_at: datetime | None

    def values(self) -> dict:
        deadline = self.offer_expires_at
        return dict(title=self.title, when=f"le {say_slot(self.start)}", link=self.link,
                    ics=invitation_url(self.token), cancel=cancel_url(self.token),
                    name=self.name, deadline=say_slot(deadline) if deadline else "")

    def text(self, part: str) -> str:
        """The chat text, the email's subject or its body."""
        return webinar_rules().notices[self.kind][part].format(**self.values())


def _settle(session: Session, notice_id: int, observed: str, status: str) -> None:
    session.execute(update(WebinarNotice).where(WebinarNotice.id == notice_id,
                                                WebinarNotice.status == observed)
                    .values(status=status).execution_options(synchronize_session=False))


def _job(notice: WebinarNotice, registration: WebinarRegistration,
         webinar: WebinarSession) -> NoticeJob:
    return NoticeJob(
        id=notice.id, kind=notice.kind, medium=notice.medium, registration_id=registration.id,
        name=registration.name, email=registration.email, channel=registration.channel,
        sender_id=registration.sender_id, token=registration.token or "", title=webinar.title,
        start=from_db(webinar.start_at), minutes=webinar.minutes, link=webinar.link,
        sequence=webinar.sequence or 0, description=webinar.description,
        offer_expires_at=(from_db(registration.offer_expires_at)
                          if registration.offer_expires_at else None))


def claim_due(now: datetime | None = None, limit: int = 50,
              url: str | None = None) -> list[NoticeJob]:
    """Claim up to `limit` notices due at `now`; those no longer true become `cancelled`,
    those of a person who said STOP `skipped_opt_out`."""
    rules = notification_rules()
    now = aware(now, "now") if now is not None else now_paris()
    now_db = to_db(now)
    stale = now_db - timedelta(minutes=rules.reminder_claim_timeout_minutes)
    jobs: list[NoticeJob] = []
    with session_scope(url) as session:
        rows = session.execute(
            select(WebinarNotice, WebinarRegistration, WebinarSession)
            .join(WebinarRegistration, WebinarRegistration.id == WebinarNotice.registration_id)
            .join(WebinarSession, WebinarSession.id == WebinarRegistration.session_id)
            .where(or_(and_(WebinarNotice.status == PENDING, WebinarNotice.due_at <= now_db),
                       and_(WebinarNotice.status == SENDING, WebinarNotice.claimed_at < stale)))
            .order_by(WebinarNotice.due_at, WebinarNotice.id).limit(limit)).all()
        for notice, registration, webinar in rows:
            status = notice.status
            still_true = registration.status in VALID_WHILE.get(notice.kind, ())
            if notice.kind == "offer":
                still_true = still_true and registration.offer_expires_at is not None and (
                    registration.offer_expires_at > now_db)
            if not still_true or webinar.start_at <= now_db or (
                    notice.medium == "chat" and not registration.sender_id):
                _settle(session, notice.id, status, CANCELLED)
                continue
            if notice.kind not in REQUESTED and registration.sender_id and _opted_out(
                    session, registration):
                _settle(session, notice.id, status, SKIPPED_OPT_OUT)
                continue
            if status == SENDING and notice.attempts >= rules.reminder_max_attempts:
                _settle(session, notice.id, status, FAILED)
                continue
            condition = [WebinarNotice.id == notice.id, WebinarNotice.status == status]
            if status == SENDING:
                condition.append(WebinarNotice.claimed_at == notice.claimed_at)
            claimed = session.execute(
                update(WebinarNotice).where(*condition)
                .values(status=SENDING, claimed_at=now_db, attempts=notice.attempts + 1)
                .execution_options(synchronize_session=False)).rowcount
            if claimed == 1:
                jobs.append(_job(notice, registration, webinar))
    return jobs


def _opted_out(session: Session, registration: WebinarRegistration) -> bool:
    """The person of the conversation they registered from sent STOP (and not START since)."""
    key = registration.person_key or person_key(conversation_identity(registration.sender_id))
    return session.execute(select(Person.opted_out_at).where(Person.person_key == key)
                           ).scalar_one_or_none() is not None


def mark_sent(notice_id: int, now: datetime | None = None, url: str | None = None) -> bool:
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    with session_scope(url) as session:
        return (session.execute(update(WebinarNotice).where(
            WebinarNotice.id == notice_id, WebinarNotice.status == SENDING)
            .values(status=SENT, sent_at=now_db, last_error=None)
            .execution_options(synchronize_session=False)).rowcount or 0) == 1


def mark_failed(notice_id: int, error: str, now: datetime | None = None,
                url: str | None = None, uncertain: bool = False) -> None:
    """A failed send: tried again after `reminder_retry_minutes` until the last attempt, then
    `failed`; `uncertain` (may have gone out) is never retried."""
    rules = notification_rules()
    now = aware(now, "now") if now is not None else now_paris()
    with session_scope(url) as session:
        notice = session.get(WebinarNotice, notice_id)
        if notice is None or notice.status != SENDING:
            return
        notice.last_error = error[:1000]
        if uncertain:
            notice.status = UNCERTAIN
        elif notice.attempts >= rules.reminder_max_attempts:
            notice.status = FAILED
        else:
            notice.status = PENDING
            notice.due_at = to_db(now + timedelta(minutes=rules.reminder_retry_minutes))


def notice_for_conversation(notice_id: int, sender_id: str,
                            url: str | None = None) -> NoticeJob | None:
    """The chat notice being sent now to this very conversation, or None (another person's, a
    forged id, or one not being sent)."""
    with session_scope(url) as session:
        found = session.execute(
            select(WebinarNotice, WebinarRegistration, WebinarSession)
            .join(WebinarRegistration, WebinarRegistration.id == WebinarNotice.registration_id)
            .join(WebinarSession, WebinarSession.id == WebinarRegistration.session_id)
            .where(WebinarNotice.id == notice_id, WebinarNotice.medium == "chat",
                   WebinarNotice.status == SENDING,
                   WebinarRegistration.sender_id == sender_id)).first()
        return _job(*found) if found else None


def notices_of_registration(registration_id: int, url: str | None = None) -> list[tuple]:
    """(kind, medium, status, due_at) of every notice of a registration, oldest first."""
    with session_scope(url) as session:
        return [(n.kind, n.medium, n.status, from_db(n.due_at)) for n in session.execute(
            select(WebinarNotice).where(WebinarNotice.registration_id == registration_id)
            .order_by(WebinarNotice.due_at, WebinarNotice.id)).scalars()]


def pending_due(now: datetime | None = None, url: str | None = None) -> list[tuple]:
    """(kind, medium, due_at) of the pending notices due at `now`."""
    now_db = to_db(aware(now, "now") if now is not None else now_paris())
    with session_scope(url) as session:
        return [(kind, medium, from_db(due)) for kind, medium, due in session.execute(
            select(WebinarNotice.kind, WebinarNotice.medium, WebinarNotice.due_at)
            .where(WebinarNotice.status == PENDING, WebinarNotice.due_at <= now_db)
            .order_by(WebinarNotice.due_at, WebinarNotice.id))]
