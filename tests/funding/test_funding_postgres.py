"""The funding ledger under concurrency, on PostgreSQL (a real server, `postgres_database`) and on
SQLite: structures confirming at the same moment never both take the last funded place, and a
double-clicked confirmation is recorded once. Also the append-only audit log and a validated
year on PostgreSQL.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from bot import clock
from bot.db.models import FundingAdjustment, FundingEntry, ReferralEvent
from bot.db.session import get_engine, session_scope, upgrade
from bot.funding import (Actor, audit_events, mark_absent, mark_accompanied, merge_persons,
                         recompute_year, validate_year, year_summary)
from bot.funding.errors import YearValidated
from tests.support.booking import BOBIGNY, PARIS_12, place_pk, prepare, race
from tests.support.funding import ADMIN, new_referral, paris, staff, write_rules

CAP = 5


def rules(cap: int) -> str:
    return f"years:\n  2026:\n    rate_eur: 50\n    cap_persons: {cap}\n"


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request, tmp_path, monkeypatch):
    """A migrated database with the directory and the demo partners, SQLite or PostgreSQL; a
    rules file with a cap of 5 in 2026; a clock that moves 1 ms at each reading (so that each
    confirmation is recorded at its own time, as on a real server)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'funding.db'}"
    else:
        url = request.getfixturevalue("postgres_database")
    monkeypatch.setenv("NPT_FUNDING_RULES", write_rules(tmp_path, rules(CAP)))
    ticks = itertools.count()
    start = datetime(2026, 12, 10, 11, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(clock, "utc_now", lambda: start + timedelta(milliseconds=next(ticks)))
    upgrade(url)
    prepare(url)
    yield url
    get_engine(url).dispose()


def funded_ranks(url: str) -> list[tuple[int, bool, int]]:
    with session_scope(url) as session:
        return [tuple(row) for row in session.execute(
            select(FundingEntry.rank, FundingEntry.funded, FundingEntry.amount_cents)
            .where(FundingEntry.year == 2026).order_by(FundingEntry.rank)).all()]


def test_twenty_structures_confirming_at_once_leave_exactly_one_funded_place_taken(ledger_url):
    url = ledger_url
    places = [place_pk(PARIS_12, url), place_pk(BOBIGNY, url)]
    for n in range(CAP - 1):  # 4 of the 5 funded places are taken
        referral = new_referral(f"early-{n}", places[n % 2], url=url)
        assert mark_accompanied(referral, on=date(2026, 12, 1), actor=staff(places[n % 2]),
                                url=url).funded
    racers = [(new_referral(f"racer-{i}", places[i % 2], url=url), places[i % 2]) for i in range(20)]
    results = race(20, lambda i: mark_accompanied(racers[i][0], on=date(2026, 12, 9),
                                                  actor=staff(racers[i][1]), url=url))
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    winners = [r for r in results if r.funded]
    # exactly one gets the 5th funded place; 19 are recorded hors plafond, ranks 6 to 24
    assert [(w.rank, w.amount_cents) for w in winners] == [(CAP, 5000)]
    assert sorted(r.rank for r in results if not r.funded) == list(range(CAP + 1, CAP + 20))
    assert all(r.amount_cents == 0 for r in results if not r.funded)
    ranks = funded_ranks(url)
    assert [rank for rank, _, _ in ranks] == list(range(1, CAP + 20))
    assert [(funded, amount) for _, funded, amount in ranks] == (
        [(True, 5000)] * CAP + [(False, 0)] * 19)
    summary = year_summary(2026, url=url)
    assert (summary.persons_funded, summary.persons_over_cap, summary.amount_cents) == (5, 19, 25000)
    # the ranks follow the times recorded, and a recompute finds the same ledger
    with session_scope(url) as session:
        order = session.execute(select(FundingEntry.recorded_at).where(FundingEntry.year == 2026)
                                .order_by(FundingEntry.rank)).scalars().all()
    assert order == sorted(order) and len(set(order)) == len(order)
    assert recompute_year(2026, actor=ADMIN, reason="check", url=url) == []
    assert funded_ranks(url) == ranks


def test_the_same_confirmation_sent_ten_times_at_once_is_recorded_once(ledger_url):
    url = ledger_url
    pk = place_pk(PARIS_12, url)
    referral = new_referral("impatient", pk, url=url)
    results = race(10, lambda i: mark_accompanied(referral, on=date(2026, 12, 9), actor=staff(pk),
                                                  url=url))
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sorted(r.changed for r in results) == [False] * 9 + [True]
    assert {(r.rank, r.funded) for r in results} == {(1, True)}
    with session_scope(url) as session:
        events = session.execute(select(ReferralEvent.to_status).where(
            ReferralEvent.referral_id == referral).order_by(ReferralEvent.id)).scalars().all()
    assert events == ["booked", "accompanied"]
    assert funded_ranks(url) == [(1, True, 5000)]


def test_marking_absent_and_accompanied_at_once_ends_consistent(ledger_url):
    """Two staff disagree at the same moment, ten times each: whatever the order, the ledger is
    what a recompute gives and every change is in the log."""
    url = ledger_url
    pk = place_pk(PARIS_12, url)
    referral = new_referral("disputed", pk, url=url)
    results = race(20, lambda i: (mark_absent(referral, actor=staff(pk), url=url) if i % 2 else
                                  mark_accompanied(referral, on=date(2026, 12, 9), actor=staff(pk),
                                                   url=url)))
    assert [r for r in results if isinstance(r, Exception)] == []
    before = funded_ranks(url)
    assert recompute_year(2026, actor=ADMIN, reason="check", url=url) == []
    assert funded_ranks(url) == before
    changes = sum(r.changed for r in results)
    assert len(audit_events(referral_id=referral, url=url)) == 1 + changes


def test_on_postgresql_the_log_is_append_only_and_a_validated_year_adds_up(postgres_database,
                                                                          tmp_path, monkeypatch):
    url = postgres_database
    monkeypatch.setenv("NPT_FUNDING_RULES", write_rules(tmp_path, rules(1)))
    upgrade(url)
    prepare(url)
    try:
        pk = place_pk(PARIS_12, url)
        first = new_referral("sms-1", pk, url=url)
        second = new_referral("tg-1", pk, url=url)
        third = new_referral("other", pk, url=url)
        for n, referral in enumerate((first, second, third)):
            mark_accompanied(referral, on=date(2026, 2, 2), actor=staff(pk),
                             now=paris(2026, 2, 2, 10 + n), url=url)
        validate_year(2026, actor=ADMIN, now=paris(2027, 1, 10), url=url)  # sms-1 funded (cap 1)
        merge_persons("sms-1", "tg-1", actor=ADMIN, reason="même personne", now=paris(2027, 1, 11),
                      url=url)
        # one person now, counted under tg-1 by the earlier referral (sms-1's), still funded:
        # the key changed, so the change is written, not silent: -1 sms-1, +1 tg-1 (net 0)
        with session_scope(url) as session:
            made = session.execute(select(FundingAdjustment.person_key, FundingAdjustment.persons_delta,
                                          FundingAdjustment.amount_cents_delta)
                                   .order_by(FundingAdjustment.id)).all()
        assert [tuple(row) for row in made] == [("sms-1", -1, -5000), ("tg-1", 1, 5000)]
        summary = year_summary(2026, url=url)
        assert (summary.persons_funded, summary.persons_counted) == (1, 2)
        assert summary.validated_persons + summary.adjustments_persons == summary.persons_funded
        assert (summary.validated_amount_cents + summary.adjustments_amount_cents
                == summary.amount_cents)
        with pytest.raises(DatabaseError, match="append-only"):
            with session_scope(url) as session:
                session.execute(text("UPDATE referral_events SET note = 'changed'"))
        with pytest.raises(DatabaseError, match="append-only"):
            with session_scope(url) as session:
                session.execute(text("DELETE FROM referral_events"))
        assert len(audit_events(referral_id=first, url=url)) == 2
        with pytest.raises(YearValidated):
            mark_absent(first, actor=Actor("agent@x.fr", "structure", pk), url=url)
    finally:
        get_engine(url).dispose()
