"""Booking at partner places: free slots, book, move, cancel, referrals and reminders made with
the booking, seats never oversold (SQLite and PostgreSQL).

The real France Services directory is seeded and the demo partners (data/partners/demo.yml)
loaded; "now" is fixed, on Tuesday 1 December 2026, Europe/Paris.
"""
from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta

import opening_hours
import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from bot.booking.bookings import active_bookings, cancel, find_booking, forget_contact, move
from bot.booking.errors import (AlreadyBooked, BookingNotActive, BookingNotFound,
                                PlaceNotBookable, SlotFull, SlotUnavailable)
from bot.booking.rules import booking_rules
from bot.booking.slots import bookable, free_slots
from bot.booking import bookings as bookings_module
from bot.booking.partners.closures import add_closure
from bot.db.models import Place, SlotSeats
from bot.db.session import alembic_config, get_engine, session_scope, upgrade
from bot.places import DEFAULT_SOURCE
from bot.referrals import ReferralStatus, referrals_of
from bot.notifications.outbox import NotificationStatus, notifications_of_booking
from tests.support.booking import (BOBIGNY, DIAGNOSIS, NOT_A_PARTNER, NOW, PARIS_11, PARIS_12,
                                   SAINT_DENIS, at, book_for, place_pk, prepare, race)


def all_slots(place: int, now: datetime = NOW, **filters):
    return free_slots(place, now, limit=10_000, **filters)


# -- free slots ------------------------------------------------------------------------------

def test_the_earliest_slots_come_first_at_least_two_hours_ahead(demo):
    now = at(1, 10, 10)
    slots = free_slots(place_pk(PARIS_12), now)
    assert [s.start for s in slots] == [at(1, 12, 15), at(1, 14, 0), at(1, 14, 45)]
    assert all(s.end - s.start == timedelta(minutes=45) and s.seats_left == 1 for s in slots)
    assert all(s.start.tzinfo is not None and s.start.utcoffset() == timedelta(hours=1) for s in slots)


def test_no_slot_is_in_the_past_or_beyond_the_21_day_horizon(demo):
    rules = booking_rules()
    assert (rules.horizon_days, rules.min_lead_hours) == (21, 2)
    slots = all_slots(place_pk(BOBIGNY))
    assert min(s.start for s in slots) >= NOW + timedelta(hours=2)
    assert max(s.start for s in slots) <= NOW + timedelta(days=21)
    # the horizon's last weekday (Tuesday 22 December) is offered up to 9:00, the time of "now"
    assert at(22, 9) in {s.start for s in slots} and at(22, 10) not in {s.start for s in slots}


def test_every_slot_of_every_demo_partner_is_inside_the_places_real_opening_hours(demo):
    with session_scope(demo) as session:
        places = session.execute(select(Place).where(Place.partner.is_(True))).scalars().all()
        hours = {p.pk: opening_hours.OpeningHours(p.horaires) for p in places}
    assert len(hours) == 6
    for pk, oh in hours.items():
        slots = all_slots(pk)
        assert slots, pk
        for slot in slots:
            begin = slot.start.replace(tzinfo=None)
            change = oh.next_change(begin)
            assert oh.is_open(begin) and change >= slot.end.replace(tzinfo=None), (pk, slot)


def test_closures_and_public_holidays_offer_no_slot(demo):
    paris_12, bobigny = place_pk(PARIS_12), place_pk(BOBIGNY)
    assert any(s.start.date() == date(2026, 12, 3) for s in all_slots(paris_12))
    add_closure(f"{DEFAULT_SOURCE}:{PARIS_12}", date(2026, 12, 3), date(2026, 12, 4), "Inventaire")
    days = {s.start.date() for s in all_slots(paris_12)}
    assert date(2026, 12, 3) not in days and date(2026, 12, 4) not in days
    assert date(2026, 12, 2) in days and date(2026, 12, 7) in days
    # the demo file closes Paris 12e from 24 December to 2 January
    days = {s.start.date() for s in all_slots(paris_12, now=at(20, 9))}
    assert date(2026, 12, 23) in days and date(2027, 1, 4) in days
    assert not [d for d in days if date(2026, 12, 24) <= d <= date(2027, 1, 2)]
    # Christmas and New Year's Day are Fridays: Bobigny, open Monday to Friday, is closed
    days = {s.start.date() for s in all_slots(bobigny, now=at(20, 9))}
    assert date(2026, 12, 24) in days and date(2026, 12, 31) in days
    assert date(2026, 12, 25) not in days and date(2027, 1, 1) not in days


