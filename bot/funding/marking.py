"""Marking a referral: the structure says whether the person was accompanied (and on which day)
or absent.

A referral goes booked -> accompanied | absent | cancelled. Only the staff of the referral's
own structure, a Métropole admin or an operator (CLI) marks it accompanied (with the day it
happened) or absent, and may correct accompanied <-> absent or the day; a cancelled referral is
final. Every change is one row of the append-only audit log (referral_events). A structure
cannot change anything in a validated year; an admin can (bot.funding.years).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import aware, from_db, now_paris, to_db
from bot.db.models import FundingEntry, Referral
from bot.db.retry import retrying
from bot.db.session import session_scope
from bot.funding.actors import MARKING_ROLES, Actor
from bot.funding.entries import AdjustmentRecord, count_accompanied, recompute_in_session
from bot.funding.errors import (InvalidAccompanimentDate, InvalidTransition, NotAllowed,
                                YearValidated)
from bot.funding.locks import lock_referral, lock_year
from bot.funding.persons import canonical_key
from bot.funding.rules import UnknownFundingYear, rule_for
from bot.funding.statuses import ABSENT, ACCOMPANIED, BOOKED, CANCELLED, status_label
from bot.notifications import referral_outcome
from bot.notifications.outbox import add as notify
from bot.referrals.core import record_event

NOTE_LIMIT = 1000


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
            row = lock_referral(session, referral_id)
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
            if row.prescripteur_session_id is not None and row.booking_id is not None:
                # The prescripteur who booked it hears the outcome.
                notify(session, referral_outcome.NOTIFIER, row.booking_id, from_db(moment_db),
                       from_db(moment_db))
            session.flush()
            reason = f"Orientation n° {row.id} : {status_label(current)} → {status_label(to)}"
            if to == ACCOMPANIED:
                reason += f" le {on:%d/%m/%Y}"
            if note:
                reason += f" ({note})"
            adjustments: list[AdjustmentRecord] = []
            if current != ACCOMPANIED and to == ACCOMPANIED:
                adjustments = count_accompanied(session, locked[new_year], row, by=actor.name,
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
