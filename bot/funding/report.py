"""The yearly funding report: persons funded, over the cap and amount due, per group.

Reads what the ledger wrote (funding_entries, funding_adjustments, funding_years) and never
writes. Figures are the current ones (what funding_entries hold now); when the year was
validated, the adjustments recorded since then are listed and summed per group, so that a reader
sees what changed after validation (validated figure = current figure - adjustments).

Amounts are integers in cents; `format_eur` and `format_int` write them the French way for
people. Labels meant for finance staff are French.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Hashable, Iterable

from sqlalchemy import func, select
from unidecode import unidecode

from bot.clock import PARIS as PARIS_TZ, utc_now
from bot.db.models import FundingAdjustment, FundingEntry, FundingYear, Place
from bot.db.session import session_scope
from bot.funding.rules import YearRule, rule_for
from bot.geo import communes as geo


# How a report can group its rows, with the French headers of its label and detail columns.
GROUPINGS: dict[str, tuple[str, str | None]] = {
    "structure": ("Structure", "Commune"),
    "commune": ("Commune", "EPT"),
    "ept": ("EPT", None),
    "organisation": ("Organisation prescriptrice", None),
}
ASSISTANT_LABEL = "Assistant (sans prescripteur)"
# Paris belongs to no EPT; data/geo/mgp_communes.csv names its `ept_nom` so.
PARIS_EPT_LABEL = "Ville de Paris (hors EPT)"
OUTSIDE_EPT_LABEL = "Hors Métropole du Grand Paris"
UNKNOWN_COMMUNE_LABEL = "Commune inconnue"
UNKNOWN_STRUCTURE_LABEL = "Structure inconnue"

NBSP = "\u00a0"  # between thousands and before the euro sign: never broken across lines


# -- French formatting ---------------------------------------------------------------------------


def format_int(value: int) -> str:
    """12345 -> "12 345" (no-break space between thousands), -1200 -> "-1 200"."""
    return f"{value:,}".replace(",", NBSP)


def format_eur(cents: int) -> str:
    """123400 -> "1 234,00 €" (no-break spaces), -5000 -> "-50,00 €"."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{format_int(euros)},{rest:02d}{NBSP}€"


def format_eur_plain(cents: int) -> str:
    """123400 -> "1234,00": the figure alone, with a decimal comma (CSV for French Excel)."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{euros},{rest:02d}"


def percent_of_cap(persons: int, cap: int) -> Decimal:
    """persons / cap in percent, rounded half-up to 2 decimals; 0 when the cap is 0."""
    if cap <= 0:
        return Decimal("0.00")
    return (Decimal(persons * 100) / Decimal(cap)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def format_percent(persons: int, cap: int) -> str:
    """Part of the cap, French style: 1 of 3 -> "33,33 %"."""
    return f"{str(percent_of_cap(persons, cap)).replace('.', ',')}{NBSP}%"


def sort_key(text: str) -> str:
    """French order, good enough: case and accents ignored ("Évry" sorts as "evry")."""
    return unidecode(text or "").casefold()


# -- The report ----------------------------------------------------------------------------------


class UnknownGrouping(ValueError):
    """`by` is not one of GROUPINGS."""


@dataclass(frozen=True)
class Validation:
    """The frozen figures of a validated year (naive UTC time, as stored)."""

    validated_at: datetime
    validated_by: str | None
    persons: int | None
    amount_cents: int | None


@dataclass(frozen=True)
class Adjustment:
    """A change to the year recorded after its validation. `created_at` is naive UTC."""

    id: int
    created_at: datetime
    created_by: str
    place_pk: int
    structure: str
    commune: str
    organisation: str | None  # None: oriented by the assistant itself
    persons_delta: int
    amount_cents_delta: int
    reason: str

    @property
    def organisation_label(self) -> str:
        return self.organisation or ASSISTANT_LABEL


@dataclass(frozen=True)
class ReportRow:
    """One group: a structure, a commune, an EPT or a prescripteur organisation."""

    key: Hashable  # place pk; member commune INSEE code; EPT SIREN; organisation (None: assistant)
    label: str
    detail: str | None  # the commune of a structure, the EPT of a commune; None otherwise
    persons_funded: int
    persons_over_cap: int
    amount_due_cents: int
    cap_share: float  # persons funded / the year's cap (0 when the cap is 0)
    adjustment_persons: int = 0  # sum of the adjustments since validation, already in the figures
    adjustment_amount_cents: int = 0

    @property
    def validated_persons(self) -> int:
        """The figure as it stood at validation."""
        return self.persons_funded - self.adjustment_persons

    @property
    def validated_amount_cents(self) -> int:
        return self.amount_due_cents - self.adjustment_amount_cents


@dataclass(frozen=True)
class ReportTotals:
    persons_funded: int
    persons_over_cap: int
    amount_due_cents: int
    cap_consumed: float  # persons funded / cap (0 when the cap is 0)
    adjustment_persons: int
    adjustment_amount_cents: int


@dataclass(frozen=True)
class FundingReport:
    year: int
    by: str
    rate: YearRule
    rows: tuple[ReportRow, ...]
    totals: ReportTotals
    validation: Validation | None  # None: the year is not validated
    adjustments: tuple[Adjustment, ...]  # since validation, oldest first
    series: tuple[tuple[date, int], ...]  # funded_over_time of the year
    generated_at: datetime = field(default_factory=utc_now)

    @property
    def cap(self) -> int:
        return self.rate.cap

    @property
    def rate_cents(self) -> int:
        return self.rate.rate_cents

    @property
    def validated(self) -> bool:
        return self.validation is not None

    @property
    def label_header(self) -> str:
        return GROUPINGS[self.by][0]

    @property
    def detail_header(self) -> str | None:
        return GROUPINGS[self.by][1]

    @property
    def shows_adjustments(self) -> bool:
        """Adjustment columns are shown for a validated year (or any year that has some)."""
        return self.validated or bool(self.adjustments)

    def title(self) -> str:
        return f"Financement Numérique pour Tous {self.year}, par {_BY_FRENCH[self.by]}"

    def rule_line(self) -> str:
        return (f"Tarif : {format_eur(self.rate.rate_cents)} par personne ; plafond : "
                f"{format_int(self.cap)} personnes")

    def validation_line(self) -> str:
        if self.validation is None:
            return "Année non validée : chiffres provisoires."
        v = self.validation
        when = paris_time(v.validated_at).strftime("%d/%m/%Y à %H:%M")
        who = f" par {v.validated_by}" if v.validated_by else ""
        figures = ""
        if v.persons is not None and v.amount_cents is not None:
            figures = (f" : {format_int(v.persons)} personnes financées, "
                       f"{format_eur(v.amount_cents)}")
        changes = (f" ; {len(self.adjustments)} ajustement(s) depuis" if self.adjustments
                   else " ; aucun ajustement depuis")
        return f"Année validée le {when}{who}{figures}{changes}."


_BY_FRENCH = {"structure": "structure", "commune": "commune", "ept": "EPT",
              "organisation": "organisation prescriptrice"}


def paris_time(value: datetime) -> datetime:
    """A stored time (naive UTC) in Europe/Paris."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(PARIS_TZ)


