"""The funding ledger's tests share: a small rules file, the actors (admin, a structure's staff),
dates in Paris, and referrals made by the real `create_referral`."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import to_db
from bot.db.models import FundingEntry
from bot.db.session import session_scope
from bot.funding import Actor
from bot.referrals.core import create_referral
from tests.support.booking import DIAGNOSIS

PARIS = ZoneInfo("Europe/Paris")
ADMIN = Actor(name="admin@metropolegrandparis.fr", role="admin")
SMALL_RULES = """\
years:
  2026:
    rate_eur: 50
    cap_persons: 2
  2027:
    rate_eur: 60
    cap_persons: 3
"""


def write_rules(directory, body: str, name: str = "funding.yml") -> str:
    path = directory / name
    path.write_text(body, encoding="utf-8")
    return str(path)


def staff(place: int) -> Actor:
    return Actor(name=f"agent-{place}@structure.fr", role="structure", place_pk=place)


def paris(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def new_referral(person: str, place: int, created: datetime = paris(2026, 1, 5, 10),
                 organisation: str | None = None, url: str | None = None) -> int:
    """A referral made by the real `create_referral`, its appointment the next day."""
    with session_scope(url) as session:
        row = create_referral(session, person_key=person, diagnosis=DIAGNOSIS, place_pk=place,
                              booking_id=None, slot_start=to_db(created + timedelta(days=1)),
                              channel="twilio_sms", oriented_by="assistant" if organisation is None
                              else "prescripteur", oriented_by_organisation=organisation,
                              now=to_db(created))
        session.flush()
        return row.id


def entries(year: int, url: str | None = None) -> list[tuple]:
    """(rank, person, referral id, funded, amount) of a year, by rank."""
    with session_scope(url) as session:
        rows = session.execute(select(FundingEntry).where(FundingEntry.year == year)
                               .order_by(FundingEntry.rank)).scalars().all()
        return [(e.rank, e.person_key, e.referral_id, e.funded, e.amount_cents) for e in rows]
