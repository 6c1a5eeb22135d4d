"""A booking made by a prescripteur for a person: its referral names the organisation and the
prescripteur, the person's consent says how it was given, and the person's own "OUI" is kept
once, only for their own booking still booked."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.booking.bookings import cancel
from bot.db.models import Person
from bot.db.session import session_scope
from bot.people.privacy import record_consent
from bot.prescripteurs.mobile import read_mobile
from bot.prescripteurs.organisations import create_organisation
from bot.referrals.core import confirm_by_person, referrals_of
from tests.support.booking import NOW, PARIS_12, at, book_for, place_pk


def test_the_referral_names_the_organisation_and_the_person_confirms_it_once(demo):
    organisation, _ = create_organisation("La Poste Bercy", "la_poste", "Paris", actor="test")
    person = read_mobile("06 12 34 56 78")
    record_consent(person.person_key, method=f"prescripteur:{organisation.id}")
    booking = book_for(person.person_key, place_pk(PARIS_12), at(3, 10), sender_id=person.e164,
                       oriented_by="prescripteur", oriented_by_organisation=organisation.name,
                       organisation_id=organisation.id, prescripteur_first_name="Nadia")
    [referral] = referrals_of(person.person_key)
    assert (referral.oriented_by, referral.oriented_by_organisation, referral.organisation_id,
            referral.prescripteur_first_name) == ("prescripteur", "La Poste Bercy",
                                                  organisation.id, "Nadia")
    assert referral.person_confirmed_at is None
    with session_scope() as session:
        stored = session.execute(select(Person).where(
            Person.person_key == person.person_key)).scalar_one()
        assert stored.consent_method == f"prescripteur:{organisation.id}"
        assert stored.consent_at is not None
    # Someone else's "OUI" (another number) confirms nothing.
    assert not confirm_by_person(booking.id, read_mobile("0698765432").person_key, "twilio_sms",
                                 now=NOW)
    assert confirm_by_person(booking.id, person.person_key, "twilio_sms", now=NOW)
    assert not confirm_by_person(booking.id, person.person_key, "twilio_sms",
                                 now=NOW + timedelta(hours=1))  # the first is kept
    [referral] = referrals_of(person.person_key)
    assert (referral.person_confirmed_at, referral.person_confirmed_channel) == (NOW,
                                                                                 "twilio_sms")


def test_a_cancelled_booking_cannot_be_confirmed(demo):
    person = read_mobile("07 81 23 45 67")
    booking = book_for(person.person_key, place_pk(PARIS_12), at(3, 10), sender_id=person.e164)
    cancel(booking.id, person_key=person.person_key, now=NOW)
    assert not confirm_by_person(booking.id, person.person_key, "twilio_sms", now=NOW)
    assert referrals_of(person.person_key)[0].person_confirmed_at is None


def test_a_person_who_consents_themselves_is_recorded_as_such(demo):
    record_consent("self-key")
    with session_scope() as session:
        assert session.get(Person, "self-key").consent_method == "self"
