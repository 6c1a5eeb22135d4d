"""The funding of the programme: who was accompanied, counted once a year, within the cap.

- `mark_accompanied` / `mark_absent`: a structure (or an admin) says what happened after a
  referral; every change goes to the append-only audit log (`audit_events`).
- the ledger (`funding_entries`) ranks the persons of each year; beyond the year's cap they are
  recorded "hors plafond"; `recompute_year` computes a year again from the referrals.
- `merge_persons`: an admin says two pseudonymous keys are the same person.
- `validate_year`: freeze a year; later changes become adjustments, never silent.

Rules (rate and cap per year) are data: data/funding.yml (bot.funding.rules). No Rasa here.

Modules, each importing only those before it: rules, errors, statuses, actors, persons
(canonical keys), locks, entries (the year's entries and adjustments), marking, years
(recompute, validate, summary), merges, referral_lists (the back-office's lists), audit, report,
export, chart.
"""
from bot.funding.actors import Actor
from bot.funding.audit import AuditEvent, audit_events
from bot.funding.entries import AdjustmentRecord
from bot.funding.errors import (FundingError, InvalidAccompanimentDate, InvalidMerge,
                                InvalidTransition, NotAllowed, ReferralNotFound, UnknownYear,
                                YearValidated)
from bot.funding.marking import MarkResult, mark_absent, mark_accompanied
from bot.funding.merges import MergeResult, merge_persons
from bot.funding.persons import canonical_key
from bot.funding.referral_lists import ReferralView, referrals_of_place, referrals_to_confirm
from bot.funding.years import YearSummary, recompute_year, validate_year, year_summary

__all__ = [
    "Actor", "AdjustmentRecord", "AuditEvent", "FundingError", "InvalidAccompanimentDate",
    "InvalidMerge", "InvalidTransition", "MarkResult", "MergeResult", "NotAllowed",
    "ReferralNotFound", "ReferralView", "UnknownYear", "YearSummary", "YearValidated",
    "audit_events", "canonical_key", "mark_absent", "mark_accompanied", "merge_persons",
    "recompute_year", "referrals_of_place", "referrals_to_confirm", "validate_year",
    "year_summary",
]
