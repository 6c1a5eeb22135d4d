"""What the Métropole steers prescripteurs by: per organisation and month, the referrals its
prescripteurs made, how many the person confirmed themselves (their own "OUI"), and what came of
them (accompanied, absent, cancelled). Counts only, no personal data.

The share confirmed is confirmed / referrals; the honour rate is accompanied / referrals (the
referrals still to come count in the denominator: a month's rate grows as the structures record
what happened)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from bot.clock import from_db
from bot.db.models import Organisation, Referral
from bot.db.session import session_scope


@dataclass(frozen=True)
class Activity:
    referrals: int = 0
    confirmed: int = 0
    accompanied: int = 0
    absent: int = 0
    cancelled: int = 0

    def __add__(self, other: "Activity") -> "Activity":
        return Activity(*(a + b for a, b in zip(self._values(), other._values())))

    def _values(self) -> tuple[int, ...]:
        return (self.referrals, self.confirmed, self.accompanied, self.absent, self.cancelled)

    @property
    def confirmed_share(self) -> float | None:
        return self.confirmed / self.referrals if self.referrals else None

    @property
    def honour_rate(self) -> float | None:
        return self.accompanied / self.referrals if self.referrals else None


@dataclass(frozen=True)
class OrganisationActivity:
    organisation_id: int
    name: str
    months: dict[str, Activity]  # "2026-12" -> its figures, months with referrals only

    @property
    def total(self) -> Activity:
        return sum(self.months.values(), Activity())


def _one(status: str, confirmed: bool) -> Activity:
    return Activity(referrals=1, confirmed=int(confirmed),
                    accompanied=int(status == "accompanied"), absent=int(status == "absent"),
                    cancelled=int(status == "cancelled"))


def organisation_activity(year: int, url: str | None = None) -> list[OrganisationActivity]:
    """Every organisation (those without referrals too), by name, with its months of `year`
    (Europe/Paris months of the referral's creation)."""
    with session_scope(url) as session:
        organisations = session.execute(select(Organisation.id, Organisation.name)
                                        .order_by(Organisation.name)).all()
        rows = session.execute(select(Referral.organisation_id, Referral.created_at,
                                      Referral.status, Referral.person_confirmed_at)
                               .where(Referral.organisation_id.isnot(None))).all()
    months: dict[int, dict[str, Activity]] = defaultdict(lambda: defaultdict(Activity))
    for organisation_id, created_at, status, confirmed_at in rows:
        created = from_db(created_at)
        if created.year == year:
            month = f"{created:%Y-%m}"
            months[organisation_id][month] += _one(status, confirmed_at is not None)
    return [OrganisationActivity(organisation_id, name, dict(sorted(months[organisation_id].items())))
            for organisation_id, name in organisations]
