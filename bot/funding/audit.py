"""The audit log of referrals: every status change (who, when, from, to), newest first.

The rows are written by bot.referrals.core.record_event (creation, cancellation) and by the
ledger (accompanied, absent, corrections); the database refuses to UPDATE or DELETE them
(triggers of migration 0005, SQLite and PostgreSQL).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from bot.clock import from_db
from bot.db.models import Referral, ReferralEvent
from bot.db.session import session_scope
from bot.referrals.core import REFERRAL_STATUS_LABELS, ReferralStatus

MAX_LIMIT = 5000


def _label(status: str | None) -> str:
    if status is None:
        return ""
    try:
        return REFERRAL_STATUS_LABELS[ReferralStatus(status)]
    except ValueError:
        return status


@dataclass(frozen=True)
class AuditEvent:
    id: int
    referral_id: int
    place_pk: int
    at: datetime  # aware, Europe/Paris
    actor: str  # "assistant", an account's email, "cli:<user>", "person"
    actor_role: str  # person | assistant | structure | admin | cli
    from_status: str | None  # None: the referral was created
    to_status: str
    accompanied_on: date | None
    note: str | None

    @property
    def from_label(self) -> str:
        return _label(self.from_status)

    @property
    def to_label(self) -> str:
        return _label(self.to_status)


def audit_events(*, referral_id: int | None = None, place_pk: int | None = None,
                 limit: int = 200, url: str | None = None) -> list[AuditEvent]:
    """The latest status changes (of one referral, or of one place's referrals), newest first."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    query = select(ReferralEvent, Referral.place_pk).join(Referral,
                                                          Referral.id == ReferralEvent.referral_id)
    if referral_id is not None:
        query = query.where(ReferralEvent.referral_id == referral_id)
    if place_pk is not None:
        query = query.where(Referral.place_pk == place_pk)
    query = query.order_by(ReferralEvent.at.desc(), ReferralEvent.id.desc()).limit(limit)
    with session_scope(url) as session:
        return [AuditEvent(id=event.id, referral_id=event.referral_id, place_pk=place,
                           at=from_db(event.at), actor=event.actor, actor_role=event.actor_role,
                           from_status=event.from_status, to_status=event.to_status,
                           accompanied_on=event.accompanied_on, note=event.note)
                for event, place in session.execute(query).all()]
