"""The prescripteur mode of a conversation: a typed code opens a session for a limited time; a
new code, the time, or the code's revocation ends it; wrong codes count against the sender; the
SMS to the person and the notice to the prescripteur go to the right conversations."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.notifications.outbox import claim_due, mark_sent
from bot.prescripteurs.mobile import read_mobile
from bot.prescripteurs.organisations import CodeCheck, MAX_FAILURES, add_code, create_organisation, revoke_code
from bot.prescripteurs.rules import PrescripteurRulesError, parse_rules, prescripteur_rules
from bot.prescripteurs.sessions import active_session, end_session, enter, set_first_name, typed_code
from bot.referrals.core import confirm_by_person
from tests.support.booking import NOW, PARIS_12, at, book_for, place_pk


@pytest.mark.parametrize("typed, code", [
    ("K7MQ4XPA2B", "K7MQ4XPA2B"), ("k7mq 4xpa 2b", "K7MQ4XPA2B"), ("code K7MQ-4XPA-2B", "K7MQ4XPA2B"),
    ("Mon code est : K7MQ4XPA2B", "K7MQ4XPA2B"), ("code prescripteur K7MQ4XPA2B", "K7MQ4XPA2B"),
    ("super super", None), ("06 12 34 56 78", None), ("bonjour", None), ("93200", None),
    ("AB12CD", None), ("", None), ("K7MQ4XPA2B " * 20, None), ("je suis prescripteur", None),
])
def test_only_a_message_that_is_a_code_is_read_as_one(typed, code):
    assert typed_code(typed) == code


def test_a_code_opens_a_session_that_lasts_the_configured_time(demo):
    organisation, code = create_organisation("CCAS de Bondy", "ccas", "Bondy", actor="test")
    entry = enter(code.lower(), "tg:42", "telegram", now=NOW)
    assert entry.status is CodeCheck.OK and entry.session.organisation == "CCAS de Bondy"
    assert active_session("tg:42", now=NOW).organisation_id == organisation.id
    assert active_session("tg:43", now=NOW) is None  # another conversation: a citizen's
    set_first_name(entry.session.id, "Karim")
    assert active_session("tg:42", now=NOW).first_name == "Karim"
    minutes = prescripteur_rules().session_minutes
    assert active_session("tg:42", now=NOW + timedelta(minutes=minutes - 1)) is not None
    assert active_session("tg:42", now=NOW + timedelta(minutes=minutes)) is None
    # A new code starts a new session (the first name is asked again).
    again = enter(code, "tg:42", "telegram", now=NOW + timedelta(minutes=minutes))
    assert again.session.first_name is None and again.session.id != entry.session.id
    assert end_session("tg:42") == 1
    assert active_session("tg:42", now=NOW + timedelta(minutes=minutes)) is None


def test_revoking_the_code_ends_its_sessions_but_not_those_of_another_code(demo):
    organisation, first = create_organisation("Paris Habitat Nord", "bailleur_social", "Paris", actor="test")
    second = add_code(None, actor="test", organisation_id=organisation.id)
    enter(first, "web:a", "socketio", now=NOW)
    enter(second, "web:b", "socketio", now=NOW)
    revoke_code(first, actor="test")
    assert active_session("web:a", now=NOW) is None
    assert active_session("web:b", now=NOW) is not None
    assert enter(first, "web:c", "socketio", now=NOW).status is CodeCheck.UNKNOWN


def test_wrong_codes_count_against_the_throttle_key_not_the_conversation(demo):
    _, code = create_organisation("Mairie de Montreuil", "mairie", "Montreuil", actor="test")
    for number in range(MAX_FAILURES):
        # A new web chat session each time, from the same address.
        assert enter("ZZZZZZZZ22", f"web:{number}", "socketio", throttle_key="address:192.0.2.7",
                     now=NOW).status is CodeCheck.UNKNOWN
    assert enter(code, "web:new", "socketio", throttle_key="address:192.0.2.7",
                 now=NOW).status is CodeCheck.THROTTLED
    assert enter(code, "web:new", "socketio", throttle_key="address:192.0.2.8",
                 now=NOW).status is CodeCheck.OK


def test_the_person_gets_the_sms_and_the_prescripteur_the_confirmation(demo):
    _, code = create_organisation("La Poste Bercy", "la_poste", "Paris", actor="test")
    session = enter(code, "tg:77", "telegram", now=NOW).session
    person = read_mobile("06 12 34 56 70")
    booking = book_for(person.person_key, place_pk(PARIS_12), at(3, 10),
                       sender_id=f"sms:{person.e164}", oriented_by="prescripteur",
                       organisation_id=session.organisation_id, prescripteur_session_id=session.id)
    [sms] = claim_due(now=NOW + timedelta(seconds=1))
    assert (sms.kind, sms.sender_id, sms.channel) == ("prescripteur_booked", f"sms:{person.e164}",
                                                       "twilio_sms")
    assert confirm_by_person(booking.id, person.person_key, "twilio_sms", now=NOW)
    [notice] = claim_due(now=NOW + timedelta(seconds=2))
    assert (notice.kind, notice.sender_id, notice.channel) == ("person_confirmed", "tg:77", "telegram")


def test_a_person_without_a_mobile_gets_no_message_at_all(demo):
    _, code = create_organisation("Mission locale Bercy", "mission_locale", "Paris", actor="test")
    session = enter(code, "tg:78", "telegram", now=NOW).session
    book_for("paper-person", place_pk(PARIS_12), at(3, 10, 45), sender_id="",
             organisation_id=session.organisation_id, prescripteur_session_id=session.id)
    assert claim_due(now=NOW + timedelta(days=10)) == []


@pytest.mark.parametrize("raw", [{"session_minutes": 0}, {"session_minutes": "long"}, ["x"]])
def test_a_wrong_session_time_names_the_setting(raw):
    with pytest.raises(PrescripteurRulesError, match="prescripteurs.yml"):
        parse_rules(raw)


def test_the_prescripteur_hears_the_outcome_after_the_appointment(demo):
    from datetime import date

    from bot.funding import mark_absent, mark_accompanied
    from bot.funding.actors import Actor
    from bot.referrals.core import referrals_of

    _, code = create_organisation("CCAS de Paris 12", "ccas", "Paris", actor="test")
    session = enter(code, "tg:79", "telegram", now=NOW).session
    person = read_mobile("06 12 34 56 71")
    book_for(person.person_key, place_pk(PARIS_12), at(3, 10), sender_id=f"sms:{person.e164}",
             organisation_id=session.organisation_id, prescripteur_session_id=session.id)
    [sms] = claim_due(now=NOW + timedelta(seconds=1))  # the person's SMS
    mark_sent(sms.id, now=NOW + timedelta(seconds=1))
    [referral] = referrals_of(person.person_key)
    staff = Actor("staff@pimms.example", "structure", place_pk(PARIS_12))
    mark_accompanied(referral.id, on=date(2026, 12, 3), actor=staff, now=at(3, 12))
    # Said after the appointment (the others would have expired), to the prescripteur.
    [notice] = claim_due(now=at(3, 12, 1))
    assert (notice.kind, notice.sender_id) == ("referral_outcome", "tg:79")
    mark_sent(notice.id, now=at(3, 12, 1))
    mark_absent(referral.id, actor=staff, now=at(3, 13))  # a correction: told again
    [again] = claim_due(now=at(3, 13, 1))
    assert again.kind == "referral_outcome"
    # A citizen's own booking tells no prescripteur.
    citizen = read_mobile("06 12 34 56 72")
    book_for(citizen.person_key, place_pk(PARIS_12), at(3, 10, 45), sender_id=f"sms:{citizen.e164}")
    [own] = referrals_of(citizen.person_key)
    mark_accompanied(own.id, on=date(2026, 12, 3), actor=staff, now=at(3, 12))
    assert [job.kind for job in claim_due(now=at(3, 12, 2))] == []


def test_a_person_oriented_by_two_organisations_is_one_person_in_the_funding(demo):
    from datetime import date

    from bot.funding import mark_accompanied
    from bot.funding.actors import Actor
    from bot.referrals.core import referrals_of
    from tests.support.booking import PARIS_11
    from tests.support.funding import entries

    first, code_a = create_organisation("La Poste Nation", "la_poste", "Paris", actor="test")
    second, code_b = create_organisation("CCAS Paris 11", "ccas", "Paris", actor="test")
    a = enter(code_a, "tg:80", "telegram", now=NOW).session
    b = enter(code_b, "web:81", "socketio", now=NOW).session
    # The same mobile typed at two counters, written differently: one person.
    person_a, person_b = read_mobile("06 12 34 56 73"), read_mobile("+33 6 12 34 56 73")
    assert person_a.person_key == person_b.person_key
    book_for(person_a.person_key, place_pk(PARIS_12), at(3, 10), sender_id=f"sms:{person_a.e164}",
             oriented_by="prescripteur", oriented_by_organisation=first.name,
             organisation_id=first.id, prescripteur_session_id=a.id)
    book_for(person_b.person_key, place_pk(PARIS_11), at(3, 14, 30), sender_id=f"sms:{person_b.e164}",
             oriented_by="prescripteur", oriented_by_organisation=second.name,
             organisation_id=second.id, prescripteur_session_id=b.id)
    referrals = referrals_of(person_a.person_key)
    assert {r.organisation_id for r in referrals} == {first.id, second.id}
    for referral in referrals:
        staff = Actor("staff@example.org", "structure", referral.place_pk)
        mark_accompanied(referral.id, on=date(2026, 12, 3), actor=staff, now=at(3, 18))
    funded = [entry for entry in entries(2026) if entry[3]]
    assert [entry[1] for entry in funded] == [person_a.person_key]  # paid once, for one person


def test_a_prescripteurs_cancellation_tells_the_person_in_its_own_words(demo):
    from bot.booking.bookings import cancel
    from bot.prescripteurs.referrals import upcoming_of_organisation

    organisation, code = create_organisation("La Poste Reuilly", "la_poste", "Paris", actor="test")
    session = enter(code, "tg:82", "telegram", now=NOW).session
    person = read_mobile("06 12 34 56 75")
    booking = book_for(person.person_key, place_pk(PARIS_12), at(3, 10), sender_id=f"sms:{person.e164}",
                       organisation_id=organisation.id, prescripteur_session_id=session.id)
    book_for("someone-else", place_pk(PARIS_12), at(3, 10, 45))
    assert upcoming_of_organisation(organisation.id, NOW) == [booking.id]
    [sms] = claim_due(now=NOW + timedelta(seconds=1))
    mark_sent(sms.id, now=NOW + timedelta(seconds=1))
    cancel(booking.id, person_key=None, by="prescripteur", actor="prescripteur Karim",
           notify_person=True, now=NOW + timedelta(minutes=5))
    [told] = claim_due(now=NOW + timedelta(minutes=6))
    assert (told.kind, told.sender_id) == ("prescripteur_cancelled", f"sms:{person.e164}")
    assert upcoming_of_organisation(organisation.id, NOW) == []
