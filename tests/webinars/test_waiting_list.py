"""A freed seat finds its taker by itself: the first person waiting is offered it, their OUI
takes it, silence passes it to the next, no offer is made once the session is near or begun,
and an offer is never made twice. Reminders, changes and STOP, as the notices' table shows
them (the sending itself is tested with the running assistant)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.clock import PARIS
from bot.people.privacy import record_opt_out
from bot.pseudonyms import conversation_identity, person_key
from bot.webinars.notices import claim_due, notices_of_registration
from bot.webinars.attendees import attendees
from bot.webinars.offers import Taken, expire_offers, offer_free_seats, take_offer
from bot.webinars.registrations import (Outcome, cancel_by_id, register,
                                        registrations_of_conversation)
from bot.webinars.sessions import create_session, edit_session, get_session
from tests.support.booking import race

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)
START = NOW + timedelta(days=10)
LINK = "https://visio.example.org/npt"


def new_session(capacity: int = 1, start: datetime = START):
    return create_session("Présentation aux communes", start, 60, capacity, LINK, actor="test",
                          now=NOW)


def sign_up(session_id: int, who: str, when: datetime = NOW):
    return register(session_id, who.title(), f"{who}@montreuil.fr", "Montreuil", "agent",
                    "telegram", f"tg:{who}", now=when)


def status_of(registration_id: int, session_id: int) -> str:
    from bot.db.models import WebinarRegistration
    from bot.db.session import session_scope

    with session_scope() as session:
        row = session.get(WebinarRegistration, registration_id)
        assert row.session_id == session_id
        return row.status


def kinds(registration_id: int) -> list[tuple[str, str, str]]:
    return [(kind, medium, status) for kind, medium, status, _ in
            notices_of_registration(registration_id)]


def test_a_cancellation_offers_the_seat_to_the_first_waiting_whose_yes_takes_it(database):
    webinar = new_session(capacity=1)
    awa = sign_up(webinar.id, "awa")
    assert awa.outcome is Outcome.REGISTERED
    ines, karim = sign_up(webinar.id, "ines"), sign_up(webinar.id, "karim")
    assert (ines.outcome, karim.outcome) == (Outcome.WAITING, Outcome.WAITING)
    # Awa's reminders the day before and the hour before, by chat (no SMTP set here).
    assert [(k, s) for k, m, s in kinds(awa.registration_id)] == [
        ("reminder_day", "pending"), ("reminder_hour", "pending")]

    later = NOW + timedelta(hours=2)
    assert cancel_by_id(awa.registration_id, sender_id="tg:awa", now=later)
    assert [s for _, _, s in kinds(awa.registration_id)] == ["cancelled", "cancelled"]
    # Inès, first waiting, holds the seat; Karim still waits; nobody else can take it.
    assert status_of(ines.registration_id, webinar.id) == "offered"
    assert status_of(karim.registration_id, webinar.id) == "waiting"
    assert get_session(webinar.id).seats_left == 0
    assert sign_up(webinar.id, "zoe", later).outcome is Outcome.WAITING
    [offer] = claim_due(later)
    assert (offer.kind, offer.medium, offer.sender_id) == ("offer", "chat", "tg:ines")
    assert "Répondez OUI avant" in offer.text("chat")
    assert offer.offer_expires_at == later + timedelta(minutes=720)

    # Karim's OUI takes nothing: the offer is not his.
    assert take_offer("tg:karim", later).outcome is Taken.NONE
    taken = take_offer("tg:ines", later + timedelta(minutes=5))
    assert (taken.outcome, taken.title) == (Taken.TAKEN, "Présentation aux communes")
    assert status_of(ines.registration_id, webinar.id) == "registered"
    assert ("reminder_day", "chat", "pending") in kinds(ines.registration_id)
    # A second OUI says the seat is already hers; nothing changes.
    assert take_offer("tg:ines", later + timedelta(minutes=6)).outcome is Taken.ALREADY
    assert get_session(webinar.id).registered == 1


def test_an_offer_not_taken_in_time_passes_to_the_next_and_is_never_made_again(database):
    webinar = new_session(capacity=1)
    awa, ines, karim = (sign_up(webinar.id, who) for who in ("awa", "ines", "karim"))
    cancel_by_id(awa.registration_id, now=NOW)
    assert status_of(ines.registration_id, webinar.id) == "offered"
    deadline = NOW + timedelta(minutes=720)
    # Before the deadline nothing moves; at the deadline the offer expires and Karim is next.
    assert expire_offers(deadline - timedelta(minutes=1)) == 0
    assert expire_offers(deadline) == 1
    assert offer_free_seats(deadline) == 1
    assert status_of(ines.registration_id, webinar.id) == "expired"
    assert [a.email for a in attendees(webinar.id)] == ["karim@montreuil.fr"]
    assert status_of(karim.registration_id, webinar.id) == "offered"
    # Inès's late OUI is told it is too late; her offer is never made again.
    assert take_offer("tg:ines", deadline + timedelta(minutes=1)).outcome is Taken.TOO_LATE
    assert offer_free_seats(deadline + timedelta(minutes=2)) == 0
    # Her offer's notice, not sent before the deadline, is never sent after it.
    assert ("offer", "chat", "cancelled") in kinds(ines.registration_id)


def test_no_offer_near_or_after_the_start_and_an_offer_never_runs_past_it(database):
    start = NOW + timedelta(hours=3)
    webinar = new_session(capacity=1, start=start)
    awa, ines = sign_up(webinar.id, "awa"), sign_up(webinar.id, "ines")
    # Three hours before: the offer's deadline is the start, not twelve hours later.
    cancel_by_id(awa.registration_id, now=NOW)
    [offer] = claim_due(NOW)
    assert offer.offer_expires_at == start
    # Another session: cancelled 20 minutes before the start, no offer (30 minutes needed).
    soon = new_session(capacity=1, start=NOW + timedelta(hours=1))
    first, second = sign_up(soon.id, "karim"), sign_up(soon.id, "zoe")
    cancel_by_id(first.registration_id, now=NOW + timedelta(minutes=40))
    assert status_of(second.registration_id, soon.id) == "waiting"
    assert offer_free_seats(NOW + timedelta(minutes=41)) == 0
    assert offer_free_seats(NOW + timedelta(hours=2)) == 0  # begun
    # A reminder due after the start is never sent.
    assert all(job.kind != "reminder_hour" for job in claim_due(start + timedelta(minutes=1)))


def test_a_stop_silences_reminders_and_offers_but_not_the_answer_to_a_registration(database):
    webinar = new_session(capacity=1)
    awa, ines = sign_up(webinar.id, "awa"), sign_up(webinar.id, "ines")
    record_opt_out(person_key(conversation_identity("tg:ines")))
    cancel_by_id(awa.registration_id, now=NOW)
    assert claim_due(NOW) == []
    assert ("offer", "chat", "skipped_opt_out") in kinds(ines.registration_id)


def test_a_new_time_or_link_tells_every_registrant_and_moves_the_reminders(database):
    webinar = new_session(capacity=1)
    awa, ines = sign_up(webinar.id, "awa"), sign_up(webinar.id, "ines")
    new_start = START + timedelta(days=1, hours=2)
    changed, told = edit_session(webinar.id, "test", start=new_start, now=NOW)
    assert (told, changed.sequence, changed.start) == (2, 1, new_start)
    [day] = [d for k, m, s, d in notices_of_registration(awa.registration_id)
             if k == "reminder_day" and s == "pending"]
    assert day == new_start - timedelta(days=1)
    jobs = claim_due(NOW)
    assert sorted(j.sender_id for j in jobs if j.kind == "changed") == ["tg:awa", "tg:ines"]
    said = next(j for j in jobs if j.kind == "changed").text("chat")
    assert "a changé" in said and "invitation.ics" in said
    # A capacity change alone tells nobody, and a larger room is offered at once.
    _, told = edit_session(webinar.id, "test", capacity=2, now=NOW)
    assert told == 0 and status_of(ines.registration_id, webinar.id) == "offered"
    # Nothing can change once the session has begun.
    from bot.webinars.errors import WebinarError
    with pytest.raises(WebinarError):
        edit_session(webinar.id, "test", link="https://autre.example", now=new_start)


def test_only_this_conversation_cancels_its_registrations(database):
    webinar = new_session(capacity=5)
    awa = sign_up(webinar.id, "awa")
    assert not cancel_by_id(awa.registration_id, sender_id="tg:someone-else", now=NOW)
    assert [r.id for r in registrations_of_conversation("tg:awa", NOW)] == [awa.registration_id]
    assert registrations_of_conversation("tg:someone-else", NOW) == []


def test_racing_yes_and_cancellations_never_hand_out_one_seat_twice(database):
    webinar = new_session(capacity=1)
    awa = sign_up(webinar.id, "awa")
    waiting = [sign_up(webinar.id, f"p{n}") for n in range(6)]
    cancel_by_id(awa.registration_id, now=NOW)
    # Everyone waiting says OUI at once, while the scheduler runs its turn: one seat, one taker.
    moment = NOW + timedelta(minutes=1)
    results = race(7, lambda i: take_offer(f"tg:p{i}", moment) if i < 6
                   else offer_free_seats(moment))
    assert not [r for r in results if isinstance(r, Exception)], results
    taken = [r for r in results[:6] if r.outcome is Taken.TAKEN]
    assert len(taken) == 1 and taken[0].registration_id == waiting[0].registration_id
    assert (get_session(webinar.id).registered, get_session(webinar.id).offered) == (1, 0)


def test_supprimer_cancels_and_blanks_the_registrations_and_the_seat_passes_on(database):
    from bot.people.access import export_person
    from bot.people.identity import person_ref
    from bot.people.privacy import erase_person

    webinar = new_session(capacity=1)
    awa = register(webinar.id, "Awa", "awa@montreuil.fr", "Montreuil", "agent", "telegram",
                   "tg:4242", now=NOW)
    ines = sign_up(webinar.id, "ines")
    key = person_key(conversation_identity("tg:4242"))
    exported = export_person(person_ref("4242", "telegram"))["webinar_registrations"]
    assert [(r["email"], r["status"]) for r in exported] == [("awa@montreuil.fr", "registered")]
    assert erase_person(key).webinar_registrations == 1
    assert status_of(awa.registration_id, webinar.id) == "cancelled"
    assert status_of(ines.registration_id, webinar.id) == "offered"
    from bot.db.models import WebinarRegistration
    from bot.db.session import session_scope
    with session_scope() as session:
        row = session.get(WebinarRegistration, awa.registration_id)
        assert (row.name, row.sender_id, row.token, row.commune_insee) == (
            "(effacé)", None, None, "93048")
        assert "awa" not in row.email
    assert notices_of_registration(awa.registration_id) == []