def paris_day(value: datetime) -> date:
    return paris_time(value).date()


# -- Where a structure is: member commune and EPT (from bot.geo) --------------------------------


@dataclass(frozen=True)
class Whereabouts:
    commune_key: str
    commune_label: str
    ept_key: str
    ept_label: str


@lru_cache(maxsize=1)
def _merged_into() -> dict[str, str]:
    return {former.code_insee: former.merged_into for former in geo.former_communes()}


def _member_commune(code_insee: str | None, code_postal: str | None):
    """The member commune (bot.geo Commune) of a place's INSEE code (arrondissements and former
    communes included), or, without a code, of its postcode when that names one; else None."""
    code = (code_insee or "").strip()
    if code:
        found = geo.place(_merged_into().get(code, code))
        return geo.place(found.commune_insee) if found is not None else None
    members = {item.commune_insee for item in geo.places_by_postcode((code_postal or "").strip())}
    return geo.place(members.pop()) if len(members) == 1 else None


def locate_structure(code_insee: str | None, code_postal: str | None,
                     commune_text: str | None) -> Whereabouts:
    """The member commune and EPT of a structure; outside the Métropole, its own commune name."""
    commune = _member_commune(code_insee, code_postal)
    if commune is None:
        label = " ".join((commune_text or "").split()) or UNKNOWN_COMMUNE_LABEL
        return Whereabouts(f"hors:{sort_key(label)}", label, "hors", OUTSIDE_EPT_LABEL)
    if commune.ept:
        return Whereabouts(commune.code_insee, commune.nom, commune.ept_siren, commune.ept)
    return Whereabouts(commune.code_insee, commune.nom, "paris", PARIS_EPT_LABEL)


# -- Reading the ledger --------------------------------------------------------------------------


