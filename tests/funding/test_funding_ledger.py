"""The funding ledger: structures mark accompanied / absent, each person counts once a year
within the year's cap, corrections and merges recompute, validated years get adjustments, and
every change is in the append-only audit log.

Rules come from a small rules file of the test (NPT_FUNDING_RULES): 2026 at 50 EUR with a cap of
2 persons, 2027 at 60 EUR with a cap of 3. The real France Services directory and the demo
partners are loaded; referrals are made by the real booking path or by `create_referral`.
Every expected figure below is worked out by hand in the comments.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from bot.booking.bookings import cancel
from bot.db.models import FundingAdjustment, ReferralEvent
from bot.db.session import session_scope
from bot.funding import (Actor, InvalidAccompanimentDate, InvalidMerge, InvalidTransition,
                         NotAllowed, ReferralNotFound, UnknownYear, YearValidated, audit_events,
                         canonical_key, mark_absent, mark_accompanied, merge_persons,
                         recompute_year, referrals_of_place, referrals_to_confirm, validate_year,
                         year_summary)
from tests.support.booking import BOBIGNY, NOW, PARIS_12, at, book_for, place_pk, prepare
from tests.support.funding import ADMIN, SMALL_RULES, entries, new_referral, paris, staff, write_rules


@pytest.fixture
def small_rules(tmp_path, monkeypatch) -> str:
    path = write_rules(tmp_path, SMALL_RULES)
    monkeypatch.setenv("NPT_FUNDING_RULES", path)
    return path


@pytest.fixture
def ledger(database, small_rules) -> str:
    prepare(database)
    return database


def events_of(referral_id: int, url: str | None = None) -> list[tuple]:
    """(from, to, accompanied_on, actor, role) oldest first."""
    return [(e.from_status, e.to_status, e.accompanied_on, e.actor, e.actor_role)
            for e in reversed(audit_events(referral_id=referral_id, url=url))]


def adjustments(year: int, url: str | None = None) -> list[tuple]:
    with session_scope(url) as session:
        rows = session.execute(select(FundingAdjustment).where(FundingAdjustment.year == year)
                               .order_by(FundingAdjustment.id)).scalars().all()
        return [(a.person_key, a.place_pk, a.persons_delta, a.amount_cents_delta) for a in rows]


def assert_adjustments_add_up(year: int, url: str | None = None) -> None:
    """Validated totals + every adjustment since == the current totals."""
    summary = year_summary(year, url=url)
    assert summary.validated
    assert summary.validated_persons + summary.adjustments_persons == summary.persons_funded
    assert (summary.validated_amount_cents + summary.adjustments_amount_cents
            == summary.amount_cents)


# -- the audit log of a booking's referral ---------------------------------------------------

def test_booking_and_cancelling_write_who_when_from_to_and_cancelled_is_final(ledger):
    pk = place_pk(PARIS_12)
    by_staff = book_for("audit-1", pk, at(3, 10))
    by_person = book_for("audit-2", pk, at(3, 10, 45))
    [first] = referrals_to_confirm(pk, now=at(3, 10, 5))
    assert first.booking_id == by_staff.id and first.status == "booked"
    cancel(by_staff.id, person_key=None, by="structure", actor="agent@pimms.fr", now=at(2, 9))
    cancel(by_person.id, person_key="audit-2", now=at(2, 9, 30))
    assert events_of(first.id) == [(None, "booked", None, "assistant", "assistant"),
                                   ("booked", "cancelled", None, "agent@pimms.fr", "structure")]
    [created, cancelled] = reversed(audit_events(referral_id=first.id))
    assert (created.at, cancelled.at) == (NOW, at(2, 9))
    [second] = [r for r in referrals_of_place(pk) if r.booking_id == by_person.id]
    assert events_of(second.id)[-1] == ("booked", "cancelled", None, "person", "person")
    # cancelling again writes nothing
    cancel(by_staff.id, person_key=None, by="structure", actor="agent@pimms.fr", now=at(2, 10))
    assert len(events_of(first.id)) == 2
    # a cancelled referral cannot be marked, by the structure nor by an admin
    for actor in (staff(pk), ADMIN):
        with pytest.raises(InvalidTransition) as refused:
            mark_accompanied(first.id, on=date(2026, 12, 3), actor=actor, now=at(3, 12))
        assert "annulé" in refused.value.message_fr and "cancelled" in str(refused.value)
        with pytest.raises(InvalidTransition):
            mark_absent(first.id, actor=actor, now=at(3, 12))
    assert len(events_of(first.id)) == 2 and entries(2026) == []
    # the newest first, for a place too
    assert [e.referral_id for e in audit_events(place_pk=pk)][:2] == [second.id, first.id]
    assert audit_events(place_pk=place_pk(BOBIGNY)) == []


def test_the_structure_confirms_a_past_appointment_once_even_on_a_double_click(ledger):
    pk = place_pk(PARIS_12)
    booking = book_for("came", pk, at(3, 10), first_name="Awa", sender_id="+33612345678")
    assert referrals_to_confirm(pk, now=at(3, 9, 59)) == []  # not begun yet
    [due] = referrals_to_confirm(pk, now=at(3, 10))
    assert (due.first_name, due.reference, due.slot_start, due.status_label) == (
        "Awa", booking.reference, at(3, 10), "Rendez-vous pris")
    assert "+336" not in repr(due) and not hasattr(due, "sender_id")
    result = mark_accompanied(due.id, on=date(2026, 12, 3), actor=staff(pk), now=at(3, 11))
    # first person of 2026: rank 1 <= cap 2, funded at 50 EUR
    assert (result.status, result.year, result.funded, result.rank, result.changed,
            result.amount_cents, result.counted_referral_id) == (
        "accompanied", 2026, True, 1, True, 5000, due.id)
    again = mark_accompanied(due.id, on=date(2026, 12, 3), actor=staff(pk), now=at(3, 11, 1))
    assert (again.changed, again.funded, again.rank) == (False, True, 1)
    assert events_of(due.id) == [
        (None, "booked", None, "assistant", "assistant"),
        ("booked", "accompanied", date(2026, 12, 3), f"agent-{pk}@structure.fr", "structure")]
    assert entries(2026) == [(1, "came", due.id, True, 5000)]
    assert referrals_to_confirm(pk, now=at(3, 12)) == []
    [listed] = referrals_of_place(pk)
    assert (listed.status, listed.status_label, listed.accompanied_on, listed.funded,
            listed.rank, listed.recorded_at) == (
        "accompanied", "Accompagné(e)", date(2026, 12, 3), True, 1, at(3, 11))
    assert referrals_of_place(pk, since=date(2026, 12, 4)) == []
    assert [r.id for r in referrals_of_place(pk, since=date(2026, 12, 3))] == [due.id]


def test_only_the_referrals_own_structure_or_an_admin_marks_it(ledger):
    paris_12, bobigny = place_pk(PARIS_12), place_pk(BOBIGNY)
    referral = new_referral("who", paris_12)
    for actor in (staff(bobigny), Actor("assistant", "assistant"), Actor("person", "person")):
        with pytest.raises(NotAllowed) as refused:
            mark_accompanied(referral, on=date(2026, 1, 6), actor=actor, now=paris(2026, 1, 7))
        assert refused.value.message_fr
        with pytest.raises(NotAllowed):
            mark_absent(referral, actor=actor, now=paris(2026, 1, 7))
    with pytest.raises(ReferralNotFound) as missing:
        mark_absent(referral + 1000, actor=ADMIN)
    assert missing.value.message_fr == "Cette orientation n'existe pas."
    assert len(events_of(referral)) == 1 and entries(2026) == []
    assert mark_absent(referral, actor=ADMIN, note="venue ailleurs", now=paris(2026, 1, 7)).changed
    with pytest.raises(ValueError):
        Actor("agent@x.fr", "structure")  # a structure's staff belongs to a place
    with pytest.raises(ValueError):
        Actor("someone", "boss")


def test_the_accompaniment_date_is_not_in_the_future_nor_before_the_referral_and_has_a_rule(ledger):
    pk = place_pk(PARIS_12)
    referral = new_referral("dates", pk, created=paris(2026, 3, 10, 16))
    now = datetime(2026, 3, 20, 23, 30, tzinfo=timezone.utc)  # already 21 March in Paris
    bad = {date(2026, 3, 22): ("in the future", "futur"),
           date(2026, 3, 9): ("before referral", "avant l'orientation (10/03/2026)")}
    for day, (english, french) in bad.items():
        with pytest.raises(InvalidAccompanimentDate) as refused:
            mark_accompanied(referral, on=day, actor=staff(pk), now=now)
        assert english in str(refused.value) and french in refused.value.message_fr
    for not_a_day in (None, "2026-03-12", datetime(2026, 3, 12, 10)):
        with pytest.raises(InvalidAccompanimentDate):
            mark_accompanied(referral, on=not_a_day, actor=staff(pk), now=now)
    assert len(events_of(referral)) == 1
    # the day of the referral and "today" in Paris are both fine
    assert mark_accompanied(referral, on=date(2026, 3, 10), actor=staff(pk), now=now).rank == 1
    assert mark_accompanied(referral, on=date(2026, 3, 21), actor=staff(pk), now=now).changed
    # a year the rules file does not have (2028) is refused with a clear message
    late = new_referral("dates-2028", pk, created=paris(2027, 12, 30))
    with pytest.raises(InvalidAccompanimentDate) as refused:
        mark_accompanied(late, on=date(2028, 1, 3), actor=ADMIN, now=paris(2028, 1, 4))
    assert "no funding rule for 2028" in str(refused.value)
    assert "Aucune règle de financement n'est écrite pour 2028" in refused.value.message_fr
    assert entries(2028) == []


# -- counting: once a person a year, within the cap -------------------------------------------

def test_the_cap_is_reached_mid_year_and_the_next_persons_are_hors_plafond(ledger):
    paris_12, bobigny = place_pk(PARIS_12), place_pk(BOBIGNY)
    people = [("ana", paris_12), ("ben", bobigny), ("chloe", paris_12), ("dan", bobigny)]
    results = []
    for n, (person, pk) in enumerate(people):
        referral = new_referral(person, pk)
        results.append(mark_accompanied(referral, on=date(2026, 2, 2 + n), actor=staff(pk),
                                        now=paris(2026, 2, 10, 9 + n)))
    # cap 2 in 2026: ana and ben funded at 50 EUR; chloe and dan recorded, not funded
    assert [(r.rank, r.funded, r.amount_cents) for r in results] == [
        (1, True, 5000), (2, True, 5000), (3, False, 0), (4, False, 0)]
    assert [(rank, person, funded, amount) for rank, person, _, funded, amount in entries(2026)] == [
        (1, "ana", True, 5000), (2, "ben", True, 5000), (3, "chloe", False, 0), (4, "dan", False, 0)]
    summary = year_summary(2026)
    assert (summary.persons_counted, summary.persons_funded, summary.persons_over_cap,
            summary.amount_cents, summary.cap, summary.rate_cents) == (4, 2, 2, 10000, 2, 5000)
    assert recompute_year(2026, actor=ADMIN, reason="check") == []  # incremental == recompute


def test_ranks_follow_the_time_recorded_not_the_day_of_the_accompaniment(ledger):
    pk = place_pk(PARIS_12)
    early_day, late_day = new_referral("early-day", pk), new_referral("late-day", pk)
    mark_accompanied(late_day, on=date(2026, 3, 1), actor=staff(pk), now=paris(2026, 3, 2))
    mark_accompanied(early_day, on=date(2026, 1, 7), actor=staff(pk), now=paris(2026, 3, 3))
    assert [person for _, person, *_ in entries(2026)] == ["late-day", "early-day"]


def test_a_person_counts_once_a_year_whatever_the_sessions_and_structures_then_again_next_year(ledger):
    paris_12, bobigny = place_pk(PARIS_12), place_pk(BOBIGNY)
    first = new_referral("twice", paris_12, created=paris(2026, 1, 5))
    second = new_referral("twice", bobigny, created=paris(2026, 2, 1))
    next_year = new_referral("twice", bobigny, created=paris(2027, 1, 2))
    mark_accompanied(first, on=date(2026, 1, 6), actor=staff(paris_12), now=paris(2026, 1, 6, 17))
    again = mark_accompanied(second, on=date(2026, 2, 3), actor=staff(bobigny),
                             now=paris(2026, 2, 3, 17))
    # the second structure's session is recorded, the person stays counted once, by the first
    assert (again.changed, again.funded, again.rank, again.counted_referral_id) == (
        True, True, 1, first)
    assert entries(2026) == [(1, "twice", first, True, 5000)]
    assert [(r.id, r.funded) for r in referrals_of_place(bobigny)] == [(next_year, None),
                                                                       (second, None)]
    later = mark_accompanied(next_year, on=date(2027, 1, 4), actor=staff(bobigny),
                             now=paris(2027, 1, 4, 17))
    # 2027 is another year: counted again, at 2027's rate (60 EUR)
    assert (later.year, later.rank, later.funded, later.amount_cents) == (2027, 1, True, 6000)
    assert entries(2027) == [(1, "twice", next_year, True, 6000)]
    assert year_summary(2026).amount_cents == 5000 and year_summary(2027).amount_cents == 6000


def test_corrections_recompute_the_year_and_free_a_funded_place(ledger):
    paris_12, bobigny = place_pk(PARIS_12), place_pk(BOBIGNY)
    ana, ben = new_referral("ana", paris_12), new_referral("ben", bobigny)
    chloe = new_referral("chloe", paris_12)
    for n, (referral, pk) in enumerate([(ana, paris_12), (ben, bobigny), (chloe, paris_12)]):
        mark_accompanied(referral, on=date(2026, 1, 6), actor=staff(pk), now=paris(2026, 1, 6, 14 + n))
    assert [(p, f) for _, p, _, f, _ in entries(2026)] == [("ana", True), ("ben", True), ("chloe", False)]
    # ana was marked by mistake: absent. chloe moves up to rank 2, funded
    result = mark_absent(ana, actor=staff(paris_12), note="erreur de saisie", now=paris(2026, 1, 8))
    assert (result.status, result.year, result.funded, result.changed) == ("absent", None, None, True)
    assert entries(2026) == [(1, "ben", ben, True, 5000), (2, "chloe", chloe, True, 5000)]
    assert mark_absent(ana, actor=staff(paris_12), now=paris(2026, 1, 8, 1)).changed is False
    with session_scope() as session:
        note = session.execute(select(ReferralEvent.note).where(
            ReferralEvent.referral_id == ana, ReferralEvent.to_status == "absent")).scalar_one()
    assert note == "erreur de saisie"
    # she did come after all: recorded again now, so she ranks after chloe: hors plafond
    back = mark_accompanied(ana, on=date(2026, 1, 6), actor=staff(paris_12), now=paris(2026, 1, 9))
    assert (back.rank, back.funded, back.amount_cents) == (3, False, 0)
    # ben's day was really 2027's first week: he leaves 2026 (chloe rank 1, ana rank 2, both
    # funded) and is counted in 2027 at 60 EUR
    moved = mark_accompanied(ben, on=date(2027, 1, 5), actor=staff(bobigny), now=paris(2027, 1, 6))
    assert (moved.year, moved.rank, moved.funded, moved.amount_cents) == (2027, 1, True, 6000)
    assert entries(2026) == [(1, "chloe", chloe, True, 5000), (2, "ana", ana, True, 5000)]
    assert entries(2027) == [(1, "ben", ben, True, 6000)]
    assert [e[:3] for e in events_of(ben)][1:] == [("booked", "accompanied", date(2026, 1, 6)),
                                                  ("accompanied", "accompanied", date(2027, 1, 5))]
    for year in (2026, 2027):
        before = entries(year)
        assert recompute_year(year, actor=ADMIN, reason="check") == [] and entries(year) == before


def test_incremental_counting_always_equals_a_recompute(ledger):
    """150 marks and corrections in a pseudo-random order, with repeated persons, two places,
    two years and `now` sometimes going back: after each, recomputing changes nothing."""
    draw = random.Random(20261123)
    places = [place_pk(PARIS_12), place_pk(BOBIGNY)]
    referrals = [(new_referral(f"p{draw.randrange(30)}", pk, created=paris(2026, 1, 2)), pk)
                 for pk in places for _ in range(25)]
    clock = paris(2027, 2, 1)
    for step in range(150):
        referral, pk = draw.choice(referrals)
        clock += timedelta(minutes=draw.choice([-7, -2, 1, 3, 5]))  # now goes back sometimes
        if draw.random() < 0.2:
            mark_absent(referral, actor=staff(pk), now=clock)
        else:
            day = date(draw.choice([2026, 2027]), 1, draw.randrange(3, 28))
            mark_accompanied(referral, on=day, actor=staff(pk), now=clock)
        for year in (2026, 2027):
            before = entries(year)
            recompute_year(year, actor=ADMIN, reason="check")
            assert entries(year) == before, (step, year)
            ranks = [rank for rank, *_ in before]
            assert ranks == list(range(1, len(ranks) + 1))
            cap = {2026: 2, 2027: 3}[year]
            assert [funded for _, _, _, funded, _ in before] == [r <= cap for r in ranks]
    with session_scope() as session:  # the sequence did count many first accompaniments
        counted = session.execute(select(ReferralEvent.id).where(
            ReferralEvent.from_status != "accompanied",
            ReferralEvent.to_status == "accompanied")).all()
    assert len(counted) > 40


# -- merges -----------------------------------------------------------------------------------

def test_merging_the_sms_and_telegram_keys_of_one_person_counts_them_once(ledger):
    paris_12, bobigny = place_pk(PARIS_12), place_pk(BOBIGNY)
    order = [("sms-key", paris_12), ("tg-key", bobigny), ("xavier", paris_12), ("yasmine", bobigny)]
    ids = {}
    for n, (person, pk) in enumerate(order):
        ids[person] = new_referral(person, pk)
        mark_accompanied(ids[person], on=date(2026, 1, 6), actor=staff(pk),
                         now=paris(2026, 1, 6, 14 + n))
    # before: the same person twice, ranks 1 and 2 funded, xavier and yasmine hors plafond
    assert [(p, f) for _, p, _, f, _ in entries(2026)] == [
        ("sms-key", True), ("tg-key", True), ("xavier", False), ("yasmine", False)]
    for actor in (staff(paris_12), Actor("assistant", "assistant")):
        with pytest.raises(NotAllowed):
            merge_persons("tg-key", "sms-key", actor=actor, reason="même personne")
    result = merge_persons("tg-key", "sms-key", actor=ADMIN, reason="même numéro, deux canaux")
    assert (result.canonical_key, result.years, result.adjustments) == ("sms-key", [2026], [])
    # after: once, by the earlier record; the freed funded place goes to xavier (next by rank)
    assert entries(2026) == [(1, "sms-key", ids["sms-key"], True, 5000),
                             (2, "xavier", ids["xavier"], True, 5000),
                             (3, "yasmine", ids["yasmine"], False, 0)]
    with session_scope() as session:
        assert canonical_key(session, "tg-key") == "sms-key"
        assert canonical_key(session, "sms-key") == "sms-key"
        assert canonical_key(session, "never-seen") == "never-seen"
    # a new accompaniment under the merged key adds nobody
    later = new_referral("tg-key", bobigny, created=paris(2026, 2, 1))
    result = mark_accompanied(later, on=date(2026, 2, 2), actor=staff(bobigny), now=paris(2026, 2, 2, 15))
    assert (result.rank, result.counted_referral_id) == (1, ids["sms-key"])
    assert len(entries(2026)) == 3


def test_merges_chain_and_refuse_self_cycles_unknown_and_already_merged_keys(ledger):
    pk = place_pk(PARIS_12)
    for n, person in enumerate(["a-key", "b-key", "c-key"]):
        referral = new_referral(person, pk, created=paris(2027, 1, 2))
        mark_accompanied(referral, on=date(2027, 1, 4), actor=staff(pk), now=paris(2027, 1, 4, 10 + n))
    merge_persons("a-key", "b-key", actor=ADMIN, reason="doublon")
    merge_persons("b-key", "c-key", actor=ADMIN, reason="doublon")  # a -> b -> c
    with session_scope() as session:
        assert canonical_key(session, "a-key") == "c-key"
    # 2027: one person left, counted by a-key's referral (recorded first), under c-key
    [(rank, person, referral, funded, amount)] = entries(2027)
    assert (rank, person, funded, amount) == (1, "c-key", True, 6000)
    refusals = {("c-key", "c-key"): "itself", ("c-key", "a-key"): "cycle",
                ("a-key", "c-key"): "already merged", ("nobody", "c-key"): "unknown person key"}
    for (source, target), why in refusals.items():
        with pytest.raises(InvalidMerge) as refused:
            merge_persons(source, target, actor=ADMIN, reason="test")
        assert why in str(refused.value) and refused.value.message_fr
    with pytest.raises(InvalidMerge):
        merge_persons("c-key", "b-key", actor=ADMIN, reason="   ")  # a reason is required
    assert len(entries(2027)) == 1


# -- validation: frozen totals, adjustments, never silent -----------------------------------

def test_a_validated_year_changes_only_by_an_admin_and_only_through_adjustments(ledger, tmp_path,
                                                                               monkeypatch):
    paris_12, bobigny = place_pk(PARIS_12), place_pk(BOBIGNY)
    ana, ben, chloe = (new_referral(p, pk) for p, pk in
                       [("ana", paris_12), ("ben", bobigny), ("chloe", paris_12)])
    for n, (referral, pk) in enumerate([(ana, paris_12), (ben, bobigny), (chloe, paris_12)]):
        mark_accompanied(referral, on=date(2026, 3, 2), actor=staff(pk), now=paris(2026, 3, 2, 14 + n))
    late = new_referral("dora", bobigny)
    # ben came again in April at Paris 12e: recorded, but he is counted by his March session
    ben_again = new_referral("ben", paris_12, created=paris(2026, 4, 1))
    mark_accompanied(ben_again, on=date(2026, 4, 2), actor=staff(paris_12), now=paris(2026, 4, 2, 17))
    with pytest.raises(NotAllowed):
        validate_year(2026, actor=staff(paris_12))
    with pytest.raises(UnknownYear):
        validate_year(2031, actor=ADMIN)
    summary = validate_year(2026, actor=ADMIN, now=paris(2027, 1, 15))
    # ana and ben funded (cap 2): 2 persons, 100 EUR
    assert (summary.validated_persons, summary.validated_amount_cents, summary.validated_by,
            summary.validated_at) == (2, 10000, ADMIN.name, paris(2027, 1, 15))
    with pytest.raises(YearValidated) as twice:
        validate_year(2026, actor=ADMIN)
    assert "déjà été validé" in twice.value.message_fr
    # a structure can change nothing of 2026 any more: no correction, no late confirmation
    for attempt in (lambda: mark_absent(ana, actor=staff(paris_12), now=paris(2027, 1, 16)),
                    lambda: mark_accompanied(ana, on=date(2026, 3, 3), actor=staff(paris_12),
                                             now=paris(2027, 1, 16)),
                    lambda: mark_accompanied(late, on=date(2026, 12, 20), actor=staff(bobigny),
                                             now=paris(2027, 1, 16))):
        with pytest.raises(YearValidated) as refused:
            attempt()
        assert "validé" in refused.value.message_fr
    assert mark_absent(late, actor=staff(bobigny), now=paris(2027, 1, 16)).changed  # no year
    assert adjustments(2026) == [] and len(events_of(ana)) == 2
    assert_adjustments_add_up(2026)

    # the admin corrects ana (absent): chloe takes her funded place -> -1 ana, +1 chloe
    result = mark_absent(ana, actor=ADMIN, note="erreur", now=paris(2027, 1, 20))
    assert result.adjustments == 2
    assert adjustments(2026) == [("ana", paris_12, -1, -5000), ("chloe", paris_12, 1, 5000)]
    assert_adjustments_add_up(2026)
    # a late confirmation by the admin: dora ranks 3, hors plafond -> no adjustment
    result = mark_accompanied(late, on=date(2026, 12, 20), actor=ADMIN, now=paris(2027, 1, 21))
    assert (result.rank, result.funded, result.adjustments) == (3, False, 0)
    # ben's March session turns out to be an absence; his April one (Paris 12e) counts: chloe
    # rank 1, ben rank 2, both still funded, but ben's place changes -> -1 at Bobigny, +1 at
    # Paris 12e
    mark_absent(ben, actor=ADMIN, now=paris(2027, 1, 22))
    assert adjustments(2026)[2:] == [("ben", bobigny, -1, -5000), ("ben", paris_12, 1, 5000)]
    assert_adjustments_add_up(2026)
    # the rules change (cap 3 for 2026): recomputing funds dora, one more adjustment
    wider = write_rules(tmp_path, SMALL_RULES.replace("cap_persons: 2", "cap_persons: 3"), "wider.yml")
    monkeypatch.setenv("NPT_FUNDING_RULES", wider)
    made = recompute_year(2026, actor=ADMIN, reason="plafond relevé à 3", now=paris(2027, 2, 1))
    assert [(a.person_key, a.persons_delta, a.amount_cents_delta) for a in made] == [("dora", 1, 5000)]
    assert made[0].reason == "Recalcul de 2026 : plafond relevé à 3"
    assert_adjustments_add_up(2026)
    summary = year_summary(2026)
    assert (summary.validated_persons, summary.adjustments_persons, summary.persons_funded,
            summary.amount_cents) == (2, 1, 3, 15000)
    # a merge in a validated year is an adjustment too: chloe is dora -> dora's place freed
    merge_persons("dora", "chloe", actor=ADMIN, reason="même personne", now=paris(2027, 2, 2))
    assert adjustments(2026)[-1] == ("dora", bobigny, -1, -5000)
    assert_adjustments_add_up(2026)


def test_validating_a_year_leaves_other_years_open_and_a_late_confirmation_adds_up(ledger):
    pk = place_pk(PARIS_12)
    referral = new_referral("other-year", pk, created=paris(2027, 1, 2))
    validate_year(2026, actor=ADMIN, now=paris(2027, 1, 3))
    result = mark_accompanied(referral, on=date(2027, 1, 3), actor=staff(pk), now=paris(2027, 1, 3, 15))
    assert (result.year, result.funded, result.adjustments) == (2027, True, 0)
    assert adjustments(2026) == [] and year_summary(2026).validated_persons == 0
    # 2027 validated with that one person; a late confirmation the admin records there is
    # funded (rank 2 <= cap 3): +1 person, +60 EUR, as an adjustment
    validate_year(2027, actor=ADMIN, now=paris(2028, 1, 10))
    late = new_referral("late-2027", place_pk(BOBIGNY), created=paris(2027, 12, 1))
    with pytest.raises(YearValidated):
        mark_accompanied(late, on=date(2027, 12, 2), actor=staff(place_pk(BOBIGNY)),
                         now=paris(2028, 1, 11))
    result = mark_accompanied(late, on=date(2027, 12, 2), actor=ADMIN, now=paris(2028, 1, 11))
    assert (result.rank, result.funded, result.adjustments) == (2, True, 1)
    assert adjustments(2027) == [("late-2027", place_pk(BOBIGNY), 1, 6000)]
    assert_adjustments_add_up(2027)


# -- the audit log is append-only ------------------------------------------------------------

def test_every_change_is_in_the_audit_log_which_the_database_keeps_append_only(ledger):
    pk = place_pk(PARIS_12)
    referral = new_referral("logged", pk)
    mark_accompanied(referral, on=date(2026, 1, 6), actor=staff(pk), now=paris(2026, 1, 6, 15))
    mark_absent(referral, actor=staff(pk), note="pas venue finalement", now=paris(2026, 1, 7))
    mark_accompanied(referral, on=date(2026, 1, 8), actor=ADMIN, note="venue le 8",
                     now=paris(2026, 1, 9))
    events = audit_events(referral_id=referral)
    assert [(e.at, e.actor, e.actor_role, e.from_status, e.to_status, e.accompanied_on, e.note)
            for e in events] == [
        (paris(2026, 1, 9), ADMIN.name, "admin", "absent", "accompanied", date(2026, 1, 8), "venue le 8"),
        (paris(2026, 1, 7), f"agent-{pk}@structure.fr", "structure", "accompanied", "absent", None,
         "pas venue finalement"),
        (paris(2026, 1, 6, 15), f"agent-{pk}@structure.fr", "structure", "booked", "accompanied",
         date(2026, 1, 6), None),
        (paris(2026, 1, 5, 10), "assistant", "assistant", None, "booked", None, None)]
    assert (events[0].from_label, events[0].to_label) == ("Absent(e)", "Accompagné(e)")
    assert len(audit_events(limit=2)) == 2
    for statement in ("UPDATE referral_events SET actor = 'someone else'",
                      "DELETE FROM referral_events"):
        with pytest.raises(DatabaseError, match="append-only"):
            with session_scope() as session:
                session.execute(text(statement))
    assert len(audit_events(referral_id=referral)) == 4
