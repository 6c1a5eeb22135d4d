"""The funnel's figures for a year, by month, for one channel, commune or organisation (or all).

- started: conversations started (bot/funnel/starts.py), by the month they started;
- diagnosed: diagnostics completed, by the month of the result;
- booked, confirmed, accompanied, absent: referrals, by the month they were booked; confirmed is
  the person's own "OUI", accompanied and absent what the structure recorded.

A referral made at a prescripteur's counter counts on the channel the prescripteur used. The
commune is the place's: conversations and diagnostics have none yet, so with a commune chosen
they are not counted (None).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from bot.clock import PARIS, from_db, to_db
from bot.db.models import (ConversationStart, Organisation, Place, PrescripteurSession, Referral,
                           StoredDiagnostic)
from bot.db.session import session_scope

STEPS = ("started", "diagnosed", "booked", "confirmed", "accompanied", "absent")
STEP_LABELS = {"started": "Conversations commencées", "diagnosed": "Diagnostics terminés",
               "booked": "Rendez-vous pris", "confirmed": "Confirmés par la personne",
               "accompanied": "Accompagnés", "absent": "Absents"}
# Each step's share is of this step (a citizen's booking has no confirmation step: accompanied
# and absent are shares of the bookings).
SHARE_OF = {"diagnosed": "started", "booked": "diagnosed", "confirmed": "booked",
            "accompanied": "booked", "absent": "booked"}
CHANNEL_LABELS = {"twilio_sms": "SMS", "telegram": "Telegram", "socketio": "Web chat",
                  "rest": "API"}


@dataclass
class Funnel:
    year: int
    months: dict[str, dict[str, int | None]] = field(default_factory=dict)  # "2026-12" -> step -> n

    def total(self, step: str) -> int | None:
        values = [m[step] for m in self.months.values()]
        return None if any(v is None for v in values) else sum(values)

    @property
    def totals(self) -> dict[str, int | None]:
        return {step: self.total(step) for step in STEPS}


@dataclass(frozen=True)
class Choices:
    """What the filters offer besides the channels (CHANNEL_LABELS): the communes of the places
    booked in the year, and every organisation."""

    communes: list[tuple[str, str]]
    organisations: list[tuple[int, str]]


def _bounds(year: int):
    return (to_db(datetime(year, 1, 1, tzinfo=PARIS)), to_db(datetime(year + 1, 1, 1, tzinfo=PARIS)))


def _month(moment) -> str:
    return from_db(moment).strftime("%Y-%m")


def funnel(year: int, channel: str | None = None, commune: str | None = None,
           organisation_id: int | None = None, url: str | None = None) -> Funnel:
    start, end = _bounds(year)
    months = {f"{year}-{m:02d}": {step: 0 for step in STEPS} for m in range(1, 13)}
    if commune:
        for figures in months.values():
            figures["started"] = figures["diagnosed"] = None
    referral_channel = func.coalesce(PrescripteurSession.channel, Referral.channel)
    with session_scope(url) as session:
        if not commune:
            query = (select(ConversationStart.month, func.count(ConversationStart.id))
                     .where(ConversationStart.month.like(f"{year}-%"))
                     .group_by(ConversationStart.month))
            if channel:
                query = query.where(ConversationStart.channel == channel)
            if organisation_id is not None:
                query = query.where(ConversationStart.organisation_id == organisation_id)
            for month, count in session.execute(query).all():
                if month in months:
                    months[month]["started"] = count
            query = (select(StoredDiagnostic.created_at)
                     .where(StoredDiagnostic.created_at >= start, StoredDiagnostic.created_at < end))
            if channel:
                query = query.where(StoredDiagnostic.channel == channel)
            if organisation_id is not None:
                query = query.where(StoredDiagnostic.organisation_id == organisation_id)
            for (created_at,) in session.execute(query).all():
                months[_month(created_at)]["diagnosed"] += 1
        query = (select(Referral.created_at, Referral.status, Referral.person_confirmed_at)
                 .join(Place, Place.pk == Referral.place_pk)
                 .outerjoin(PrescripteurSession,
                            PrescripteurSession.id == Referral.prescripteur_session_id)
                 .where(Referral.created_at >= start, Referral.created_at < end))
        if channel:
            query = query.where(referral_channel == channel)
        if commune:
            query = query.where(Place.code_insee == commune)
        if organisation_id is not None:
            query = query.where(Referral.organisation_id == organisation_id)
        for created_at, status, confirmed_at in session.execute(query).all():
            figures = months[_month(created_at)]
            figures["booked"] += 1
            figures["confirmed"] += int(confirmed_at is not None)
            figures["accompanied"] += int(status == "accompanied")
            figures["absent"] += int(status == "absent")
    return Funnel(year=year, months=months)


def choices(year: int, url: str | None = None) -> Choices:
    start, end = _bounds(year)
    with session_scope(url) as session:
        communes = session.execute(
            select(Place.code_insee, Place.commune).join(Referral, Referral.place_pk == Place.pk)
            .where(Referral.created_at >= start, Referral.created_at < end,
                   Place.code_insee.is_not(None)).distinct()).all()
        organisations = session.execute(
            select(Organisation.id, Organisation.name).order_by(Organisation.name)).all()
    return Choices(
        communes=sorted({(code, name) for code, name in communes}, key=lambda c: c[1]),
        organisations=[(i, n) for i, n in organisations])