def _organisation(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


@dataclass
class _Group:
    label: str
    detail: str | None
    funded: int = 0
    over_cap: int = 0
    amount: int = 0
    adj_persons: int = 0
    adj_amount: int = 0


def _group_of(by: str, place_pk: int, organisation: str | None, places: dict,
              where: dict) -> tuple[Hashable, str, str | None]:
    place = places.get(place_pk)
    w: Whereabouts = where[place_pk]
    if by == "structure":
        if place is None:
            return place_pk, f"{UNKNOWN_STRUCTURE_LABEL} ({place_pk})", None
        return place_pk, " ".join(place.nom.split()), " ".join((place.commune or "").split())
    if by == "commune":
        return w.commune_key, w.commune_label, w.ept_label
    if by == "ept":
        return w.ept_key, w.ept_label, None
    return organisation, organisation or ASSISTANT_LABEL, None


def _share(persons: int, cap: int) -> float:
    return persons / cap if cap > 0 else 0.0


def _series(rows: Iterable[datetime]) -> list[tuple[date, int]]:
    per_day: dict[date, int] = defaultdict(int)
    for recorded_at in rows:
        per_day[paris_day(recorded_at)] += 1
    days = sorted(per_day)
    return list(zip(days, accumulate(per_day[day] for day in days)))


def _funded_times(session, year: int) -> list[datetime]:
    return list(session.execute(
        select(FundingEntry.recorded_at)
        .where(FundingEntry.year == year, FundingEntry.funded.is_(True))).scalars())


def funded_over_time(year: int, *, url: str | None = None) -> list[tuple[date, int]]:
    """Cumulative persons funded in `year`, by the Europe/Paris day their accompaniment was
    recorded: [(day, funded so far)], one item per day that added some, oldest first."""
    with session_scope(url) as session:
        return _series(_funded_times(session, year))


def funding_report(year: int, by: str = "structure", *, url: str | None = None,
                   rules_path: Path | str | None = None) -> FundingReport:
    """The report of `year` grouped `by` "structure", "commune", "ept" or "organisation".

    UnknownGrouping (a ValueError) for another `by`; UnknownFundingYear when the rules file has
    no rule for `year`.
    """
    if by not in GROUPINGS:
        raise UnknownGrouping(f"unknown grouping {by!r}: choose one of {', '.join(GROUPINGS)}")
    rule = rule_for(year, rules_path)

    with session_scope(url) as session:
        counts = session.execute(
            select(FundingEntry.place_pk, FundingEntry.organisation, FundingEntry.funded,
                   func.count(FundingEntry.id),
                   func.coalesce(func.sum(FundingEntry.amount_cents), 0))
            .where(FundingEntry.year == year)
            .group_by(FundingEntry.place_pk, FundingEntry.organisation, FundingEntry.funded)).all()
        year_row = session.get(FundingYear, year)
        validation = None
        if year_row is not None and year_row.validated_at is not None:
            validation = Validation(year_row.validated_at, year_row.validated_by,
                                    year_row.validated_persons, year_row.validated_amount_cents)
        query = select(FundingAdjustment).where(FundingAdjustment.year == year)
        if validation is not None:
            # Adjustments made before the (latest) validation are in its figures already.
            query = query.where(FundingAdjustment.created_at >= validation.validated_at)
        adjustment_rows = session.execute(
            query.order_by(FundingAdjustment.created_at, FundingAdjustment.id)).scalars().all()
        pks = {row.place_pk for row in counts} | {row.place_pk for row in adjustment_rows}
        places = {}
        if pks:
            found = session.execute(select(Place).where(Place.pk.in_(pks))).scalars()
            places = {place.pk: place for place in found}
        series = _series(_funded_times(session, year))

    where = {pk: locate_structure(getattr(places.get(pk), "code_insee", None),
                                  getattr(places.get(pk), "code_postal", None),
                                  getattr(places.get(pk), "commune", None)) for pk in pks}
    groups: dict[Hashable, _Group] = {}

    def group(place_pk: int, organisation: str | None) -> _Group:
        key, label, detail = _group_of(by, place_pk, organisation, places, where)
        if key not in groups:
            groups[key] = _Group(label, detail)
        return groups[key]

    for place_pk, organisation, funded, count, amount in counts:
        target = group(place_pk, _organisation(organisation))
        if funded:
            target.funded += count
        else:
            target.over_cap += count
        target.amount += int(amount)

    adjustments = []
    for adj in adjustment_rows:
        organisation = _organisation(adj.organisation)
        target = group(adj.place_pk, organisation)
        target.adj_persons += adj.persons_delta
        target.adj_amount += adj.amount_cents_delta
        place = places.get(adj.place_pk)
        adjustments.append(Adjustment(
            id=adj.id, created_at=adj.created_at, created_by=adj.created_by, place_pk=adj.place_pk,
            structure=" ".join(place.nom.split()) if place else f"{UNKNOWN_STRUCTURE_LABEL} "
                                                                 f"({adj.place_pk})",
            commune=where[adj.place_pk].commune_label, organisation=organisation,
            persons_delta=adj.persons_delta, amount_cents_delta=adj.amount_cents_delta,
            reason=adj.reason))

    rows = tuple(sorted(
        (ReportRow(key=key, label=g.label, detail=g.detail, persons_funded=g.funded,
                   persons_over_cap=g.over_cap, amount_due_cents=g.amount,
                   cap_share=_share(g.funded, rule.cap), adjustment_persons=g.adj_persons,
                   adjustment_amount_cents=g.adj_amount) for key, g in groups.items()),
        key=lambda r: (sort_key(r.label), r.label, sort_key(r.detail or ""), str(r.key))))
    funded = sum(r.persons_funded for r in rows)
    totals = ReportTotals(
        persons_funded=funded,
        persons_over_cap=sum(r.persons_over_cap for r in rows),
        amount_due_cents=sum(r.amount_due_cents for r in rows),
        cap_consumed=_share(funded, rule.cap),
        adjustment_persons=sum(r.adjustment_persons for r in rows),
        adjustment_amount_cents=sum(r.adjustment_amount_cents for r in rows))
    return FundingReport(year=year, by=by, rate=rule, rows=rows, totals=totals,
                         validation=validation, adjustments=tuple(adjustments),
                         series=tuple(series))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text safe to print on a terminal: control characters (escape sequences...) become "?"."""
    return _CONTROL.sub("?", text)