def test_part_of_day_filters(demo):
    paris_11, saint_denis = place_pk(PARIS_11), place_pk(SAINT_DENIS)
    morning = all_slots(saint_denis, part_of_day="matin")
    afternoon = all_slots(saint_denis, part_of_day="apres-midi")
    evening = all_slots(saint_denis, part_of_day="soir")
    assert morning and all(s.start.hour < 12 for s in morning)
    assert afternoon and all(12 <= s.start.hour < 18 for s in afternoon)
    assert evening and all(s.start.hour >= 18 for s in evening)
    assert {s.start.weekday() for s in evening} == {0, 4}  # Saint-Denis stays open late Mo and Fr
    assert len(morning) + len(afternoon) + len(evening) == len(all_slots(saint_denis))
    assert [s.start for s in free_slots(paris_11, NOW, part_of_day="soir")] == [
        at(1, 18, 15), at(2, 18, 15), at(3, 18, 15)]
    with pytest.raises(ValueError):
        free_slots(paris_11, NOW, part_of_day="nuit")


def test_weekday_date_and_later_filters(demo):
    pk = place_pk(PARIS_12)
    slots = all_slots(pk, exclude_weekdays=frozenset({0, 1, 2}))
    assert slots and {s.start.weekday() for s in slots} == {3, 4}
    friday = all_slots(pk, on_date=date(2026, 12, 4))
    assert [s.start for s in friday] == [at(4, 10), at(4, 10, 45), at(4, 11, 30)]
    assert all_slots(pk, on_date=date(2026, 12, 6)) == []  # a Sunday
    assert all_slots(pk, on_date=date(2027, 2, 1)) == []   # beyond the horizon
    later = free_slots(pk, NOW, after=at(3, 17))
    assert later[0].start == at(4, 10)


def test_a_place_that_is_not_a_bookable_partner_offers_nothing_and_refuses_bookings(demo):
    other = place_pk(NOT_A_PARTNER)
    assert not bookable(other)
    assert free_slots(other, NOW) == []
    with pytest.raises(PlaceNotBookable):
        book_for("p1", other, at(3, 10))
    assert bookable(place_pk(PARIS_12))


# -- booking ---------------------------------------------------------------------------------

def test_booking_confirms_the_slot_and_records_the_referral_and_the_reminder(demo):
    pk = place_pk(PARIS_12)
    booking = book_for("person-1", pk, at(3, 10), diagnosis={**DIAGNOSIS, "diagnostic_id": None},
                       first_name="  Awa ")
    assert re.fullmatch(f"[{booking_rules().reference_alphabet}]{{6}}", booking.reference)
    assert (booking.place_name, booking.address, booking.phone) == (
        "France services Pimms Médiation Paris 12ème - Sud-Est",
        "181 Avenue Daumesnil, 75012 Paris 12e", "+33144672700")
    assert (booking.start, booking.end) == (at(3, 10), at(3, 10, 45))
    assert (booking.first_name, booking.status, booking.channel) == ("Awa", "booked", "twilio_sms")
    assert "une pièce d'identité" in booking.what_to_bring
    # the seat is taken: the slot is no longer offered
    assert at(3, 10) not in {s.start for s in all_slots(pk)}
    [referral] = referrals_of("person-1")
    assert (referral.status, referral.booking_id, referral.place_pk) == (ReferralStatus.BOOKED, booking.id, pk)
    assert (referral.level, referral.services, referral.grid_version) == (
        "eloigne", ["Aide aux démarches administratives"], "1")
    assert (referral.channel, referral.oriented_by, referral.slot_start) == ("twilio_sms", "assistant", at(3, 10))
    assert referral.status.label == "Rendez-vous pris"
    [reminder] = notifications_of_booking(booking.id)
    assert reminder.status == NotificationStatus.PENDING
    assert reminder.due_at == at(2, 18)  # the evening before, 18:00


def test_a_booking_made_after_the_reminder_time_gets_no_reminder(demo):
    booking = book_for("late", place_pk(PARIS_12), at(2, 10), now=at(1, 19))
    assert notifications_of_booking(booking.id) == []


