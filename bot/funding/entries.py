"""The year's entries of the funding ledger (`funding_entries`): who counts, their rank, funded
or not, and the adjustments of a validated year.

Funding (PRODUCT.md, "Referral and funding rules"): a person (their canonical key, after merges)
counts once per calendar year of the accompaniment, by their first accompaniment of that year,
i.e. the earliest *recorded* one (`referrals.recorded_at`, set when it is marked accompanied; a
correction of the day keeps it). The persons of a year are ranked by that time, then by referral
id; rank <= the year's cap (data/funding.yml) is funded at the year's rate, beyond it the person
is recorded "hors plafond" (funded False, amount 0). `funding_entries` holds the result.

A first confirmation is counted incrementally (the person already counted that year: nothing
changes; else rank = last rank + 1). A correction, a merge or `recompute_year` recomputes the
whole year from the referrals; both give the same entries (the incremental path falls back to a
recompute whenever the new referral would not rank last).

In a validated year (bot.funding.years) every change of a person's funded state, place or
organisation writes a `funding_adjustments` row, so that validated totals + adjustments ==
current totals. The caller holds the year's lock (bot.funding.locks).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import from_db
from bot.db.models import FundingAdjustment, FundingEntry, FundingYear, Referral
from bot.funding.errors import UnknownYear
from bot.funding.persons import canonical_key, merge_map, resolve
from bot.funding.rules import UnknownFundingYear, YearRule, rule_for
from bot.funding.statuses import ACCOMPANIED

REASON_LIMIT = 2000


@dataclass(frozen=True)
class AdjustmentRecord:
    year: int
    person_key: str
    place_pk: int
    organisation: str | None
    persons_delta: int
    amount_cents_delta: int
    reason: str
    created_at: datetime  # aware, Europe/Paris
    created_by: str


def year_rule(year: int) -> YearRule:
    """The rule of `year` (data/funding.yml); UnknownYear when the file has none."""
    try:
        return rule_for(year)
    except UnknownFundingYear as error:
        raise UnknownYear(str(error), f"Aucune règle de financement n'est écrite pour {year}.") from None


_STATE_FIELDS = ("referral_id", "place_pk", "organisation", "accompanied_on", "recorded_at",
                 "rank", "funded", "amount_cents")


def _entry_values(entry: FundingEntry) -> tuple:
    return tuple(getattr(entry, name) for name in _STATE_FIELDS)


def _money_state(values: dict | FundingEntry) -> tuple:
    """What a validated figure depends on: (funded, amount, place, organisation)."""
    get = values.get if isinstance(values, dict) else (lambda name: getattr(values, name))
    return bool(get("funded")), int(get("amount_cents")), get("place_pk"), get("organisation")


def _wanted(session: Session, year: int, rule: YearRule) -> dict[str, dict]:
    """The entries of `year` computed from the referrals: per canonical person their earliest
    recorded accompanied referral of the year, ranked by (recorded_at, referral id)."""
    merges = merge_map(session)
    rows = session.execute(select(
        Referral.id, Referral.person_key, Referral.place_pk, Referral.oriented_by_organisation,
        Referral.accompanied_on, Referral.recorded_at, Referral.updated_at).where(
        Referral.status == ACCOMPANIED, Referral.accompanied_on >= date(year, 1, 1),
        Referral.accompanied_on <= date(year, 12, 31))).all()
    first: dict[str, tuple] = {}
    for row in rows:
        key = resolve(merges, row.person_key)
        order = (row.recorded_at or row.updated_at, row.id)
        if key not in first or order < first[key][0]:
            first[key] = (order, row)
    wanted: dict[str, dict] = {}
    for rank, (key, (order, row)) in enumerate(sorted(first.items(), key=lambda item: item[1][0]),
                                               start=1):
        funded = rank <= rule.cap
        wanted[key] = dict(referral_id=row.id, place_pk=row.place_pk,
                           organisation=row.oriented_by_organisation,
                           accompanied_on=row.accompanied_on, recorded_at=order[0], rank=rank,
                           funded=funded, amount_cents=rule.rate_cents if funded else 0)
    return wanted


def _adjust(session: Session, year_row: FundingYear, before: dict[str, tuple],
            after: dict[str, tuple], *, by: str, reason: str,
            moment_db: datetime) -> list[AdjustmentRecord]:
    """Adjustments of a validated year for every person whose funded state, amount, place or
    organisation changed: -1 where they were funded, +1 where they are now."""
    if year_row.validated_at is None:
        return []
    made: list[AdjustmentRecord] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        old = old if old is not None and old[0] else None
        new = new if new is not None and new[0] else None
        if old == new:
            continue
        for sign, state in ((-1, old), (1, new)):
            if state is None:
                continue
            _, amount, place_pk, organisation = state
            row = FundingAdjustment(year=year_row.year, person_key=key, place_pk=place_pk,
                                    organisation=organisation, persons_delta=sign,
                                    amount_cents_delta=sign * amount, reason=reason[:REASON_LIMIT],
                                    created_at=moment_db, created_by=by[:160])
            session.add(row)
            made.append(AdjustmentRecord(year=year_row.year, person_key=key, place_pk=place_pk,
                                         organisation=organisation, persons_delta=sign,
                                         amount_cents_delta=sign * amount,
                                         reason=reason[:REASON_LIMIT],
                                         created_at=from_db(moment_db), created_by=by[:160]))
    session.flush()
    return made


def recompute_in_session(session: Session, year_row: FundingYear, *, by: str, reason: str,
                         moment_db: datetime) -> list[AdjustmentRecord]:
    """Make the entries of the (locked) year those computed from the referrals; the adjustments
    written if the year is validated."""
    rule = year_rule(year_row.year)
    wanted = _wanted(session, year_row.year, rule)
    existing = {entry.person_key: entry for entry in session.execute(
        select(FundingEntry).where(FundingEntry.year == year_row.year)).scalars().all()}
    before = {key: _money_state(entry) for key, entry in existing.items()}
    stale = [entry for key, entry in existing.items()
             if key not in wanted or _entry_values(entry) != tuple(wanted[key][name]
                                                                   for name in _STATE_FIELDS)]
    for entry in stale:
        session.delete(entry)
    if stale:
        session.flush()  # the old ranks are free before the new rows take them
    kept = set(existing) - {entry.person_key for entry in stale}
    for key, values in wanted.items():
        if key not in kept:
            session.add(FundingEntry(year=year_row.year, person_key=key, **values))
    if stale or len(kept) != len(wanted):
        year_row.updated_at = moment_db
    session.flush()
    after = {key: _money_state(values) for key, values in wanted.items()}
    return _adjust(session, year_row, before, after, by=by, reason=reason, moment_db=moment_db)


def count_accompanied(session: Session, year_row: FundingYear, referral: Referral, *, by: str, reason: str,
           moment_db: datetime) -> list[AdjustmentRecord]:
    """A referral just marked accompanied: counted incrementally when it ranks last (the usual
    case), else the year is recomputed."""
    rule = year_rule(year_row.year)
    key = canonical_key(session, referral.person_key)
    order = (referral.recorded_at, referral.id)
    mine = session.execute(select(FundingEntry).where(
        FundingEntry.year == year_row.year, FundingEntry.person_key == key)).scalars().first()
    if mine is not None and (mine.recorded_at, mine.referral_id) < order:
        return []  # already counted this year by an earlier accompaniment
    if mine is None:
        last = session.execute(select(FundingEntry).where(FundingEntry.year == year_row.year)
                               .order_by(FundingEntry.rank.desc()).limit(1)).scalars().first()
        if last is None or (last.recorded_at, last.referral_id) < order:
            rank = last.rank + 1 if last is not None else 1
            funded = rank <= rule.cap
            values = dict(referral_id=referral.id, place_pk=referral.place_pk,
                          organisation=referral.oriented_by_organisation,
                          accompanied_on=referral.accompanied_on,
                          recorded_at=referral.recorded_at, rank=rank, funded=funded,
                          amount_cents=rule.rate_cents if funded else 0)
            session.add(FundingEntry(year=year_row.year, person_key=key, **values))
            year_row.updated_at = moment_db
            session.flush()
            return _adjust(session, year_row, {}, {key: _money_state(values)}, by=by,
                           reason=reason, moment_db=moment_db)
    return recompute_in_session(session, year_row, by=by, reason=reason, moment_db=moment_db)
