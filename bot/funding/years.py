"""A funding year as a whole: recompute it, validate it, sum it up.

Validation freezes a year's totals (`validate_year`). Later changes to its entries are still
made, and every change of a person's funded state, place or organisation writes a
`funding_adjustments` row (bot.funding.entries), so that validated totals + adjustments ==
current totals. A structure cannot change anything in a validated year; an admin can.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.clock import aware, from_db, now_paris, to_db
from bot.db.models import FundingAdjustment, FundingEntry, FundingYear
from bot.db.retry import retrying
from bot.db.session import session_scope
from bot.funding.actors import Actor
from bot.funding.entries import AdjustmentRecord, recompute_in_session, year_rule
from bot.funding.errors import NotAllowed, UnknownYear, YearValidated
from bot.funding.locks import lock_year
from bot.funding.rules import UnknownFundingYear, rule_for


@dataclass(frozen=True)
class YearSummary:
    year: int
    rate_cents: int | None  # None when data/funding.yml no longer has the year
    cap: int | None
    persons_counted: int
    persons_funded: int
    persons_over_cap: int
    amount_cents: int
    validated_at: datetime | None  # aware, Europe/Paris
    validated_by: str | None
    validated_persons: int | None
    validated_amount_cents: int | None
    adjustments_persons: int  # sums of the adjustments written since the validation
    adjustments_amount_cents: int

    @property
    def validated(self) -> bool:
        return self.validated_at is not None


def _check_admin(actor: Actor, what: str, what_fr: str) -> None:
    if not isinstance(actor, Actor):
        raise TypeError("actor must be a bot.funding.Actor")
    if not actor.is_admin:
        raise NotAllowed(f"{actor.name} ({actor.role}) may not {what}: admins only",
                         f"Seule l'équipe de la Métropole peut {what_fr}.")


def _year(year) -> int:
    if isinstance(year, bool) or not isinstance(year, int):
        raise UnknownYear(f"{year!r} is not a year", "Indiquez une année (par exemple 2026).")
    return year


def recompute_year(year: int, *, actor: Actor, reason: str, now: datetime | None = None,
                   url: str | None = None) -> list[AdjustmentRecord]:
    """Compute the entries of `year` again from the referrals (after the rules file changed, or
    to check the ledger); the adjustments written when the year is validated (none when the
    ledger was right). Admins and the CLI only."""
    _check_admin(actor, "recompute a funding year", "recalculer une année")
    year = _year(year)
    reason = "" if reason is None else str(reason).strip()
    if not reason:
        raise ValueError("a recompute needs a reason")
    year_rule(year)
    if now is not None:
        now = aware(now, "now")

    def attempt() -> list[AdjustmentRecord]:
        with session_scope(url) as session:
            row = lock_year(session, year, to_db(now or now_paris()))
            return recompute_in_session(session, row, by=actor.name,
                                        reason=f"Recalcul de {year} : {reason}",
                                        moment_db=to_db(now or now_paris()))

    return retrying(attempt)


def _summary(session: Session, year: int) -> YearSummary:
    try:
        rule = rule_for(year)
    except UnknownFundingYear:
        rule = None
    counted, funded, amount = session.execute(select(
        func.count(FundingEntry.id),
        func.coalesce(func.sum(case((FundingEntry.funded.is_(True), 1), else_=0)), 0),
        func.coalesce(func.sum(FundingEntry.amount_cents), 0)).where(
        FundingEntry.year == year)).one()
    persons_delta, amount_delta = session.execute(select(
        func.coalesce(func.sum(FundingAdjustment.persons_delta), 0),
        func.coalesce(func.sum(FundingAdjustment.amount_cents_delta), 0)).where(
        FundingAdjustment.year == year)).one()
    row = session.get(FundingYear, year)
    validated = row is not None and row.validated_at is not None
    return YearSummary(
        year=year, rate_cents=rule.rate_cents if rule else None, cap=rule.cap if rule else None,
        persons_counted=int(counted), persons_funded=int(funded),
        persons_over_cap=int(counted) - int(funded), amount_cents=int(amount),
        validated_at=from_db(row.validated_at) if validated else None,
        validated_by=row.validated_by if validated else None,
        validated_persons=row.validated_persons if validated else None,
        validated_amount_cents=row.validated_amount_cents if validated else None,
        adjustments_persons=int(persons_delta), adjustments_amount_cents=int(amount_delta))


def year_summary(year: int, *, url: str | None = None) -> YearSummary:
    """The current totals of a year, its validation and the adjustments since."""
    with session_scope(url) as session:
        return _summary(session, _year(year))


def validate_year(year: int, *, actor: Actor, now: datetime | None = None,
                  url: str | None = None) -> YearSummary:
    """Freeze the year's totals (persons funded, amount) as validated by `actor` (admins and the
    CLI). Later changes to the year are recorded as adjustments. Raises NotAllowed, UnknownYear,
    YearValidated (a year is validated once)."""
    _check_admin(actor, "validate a funding year", "valider le bilan d'une année")
    year = _year(year)
    year_rule(year)
    if now is not None:
        now = aware(now, "now")

    def attempt() -> YearSummary:
        with session_scope(url) as session:
            row = lock_year(session, year, to_db(now or now_paris()))
            if row.validated_at is not None:
                raise YearValidated(
                    f"the funding of {year} was already validated on "
                    f"{from_db(row.validated_at):%Y-%m-%d %H:%M} by {row.validated_by}",
                    f"Le bilan {year} a déjà été validé le "
                    f"{from_db(row.validated_at):%d/%m/%Y} par {row.validated_by}.")
            current = _summary(session, year)
            moment_db = to_db(now or now_paris())
            row.validated_at, row.validated_by = moment_db, actor.name[:160]
            row.validated_persons = current.persons_funded
            row.validated_amount_cents = current.amount_cents
            row.updated_at = moment_db
            session.flush()
            return _summary(session, year)

    return retrying(attempt)
