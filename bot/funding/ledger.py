"""The funding ledger: structures say who was accompanied; each person counts once a year.

A referral goes booked -> accompanied | absent | cancelled. Only the staff of the referral's
own structure, a Métropole admin or an operator (CLI) marks it accompanied (with the day it
happened) or absent, and may correct accompanied <-> absent or the day; a cancelled referral is
final. Every change is one row of the append-only audit log (referral_events).

Funding (PRODUCT.md, "Referral and funding rules"): a person (their canonical key, after merges)
counts once per calendar year of the accompaniment, by their first accompaniment of that year,
i.e. the earliest *recorded* one (`referrals.recorded_at`, set when it is marked accompanied; a
correction of the day keeps it). The persons of a year are ranked by that time, then by referral
id; rank <= the year's cap (data/funding.yml) is funded at the year's rate, beyond it the person
is recorded "hors plafond" (funded False, amount 0). `funding_entries` holds the result.

Concurrency: every change to a year's entries holds the lock of its `funding_years` row
(inserted if missing by an insert-ignore, then SELECT ... FOR UPDATE on PostgreSQL; on SQLite
the write transaction, begun by the first statement, serialises). A confirmation locks the
referral row first, then its year(s) in ascending order; a merge locks every year in ascending
order; so two confirmations never both take the last funded place, and a confirmation never
counts a key that a merge is folding into another. Transient errors (deadlock, serialization,
busy SQLite) are retried as bookings do.

A first confirmation is counted incrementally (the person already counted that year: nothing
changes; else rank = last rank + 1). A correction, a merge or `recompute_year` recomputes the
whole year from the referrals; both give the same entries (the incremental path falls back to a
recompute whenever the new referral would not rank last).

Validation freezes a year's totals (`validate_year`). Later changes to its entries are still
made, and every change of a person's funded state, place or organisation writes a
`funding_adjustments` row, so that validated totals + adjustments == current totals. A structure
cannot change anything in a validated year; an admin can.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from bot.clock import aware, from_db, local, now_paris, to_db
from bot.db.models import Booking as BookingRow
from bot.db.models import FundingAdjustment, FundingEntry, FundingYear, Referral
from bot.db.retry import retrying
from bot.db.session import session_scope, upsert_insert
from bot.funding.errors import (InvalidAccompanimentDate, InvalidTransition, NotAllowed,
                                ReferralNotFound, UnknownYear, YearValidated)
from bot.funding.persons import canonical_key, merge_map, resolve
from bot.funding.rules import UnknownFundingYear, YearRule, rule_for
from bot.referrals.core import REFERRAL_STATUS_LABELS, ReferralStatus, record_event

BOOKED = ReferralStatus.BOOKED.value
ACCOMPANIED = ReferralStatus.ACCOMPANIED.value
ABSENT = ReferralStatus.ABSENT.value
CANCELLED = ReferralStatus.CANCELLED.value
ROLES = ("structure", "admin", "cli", "assistant", "person")
MARKING_ROLES = frozenset({"structure", "admin", "cli"})
ADMIN_ROLES = frozenset({"admin", "cli"})
NOTE_LIMIT = 1000
REASON_LIMIT = 2000


@dataclass(frozen=True)
class Actor:
    """Who acts: `name` (an account's email, "cli:<user>", "assistant"), `role` and, for a
    structure's staff, the place they belong to."""

    name: str
    role: str  # "structure" | "admin" | "cli" | "assistant" | "person"
    place_pk: int | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("an actor needs a name")
        if self.role not in ROLES:
            raise ValueError(f"actor role must be one of {', '.join(ROLES)}, not {self.role!r}")
        if self.role == "structure" and self.place_pk is None:
            raise ValueError("a structure's staff actor needs its place_pk")

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES


@dataclass(frozen=True)
class MarkResult:
    referral_id: int
    status: str  # "accompanied" | "absent"
    accompanied_on: date | None
    year: int | None  # the funding year of the accompaniment; None when absent
    funded: bool | None  # the person in that year: funded, hors plafond (False), None if absent
    rank: int | None  # the person's rank in that year
    changed: bool  # False: it was already so (a double click), nothing was written
    counted_referral_id: int | None = None  # the referral that counts for the person that year
    amount_cents: int | None = None  # the amount of the person's entry (0 hors plafond)
    adjustments: int = 0  # adjustments written because the change touched a validated year


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


@dataclass(frozen=True)
class ReferralView:
    """A referral as the back-office lists it: the booking's first name and reference, never a
    phone number or a channel id."""

    id: int
    place_pk: int
    person_key: str  # pseudonymous
    status: str
    status_label: str
    slot_start: datetime | None  # aware, Europe/Paris
    created_at: datetime
    channel: str
    level: str | None
    services: list[str]
    oriented_by: str
    oriented_by_organisation: str | None
    accompanied_on: date | None
    recorded_at: datetime | None
    booking_id: int | None
    reference: str | None
    first_name: str | None
    funded: bool | None  # this referral counts: funded (True) or hors plafond (False); else None
    rank: int | None


# -- locks -----------------------------------------------------------------------------------

def lock_year(session: Session, year: int, moment_db: datetime) -> FundingYear:
    """The `funding_years` row of `year`, made if missing and locked until the transaction ends."""
    insert = upsert_insert(session, FundingYear)
    if insert is not None:
        session.execute(insert.values(year=year, updated_at=moment_db)
                        .on_conflict_do_nothing(index_elements=["year"]))
    row = session.execute(select(FundingYear).where(FundingYear.year == year).with_for_update()
                          .execution_options(populate_existing=True)).scalars().first()
    if row is None:  # another database: a plain insert (a race ends in an IntegrityError)
        row = FundingYear(year=year, updated_at=moment_db)
        session.add(row)
        session.flush()
    return row


def _lock_referral(session: Session, referral_id) -> Referral:
    """Lock the referral row (the transaction's first write) and read it afresh."""
    if isinstance(referral_id, bool) or not isinstance(referral_id, int):
        raise ReferralNotFound(f"no referral {referral_id!r}", "Cette orientation n'existe pas.")
    locked = session.execute(update(Referral).where(Referral.id == referral_id)
                             .values(updated_at=Referral.updated_at)
                             .execution_options(synchronize_session=False)).rowcount
    row = session.get(Referral, referral_id, populate_existing=True) if locked else None
    if row is None:
        raise ReferralNotFound(f"no referral {referral_id}", "Cette orientation n'existe pas.")
    return row


def _rule(year: int) -> YearRule:
    try:
        return rule_for(year)
    except UnknownFundingYear as error:
        raise UnknownYear(str(error), f"Aucune règle de financement n'est écrite pour {year}.") from None


# -- the year's entries ----------------------------------------------------------------------

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
    rule = _rule(year_row.year)
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


def _count(session: Session, year_row: FundingYear, referral: Referral, *, by: str, reason: str,
           moment_db: datetime) -> list[AdjustmentRecord]:
    """A referral just marked accompanied: counted incrementally when it ranks last (the usual
    case), else the year is recomputed."""
    rule = _rule(year_row.year)
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


# -- marking ---------------------------------------------------------------------------------

def _check_marker(actor: Actor) -> None:
    if not isinstance(actor, Actor):
        raise TypeError("actor must be a bot.funding.Actor")
    if actor.role not in MARKING_ROLES:
        raise NotAllowed(f"{actor.name} ({actor.role}) may not mark a referral: only the "
                         f"structure's staff or an admin",
                         "Seule la structure ou l'équipe de la Métropole peut indiquer si la "
                         "personne a été accompagnée.")


def _check_day(row: Referral, on: date, today: date) -> None:
    if on > today:
        raise InvalidAccompanimentDate(
            f"the accompaniment date {on.isoformat()} is in the future (today is "
            f"{today.isoformat()}, Europe/Paris)",
            "La date de l'accompagnement ne peut pas être dans le futur.")
    created = from_db(row.created_at).date()
    if on < created:
        raise InvalidAccompanimentDate(
            f"the accompaniment date {on.isoformat()} is before referral {row.id} was made "
            f"({created.isoformat()})",
            f"La date de l'accompagnement ne peut pas être avant l'orientation "
            f"({created:%d/%m/%Y}).")
    try:
        rule_for(on.year)
    except UnknownFundingYear as error:
        raise InvalidAccompanimentDate(
            f"the accompaniment date {on.isoformat()} is in a year with no funding rule: {error}",
            f"Aucune règle de financement n'est écrite pour {on.year} : la Métropole doit "
            f"d'abord l'ajouter.") from None


def _label(status: str | None) -> str:
    try:
        return REFERRAL_STATUS_LABELS[ReferralStatus(status)]
    except ValueError:
        return str(status)


def _result(session: Session, row: Referral, *, changed: bool, adjustments: int = 0) -> MarkResult:
    if row.status != ACCOMPANIED or row.accompanied_on is None:
        return MarkResult(referral_id=row.id, status=row.status, accompanied_on=None, year=None,
                          funded=None, rank=None, changed=changed, adjustments=adjustments)
    year = row.accompanied_on.year
    entry = session.execute(select(FundingEntry).where(
        FundingEntry.year == year,
        FundingEntry.person_key == canonical_key(session, row.person_key))).scalars().first()
    return MarkResult(referral_id=row.id, status=row.status, accompanied_on=row.accompanied_on,
                      year=year, funded=entry.funded if entry else None,
                      rank=entry.rank if entry else None, changed=changed,
                      counted_referral_id=entry.referral_id if entry else None,
                      amount_cents=entry.amount_cents if entry else None, adjustments=adjustments)


def _note(note) -> str | None:
    note = "" if note is None else str(note).strip()
    return note[:NOTE_LIMIT] or None


def _mark(referral_id: int, to: str, *, on: date | None, actor: Actor, note, now, url) -> MarkResult:
    _check_marker(actor)
    note = _note(note)
    if now is not None:
        now = aware(now, "now")
    if to == ACCOMPANIED and (not isinstance(on, date) or isinstance(on, datetime)):
        raise InvalidAccompanimentDate(f"the accompaniment date must be a date, not {on!r}",
                                       "Indiquez la date de l'accompagnement.")

    def attempt() -> MarkResult:
        with session_scope(url) as session:
            row = _lock_referral(session, referral_id)
            if actor.role == "structure" and row.place_pk != actor.place_pk:
                raise NotAllowed(f"{actor.name} (staff of place {actor.place_pk}) may not mark "
                                 f"referral {row.id} of place {row.place_pk}",
                                 "Cette orientation concerne une autre structure.")
            current = row.status
            if current not in (BOOKED, ACCOMPANIED, ABSENT):
                raise InvalidTransition(
                    f"referral {row.id} is {current}: it cannot become {to}",
                    "Ce rendez-vous a été annulé : on ne peut plus indiquer si la personne est "
                    "venue." if current == CANCELLED else "Ce changement de statut n'est pas "
                                                          "possible.")
            if (current == BOOKED and row.slot_start is not None
                    and from_db(row.slot_start) > (now or now_paris())):
                raise InvalidTransition(
                    f"referral {row.id}'s appointment has not begun: it cannot be marked {to} yet",
                    "Ce rendez-vous n'a pas encore eu lieu : vous pourrez le confirmer à partir "
                    "de son heure.")
            if to == ACCOMPANIED:
                _check_day(row, on, (now or now_paris()).date())
            if current == to and (to == ABSENT or row.accompanied_on == on):
                return _result(session, row, changed=False)
            old_year = row.accompanied_on.year if current == ACCOMPANIED and row.accompanied_on else None
            new_year = on.year if to == ACCOMPANIED else None
            years = sorted({year for year in (old_year, new_year) if year is not None})
            locked = {year: lock_year(session, year, to_db(now or now_paris())) for year in years}
            if actor.role == "structure":
                for year in years:
                    if locked[year].validated_at is not None:
                        raise YearValidated(
                            f"the funding of {year} is validated: only an admin may change it",
                            f"Le bilan {year} est validé : seule l'équipe de la Métropole peut "
                            f"encore modifier cet accompagnement. Écrivez-lui.")
            moment_db = to_db(now or now_paris())  # taken under the lock: it ranks the person
            row.status = to
            if to == ACCOMPANIED:
                if current != ACCOMPANIED or row.recorded_at is None:
                    row.recorded_at = moment_db
                row.accompanied_on = on
            else:
                row.accompanied_on, row.recorded_at = None, None
            row.updated_at = moment_db
            record_event(session, row.id, at=moment_db, actor=actor.name, actor_role=actor.role,
                         from_status=current, to_status=to,
                         accompanied_on=on if to == ACCOMPANIED else None, note=note)
            session.flush()
            reason = f"Orientation n° {row.id} : {_label(current)} → {_label(to)}"
            if to == ACCOMPANIED:
                reason += f" le {on:%d/%m/%Y}"
            if note:
                reason += f" ({note})"
            adjustments: list[AdjustmentRecord] = []
            if current != ACCOMPANIED and to == ACCOMPANIED:
                adjustments = _count(session, locked[new_year], row, by=actor.name,
                                     reason=reason, moment_db=moment_db)
            else:
                for year in years:
                    adjustments += recompute_in_session(session, locked[year], by=actor.name,
                                                        reason=reason, moment_db=moment_db)
            return _result(session, row, changed=True, adjustments=len(adjustments))

    return retrying(attempt)


def mark_accompanied(referral_id: int, *, on: date, actor: Actor, note: str | None = None,
                     now: datetime | None = None, url: str | None = None) -> MarkResult:
    """The person of the referral was accompanied on `on` (or: correct the day, or an absence).

    Raises ReferralNotFound, NotAllowed (not the referral's structure, or a role that may not),
    InvalidTransition (cancelled), InvalidAccompanimentDate (in the future, before the referral,
    a year without funding rule), YearValidated (a structure changing a validated year).
    Marking it again with the same day changes nothing (`changed` False).
    """
    return _mark(referral_id, ACCOMPANIED, on=on, actor=actor, note=note, now=now, url=url)


def mark_absent(referral_id: int, *, actor: Actor, note: str | None = None,
                now: datetime | None = None, url: str | None = None) -> MarkResult:
    """The person did not come (or: correct an accompaniment recorded by mistake).

    Same errors as mark_accompanied; absent again changes nothing.
    """
    return _mark(referral_id, ABSENT, on=None, actor=actor, note=note, now=now, url=url)


# -- years: recompute, validate, summary ------------------------------------------------------

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
    _rule(year)
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
    _rule(year)
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


# -- lists for the back-office ---------------------------------------------------------------

def _views(session: Session, query) -> list[ReferralView]:
    rows = session.execute(query).all()
    return [ReferralView(
        id=row.Referral.id, place_pk=row.Referral.place_pk, person_key=row.Referral.person_key,
        status=row.Referral.status, status_label=_label(row.Referral.status),
        slot_start=from_db(row.Referral.slot_start) if row.Referral.slot_start else None,
        created_at=from_db(row.Referral.created_at), channel=row.Referral.channel,
        level=row.Referral.level, services=list(row.Referral.services or []),
        oriented_by=row.Referral.oriented_by,
        oriented_by_organisation=row.Referral.oriented_by_organisation,
        accompanied_on=row.Referral.accompanied_on,
        recorded_at=from_db(row.Referral.recorded_at) if row.Referral.recorded_at else None,
        booking_id=row.Referral.booking_id, reference=row.reference,
        first_name=row.first_name or None, funded=row.funded, rank=row.rank) for row in rows]


def _listing():
    return (select(Referral, BookingRow.reference, BookingRow.first_name, FundingEntry.funded,
                   FundingEntry.rank)
            .outerjoin(BookingRow, BookingRow.id == Referral.booking_id)
            .outerjoin(FundingEntry, FundingEntry.referral_id == Referral.id))


def referrals_to_confirm(place_pk: int, *, now: datetime | None = None,
                         url: str | None = None) -> list[ReferralView]:
    """The place's referrals still booked whose appointment has begun: the structure must say
    whether the person was accompanied or absent. Oldest appointment first."""
    now = aware(now, "now") if now is not None else now_paris()
    query = _listing().where(Referral.place_pk == place_pk, Referral.status == BOOKED,
                             Referral.slot_start.is_not(None),
                             Referral.slot_start <= to_db(now)) \
        .order_by(Referral.slot_start, Referral.id)
    with session_scope(url) as session:
        return _views(session, query)


def referrals_of_place(place_pk: int, *, since: date | None = None, limit: int | None = None,
                       url: str | None = None) -> list[ReferralView]:
    """Every referral of a place (its appointment, or its creation, on or after `since`),
    latest appointment first."""
    when = func.coalesce(Referral.slot_start, Referral.created_at)
    query = _listing().where(Referral.place_pk == place_pk)
    if since is not None:
        query = query.where(when >= to_db(local(since, time(0))))
    query = query.order_by(when.desc(), Referral.id.desc())
    if limit is not None:
        query = query.limit(max(1, int(limit)))
    with session_scope(url) as session:
        return _views(session, query)