def test_booking_refuses_times_that_are_not_free_slots(demo):
    pk = place_pk(PARIS_12)
    refused = {
        "past": at(1, 8), "less than 2 hours ahead": at(1, 10), "not on the grid": at(3, 10, 10),
        "Sunday": at(6, 10), "beyond the horizon": at(29, 10), "lunch break": at(3, 13, 15),
    }
    for why, start in refused.items():
        with pytest.raises(SlotUnavailable):
            book_for(f"p-{why}", pk, start)
    add_closure(str(pk), date(2026, 12, 8), date(2026, 12, 8), "Travaux")
    with pytest.raises(SlotUnavailable, match="closed"):
        book_for("p-closed", pk, at(8, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        book_for("p-naive", pk, datetime(2026, 12, 3, 10))
    assert referrals_of("p-past") == [] and active_bookings("p-closed", NOW) == []


def test_one_open_booking_per_person_and_place(demo):
    paris_12, saint_denis = place_pk(PARIS_12), place_pk(SAINT_DENIS)
    first = book_for("person-2", paris_12, at(3, 10))
    with pytest.raises(AlreadyBooked) as refused:
        book_for("person-2", paris_12, at(7, 10))
    assert refused.value.booking.reference == first.reference
    assert at(7, 10) in {s.start for s in all_slots(paris_12)}  # no seat was taken
    elsewhere = book_for("person-2", saint_denis, at(3, 9, 30))
    assert [b.reference for b in active_bookings("person-2", NOW)] == [elsewhere.reference, first.reference]
    # once the first appointment is over, the person may book there again
    again = book_for("person-2", paris_12, at(10, 10), now=at(3, 11))
    assert again.reference != first.reference
    # and after a cancellation too
    cancel(again.id, person_key="person-2", now=at(3, 11))
    book_for("person-2", paris_12, at(10, 10), now=at(3, 11))


def test_references_are_unique_and_a_collision_is_drawn_again(demo, monkeypatch):
    pk = place_pk(BOBIGNY)
    draws = iter(["AAAAAA", "AAAAAA", "AAAAAA", "CCCCCC"])
    drawn = bookings_module.new_reference
    monkeypatch.setattr(bookings_module, "new_reference", lambda rules: next(draws))
    first = book_for("ref-1", pk, at(2, 9))
    second = book_for("ref-2", pk, at(2, 10))
    assert (first.reference, second.reference) == ("AAAAAA", "CCCCCC")
    monkeypatch.setattr(bookings_module, "new_reference", drawn)
    references = {book_for(f"many-{i}", pk, s.start).reference for i, s in enumerate(all_slots(pk)[:25])}
    assert len(references) == 25


def test_find_booking_reads_a_reference_as_people_type_it(demo):
    booking = book_for("person-3", place_pk(PARIS_12), at(3, 10))
    ref = booking.reference
    for typed in (ref, ref.lower(), f" {ref[:3]}-{ref[3:]} ", f"{ref[:2]} {ref[2:4]} {ref[4:]}"):
        assert find_booking(typed).id == booking.id
    assert find_booking("ZZZZZZ") is None and find_booking("") is None
    cancel(booking.id, person_key="person-3", now=NOW)
    assert find_booking(ref).status == "cancelled"


# -- moving and cancelling -------------------------------------------------------------------

def test_moving_frees_the_old_seat_and_keeps_the_reference(demo):
    pk = place_pk(PARIS_12)
    booking = book_for("mover", pk, at(3, 10))
    with pytest.raises(SlotFull):
        book_for("someone", pk, at(3, 10))
    moved = move(booking.id, person_key="mover", new_start=at(7, 14), now=NOW)
    assert (moved.id, moved.reference, moved.start, moved.status) == (booking.id, booking.reference, at(7, 14), "booked")
    free = {s.start for s in all_slots(pk)}
    assert at(3, 10) in free and at(7, 14) not in free
    assert book_for("someone", pk, at(3, 10)).start == at(3, 10)
    [referral] = referrals_of("mover")
    assert (referral.slot_start, referral.status) == (at(7, 14), ReferralStatus.BOOKED)
    old, new = notifications_of_booking(booking.id)
    assert (old.status, old.due_at) == (NotificationStatus.CANCELLED, at(2, 18))
    assert (new.status, new.due_at) == (NotificationStatus.PENDING, at(6, 18))
    with session_scope() as session:
        assert sum(session.execute(select(SlotSeats.taken)).scalars()) == 2


def test_a_move_that_cannot_be_made_changes_nothing(demo):
    pk = place_pk(PARIS_12)
    booking = book_for("mover-2", pk, at(3, 10))
    book_for("other", pk, at(7, 10))
    with pytest.raises(SlotFull):
        move(booking.id, person_key="mover-2", new_start=at(7, 10), now=NOW)
    with pytest.raises(SlotUnavailable):
        move(booking.id, person_key="mover-2", new_start=at(6, 10), now=NOW)
    with pytest.raises(BookingNotFound):
        move(booking.id, person_key="not-the-owner", new_start=at(8, 10), now=NOW)
    [still] = active_bookings("mover-2", NOW)
    assert still.start == at(3, 10)
    assert [r.status for r in notifications_of_booking(booking.id)] == [NotificationStatus.PENDING]
    assert move(booking.id, person_key="mover-2", new_start=at(3, 10), now=NOW).start == at(3, 10)
    with pytest.raises(BookingNotActive):  # the appointment has begun
        move(booking.id, person_key="mover-2", new_start=at(8, 10), now=at(3, 10, 5))


def test_cancelling_frees_the_seat_and_cancels_referral_and_reminder(demo):
    pk = place_pk(PARIS_12)
    booking = book_for("canceller", pk, at(3, 10))
    with pytest.raises(BookingNotFound):
        cancel(booking.id, person_key="someone-else", now=NOW)
    cancelled = cancel(booking.id, person_key="canceller", now=NOW)
    assert cancelled.status == "cancelled"
    assert at(3, 10) in {s.start for s in all_slots(pk)}
    assert referrals_of("canceller")[0].status == ReferralStatus.CANCELLED
    assert [r.status for r in notifications_of_booking(booking.id)] == [NotificationStatus.CANCELLED]
    assert active_bookings("canceller", NOW) == []
    assert cancel(booking.id, person_key="canceller", now=NOW).status == "cancelled"  # twice: same
    with session_scope() as session:
        assert session.execute(select(SlotSeats.taken)).scalar_one() == 0
    # the structure cancels (no person key); a booking already begun cannot be cancelled
    other = book_for("canceller-2", pk, at(3, 10))
    with pytest.raises(ValueError):
        cancel(other.id, person_key=None, now=NOW)
    assert cancel(other.id, person_key=None, by="structure", now=NOW).status == "cancelled"
    last = book_for("canceller-3", pk, at(3, 10, 45))
    with pytest.raises(BookingNotActive):
        cancel(last.id, person_key="canceller-3", now=at(3, 11))


def test_a_collective_workshop_takes_six_people_then_is_full(demo):
    pk = place_pk(PARIS_11)
    saturday = at(5, 9, 30)
    [workshop] = [s for s in all_slots(pk, on_date=date(2026, 12, 5))]
    assert (workshop.start, workshop.end, workshop.seats_left, workshop.collective) == (
        saturday, at(5, 11, 30), 6, True)
    for n in range(6):
        booking = book_for(f"learner-{n}", pk, saturday, agenda_id=workshop.agenda_id)
        assert booking.collective and booking.agenda_label.startswith("Atelier collectif")
        left = all_slots(pk, on_date=date(2026, 12, 5))
        assert (left[0].seats_left if left else 0) == 5 - n
    with pytest.raises(SlotFull):
        book_for("learner-7", pk, saturday)


def test_active_bookings_are_the_upcoming_ones_soonest_first(demo):
    later = book_for("busy", place_pk(PARIS_12), at(10, 10))
    sooner = book_for("busy", place_pk(BOBIGNY), at(2, 9))
    gone = book_for("busy", place_pk(SAINT_DENIS), at(3, 9, 30))
    cancel(gone.id, person_key="busy", now=NOW)
    assert [b.id for b in active_bookings("busy", NOW)] == [sooner.id, later.id]
    assert [b.id for b in active_bookings("busy", at(2, 9, 30))] == [later.id]
    assert active_bookings("nobody", NOW) == []


def test_forget_contact_blanks_contact_details_and_keeps_the_pseudonymous_referral(demo):
    booking = book_for("erased", place_pk(PARIS_12), at(3, 10))
    assert forget_contact("erased") == 1
    again = find_booking(booking.reference)
    assert (again.first_name, again.status) == ("", "booked")
    with session_scope() as session:
        row = session.get(bookings_module.BookingRow, booking.id)
        assert row.sender_id is None and row.first_name is None
    assert [r.status for r in notifications_of_booking(booking.id)] == [NotificationStatus.CANCELLED]
    [referral] = referrals_of("erased")
    assert referral.person_key == "erased" and referral.status == ReferralStatus.BOOKED


def test_erasing_a_person_keeps_the_referral_without_its_diagnostic_link(demo):
    from bot.diagnostic import evaluate
    from bot.diagnostic.results import save_result
    from bot.people.privacy import erase_person

    answers = {"equipement": 1, "connexion": 2, "usage": 2, "information": 2, "communication": 2,
               "contenu": 1, "securite": 3, "resolution": 3, "besoin": 1, "contrainte": 1}
    save_result("to-erase", "twilio_sms", evaluate(answers))
    with session_scope() as session:
        from bot.db.models import StoredDiagnostic
        diagnostic_id = session.execute(select(StoredDiagnostic.id)).scalar_one()
    booking = book_for("to-erase", place_pk(PARIS_12), at(3, 10),
                       diagnosis={**DIAGNOSIS, "diagnostic_id": diagnostic_id})
    assert referrals_of("to-erase")[0].diagnostic_id == diagnostic_id
    erase_person("to-erase")
    forget_contact("to-erase")
    [referral] = referrals_of("to-erase")
    assert (referral.diagnostic_id, referral.level, referral.booking_id) == (None, "eloigne", booking.id)
    assert find_booking(booking.reference).first_name == ""


# -- never oversold, on SQLite and PostgreSQL ------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A migrated, empty database: SQLite in a temp dir, or a fresh database on the PostgreSQL
    server of the `postgres_url` fixture (dropped afterwards)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
        upgrade(url)
        yield url
        return
    server = make_url(request.getfixturevalue("postgres_url"))
    name = f"npt_booking_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_twenty_people_booking_the_last_seat_at_once_give_exactly_one_booking(database_url):
    prepare(database_url)
    pk = place_pk(PARIS_11, database_url)
    saturday = at(5, 9, 30)
    for n in range(5):  # five of the workshop's six seats are taken
        book_for(f"early-{n}", pk, saturday, url=database_url)
    results = race(20, lambda i: book_for(f"racer-{i}", pk, saturday, url=database_url))
    booked = [r for r in results if not isinstance(r, Exception)]
    full = [r for r in results if isinstance(r, SlotFull)]
    assert (len(booked), len(full)) == (1, 19), [r for r in results if isinstance(r, Exception)
                                                 and not isinstance(r, SlotFull)]
    with session_scope(database_url) as session:
        assert session.execute(select(SlotSeats.taken)).scalar_one() == 6
    assert free_slots(pk, NOW, on_date=date(2026, 12, 5), url=database_url) == []
    winner = f"racer-{results.index(booked[0])}"
    assert [r.booking_id for r in referrals_of(winner, url=database_url)] == [booked[0].id]


def test_one_person_booking_one_place_from_ten_threads_gets_one_booking(database_url):
    prepare(database_url)
    pk = place_pk(BOBIGNY, database_url)
    starts = [s.start for s in free_slots(pk, NOW, limit=10, url=database_url)]
    results = race(10, lambda i: book_for("impatient", pk, starts[i], url=database_url))
    booked = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, AlreadyBooked)]
    assert (len(booked), len(refused)) == (1, 9), results
    assert {r.booking.reference for r in refused} == {booked[0].reference}
    assert len(active_bookings("impatient", NOW, url=database_url)) == 1
    with session_scope(database_url) as session:  # the refused ones hold no seat
        assert sum(session.execute(select(SlotSeats.taken)).scalars()) == 1


# -- schema ----------------------------------------------------------------------------------

def test_migration_0003_creates_the_booking_tables_and_0002_removes_them(database):
    from alembic import command

    tables = set(inspect(get_engine(database)).get_table_names())
    new = {"agendas", "agenda_hours", "closures", "slot_seats", "bookings", "referrals", "reminders"}
    assert new <= tables
    indexes = {i["name"]: i for i in inspect(get_engine(database)).get_indexes("bookings")}
    assert indexes["uq_bookings_open_person_place"]["unique"]
    command.downgrade(alembic_config(database), "0002")
    assert not new & set(inspect(get_engine(database)).get_table_names())
    upgrade(database)
    assert new <= set(inspect(get_engine(database)).get_table_names())
