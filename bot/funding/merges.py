"""Merging two persons of the funding: an admin says two pseudonymous keys are one person.

A person reached by SMS and by Telegram has two keys; `merge_persons(from_key, into_key, ...)`
records that they are the same person (person_merges; how keys resolve: bot.funding.persons).
Merging recomputes every year where either person is counted, so that the person counts once
per year; in a validated year the change is recorded as adjustments (bot.funding.entries).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import aware, now_paris, to_db
from bot.db.models import FundingEntry, FundingYear, Person, PersonMerge, Referral
from bot.db.retry import retrying
from bot.db.session import session_scope
from bot.funding.actors import ADMIN_ROLES
from bot.funding.entries import recompute_in_session
from bot.funding.errors import InvalidMerge, NotAllowed
from bot.funding.locks import lock_year
from bot.funding.persons import merge_map, resolve
from bot.funding.rules import funding_rules

KEY_LIMIT = 64


@dataclass(frozen=True)
class MergeResult:
    from_key: str
    into_key: str
    canonical_key: str  # the key both now resolve to
    years: list[int]  # the years recomputed
    adjustments: list  # AdjustmentRecord written in validated years


def _key(value, name: str) -> str:
    key = "" if value is None else str(value).strip()
    if not key or len(key) > KEY_LIMIT:
        raise InvalidMerge(f"{name} must be a person key of 1 to {KEY_LIMIT} characters",
                           "Indiquez les deux identifiants de personne (pseudonymes).")
    return key


def _known(session: Session, key: str) -> bool:
    for column in (Referral.person_key, Person.person_key, PersonMerge.from_key,
                   PersonMerge.into_key):
        if session.execute(select(column).where(column == key).limit(1)).first() is not None:
            return True
    return False


def merge_persons(from_key: str, into_key: str, *, actor, reason: str,
                  now: datetime | None = None, url: str | None = None) -> MergeResult:
    """Record that `from_key` is the same person as `into_key` (an admin or the CLI only), then
    recompute every year where either is counted.

    Raises NotAllowed (not an admin), InvalidMerge (same key, unknown key, `from_key` already
    merged, or `into_key` resolving to `from_key`: a cycle).
    """
    if actor.role not in ADMIN_ROLES:
        raise NotAllowed(f"{actor.name} ({actor.role}) may not merge persons: admins only",
                         "Seule l'équipe de la Métropole peut fusionner deux personnes.")
    from_key, into_key = _key(from_key, "from_key"), _key(into_key, "into_key")
    reason = "" if reason is None else str(reason).strip()
    if not reason:
        raise InvalidMerge("a merge needs a reason", "Indiquez la raison de la fusion.")
    if from_key == into_key:
        raise InvalidMerge(f"cannot merge {from_key!r} into itself",
                           "Une personne ne peut pas être fusionnée avec elle-même.")
    if now is not None:
        now = aware(now, "now")

    def attempt() -> MergeResult:
        with session_scope(url) as session:
            # Every year is locked (ascending, like the confirmations): no confirmation counts
            # a key of these persons while the merge recomputes, and merges run one at a time.
            years = sorted(set(funding_rules()) | set(
                session.execute(select(FundingYear.year)).scalars().all()))
            first_moment = to_db(now or now_paris())
            locked = {year: lock_year(session, year, first_moment) for year in years}
            moment = to_db(now or now_paris())
            merges = merge_map(session)
            for key in (from_key, into_key):
                if not _known(session, key):
                    raise InvalidMerge(f"unknown person key {key!r}",
                                       f"Aucune personne ne porte l'identifiant « {key} ».")
            if from_key in merges:
                raise InvalidMerge(
                    f"{from_key!r} is already merged into {merges[from_key]!r} "
                    f"(which resolves to {resolve(merges, from_key)!r}); merge that key instead",
                    f"« {from_key} » est déjà fusionnée avec « {merges[from_key]} ».")
            target = resolve(merges, into_key)
            if target == from_key:
                raise InvalidMerge(
                    f"merging {from_key!r} into {into_key!r} would make a cycle: {into_key!r} "
                    f"already resolves to {from_key!r}",
                    f"« {into_key} » est déjà fusionnée avec « {from_key} » : c'est la même "
                    f"personne.")
            session.add(PersonMerge(from_key=from_key, into_key=into_key, merged_at=moment,
                                    merged_by=actor.name[:160], reason=reason))
            session.flush()
            merges[from_key] = into_key
            keys = {target, from_key} | {key for key in set(merges) | set(merges.values())
                                         if resolve(merges, key) == target}
            touched = set(session.execute(select(FundingEntry.year).where(
                FundingEntry.person_key.in_({from_key, target}))).scalars().all())
            days = session.execute(select(Referral.accompanied_on).where(
                Referral.person_key.in_(keys), Referral.status == "accompanied",
                Referral.accompanied_on.is_not(None))).scalars().all()
            touched |= {day.year for day in days}
            adjustments: list = []
            why = f"Fusion de la personne {from_key} dans {into_key} : {reason}"
            for year in sorted(touched):
                row = locked.get(year) or lock_year(session, year, moment)
                adjustments += recompute_in_session(session, row, by=actor.name, reason=why,
                                                    moment_db=moment)
            return MergeResult(from_key=from_key, into_key=into_key, canonical_key=target,
                               years=sorted(touched), adjustments=adjustments)

    try:
        return retrying(attempt)
    except IntegrityError as error:
        if "from_key" not in str(error.orig) and "person_merges" not in str(error.orig):
            raise
        # Merged by someone else at the same moment (person_merges.from_key is unique).
        raise InvalidMerge(f"{from_key!r} was merged at the same moment by someone else",
                           f"« {from_key} » vient d'être fusionnée par quelqu'un d'autre.") from None
