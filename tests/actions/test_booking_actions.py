"""The Rasa SDK actions of booking, managing a booking and the reminder, run as the action
server runs them.

Each test builds a real `rasa_sdk.Tracker` (for an answer: `action_listen`, the user message,
then the form's own `requested_slot` and form events), a real `CollectingDispatcher` and the
domain of domain.yml, runs one action and checks what a person would notice (messages,
buttons) and what the database keeps. The database is a fresh migrated SQLite file per test
with the real France Services directory and the demo partners of data/partners/demo.yml, as
`prepare` of tests/support/booking.py does. "Now" is the real time: the assertions hold whatever
the day.

Near Saint-Denis (93200) the three places offered are, in order, La Poste de Pierrefitte (not a
partner), La Poste de Saint-Denis (a demo partner: individual agenda, 45 min, 1 seat) and
Villeneuve-la-Garenne (not a partner).
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from sqlalchemy import select

from actions.booking_form import BOOKING_STATE, ActionBookingDone, ValidateBookingForm, ask_step
from actions.manage_booking import ActionManageDone, ValidateManageForm, ask_manage_step
from actions.notifications import ActionSendReminder, ActionTellStructureCancelled
from bot import messages
from bot.booking.bookings import active_bookings, book, cancel, find_booking
from bot.booking.slots import free_slots
from bot.booking.partners.load import load_partners
from bot.clock import say_slot
from bot.db.models import Place
from bot.db.session import get_engine, session_scope
from bot.geo.messages import ask_where
from bot.people.privacy import record_opt_out
from bot.notifications.booking_reminder import NOTIFIER as REMINDER
from bot.places import DEFAULT_SOURCE, seed_default_places
from bot.referrals import ReferralStatus, referrals_of
from tests.support.form_actions import (BOOKING, CHANNEL, DOMAIN, LISTEN, MANAGE, OTHER_SENDER,
                                        SENDER, activation, answer, asking, run, said_by,
                                        slot_values, slots_with, texts, tracker, user_event,
                                        validate_form)

PARIS = ZoneInfo("Europe/Paris")
SECRET = "test-secret-key"  # set by the `database` fixture of conftest.py
DIAGNOSIS = {"id": None, "level": "eloigne",
             "services": ["Aide aux démarches administratives",
                          "Maîtrise des outils numériques du quotidien"],
             "accompaniment": "Accompagnement individuel", "support": [], "grid_version": "1"}
BOOK_DIAGNOSIS = {"level": "eloigne", "services": ["Aide aux démarches administratives"],
                  "grid_version": "1", "diagnostic_id": None}
HELPLINE = "01 70 772 372"
# Demo partners (ids of the France Services file).
SAINT_DENIS, BOBIGNY = "668", "2883"
PIERREFITTE = "France services La Poste de Pierrefitte"  # in the directory, not a partner


# --------------------------------------------------------------------------- fixtures, helpers


@pytest.fixture(autouse=True)
def demo(database) -> str:
    """The migrated database of conftest.py, with the directory and the demo partners."""
    seed_default_places(database)
    load_partners(url=database)
    yield database
    get_engine().dispose()


def key_of(sender: str = SENDER, channel: str = CHANNEL) -> str:
    """The pseudonym, computed independently: HMAC-SHA256("channel:sender") of the sender as
    the client named it (the conversation id without its `rest:` prefix)."""
    raw = sender.split(":", 1)[1]
    return hmac.new(SECRET.encode(), f"{channel}:{raw}".encode(), hashlib.sha256).hexdigest()


def now() -> datetime:
    return datetime.now(PARIS)


def place_pk(place_id: str) -> int:
    with session_scope() as session:
        return session.execute(select(Place.pk).where(Place.source == DEFAULT_SOURCE,
                                                      Place.id == place_id)).scalar_one()


START = {"diagnosis": DIAGNOSIS, "booking_retries": 0, "booking_prompted": False,
         "requested_slot": "where"}


async def validate(tracker_: Tracker) -> tuple[list[dict], list[dict]]:
    """The booking form's validation: (events, what it said before its question)."""
    return await validate_form(ValidateBookingForm(), tracker_, BOOKING, asked)


asked = said_by(ask_step)  # what asking a step says, with these slots


def asked_manage(step_: str, state: dict[str, Any]) -> list[dict]:
    """What the manage form asks: which booking, what to do, or (a move) the booking's slot."""
    return asked(step_, state) if step_ == "slot_pick" else said_by(ask_manage_step)(step_, state)


async def validate_manage(tracker_: Tracker) -> tuple[list[dict], list[dict]]:
    """The manage form's validation: (events, what it said before its question)."""
    return await validate_form(ValidateManageForm(), tracker_, MANAGE, asked_manage)


async def step(state: dict[str, Any], text: str, form: str = BOOKING,
               **kwargs: Any) -> tuple[list[dict], list[dict], dict[str, Any]]:
    """One answer to the validation action of `form`; returns (events, sent, the new state)."""
    if form == BOOKING:
        events, sent = await validate(answer(text, state, form, **kwargs))
    else:
        events, sent = await validate_manage(answer(text, state, form, **kwargs))
    return events, sent, {**state, **slot_values(events)}


async def at_place_pick() -> dict[str, Any]:
    _, _, state = await step(START, "93200")
    assert state["requested_slot"] == "place_pick"
    return state


async def at_slot_pick() -> dict[str, Any]:
    _, _, state = await step(await at_place_pick(), "2")
    assert state["requested_slot"] == "slot_pick"
    return state


async def at_first_name(pick: str = "1") -> dict[str, Any]:
    _, _, state = await step(await at_slot_pick(), pick)
    assert state["requested_slot"] == "first_name"
    return state


def book_for(person: str, place: int, start: datetime, sender: str = SENDER,
             first_name: str = "Awa"):
    return book(person_key=person, sender_id=sender, channel=CHANNEL, place_pk=place,
                start=start, first_name=first_name, diagnosis=BOOK_DIAGNOSIS)


def first_free(place_id: str, index: int = 0):
    return free_slots(place_pk(place_id), now(), limit=index + 1)[index]


# --------------------------------------------------------------------------- the domain


def test_every_booking_action_is_in_the_domain():
    names = {a().name() for a in (ValidateBookingForm, ActionBookingDone, ValidateManageForm,
                                  ActionManageDone, ActionSendReminder)}
    assert names <= set(DOMAIN["actions"])
    assert DOMAIN["forms"][BOOKING]["required_slots"] == ["where", "place_pick", "slot_pick",
                                                          "first_name"]
    # The validation asks each step itself (one call to the action server per turn): no action
    # or response of the domain may ask one instead.
    asking_ = {f"{kind}_ask_{slot}" for kind in ("action", "utter") for form in (BOOKING, MANAGE)
               for slot in DOMAIN["forms"][form]["required_slots"]}
    assert not asking_ & set(DOMAIN["actions"]) and not asking_ & set(DOMAIN["responses"])


# --------------------------------------------------------------------------- activation


async def test_without_a_diagnosis_the_form_points_to_the_map_and_ends():
    events, sent = await validate(activation("je veux un rendez-vous", "request_appointment"))

    assert [m["response"] for m in sent] == ["utter_find_place"]
    assert HELPLINE in DOMAIN["responses"]["utter_find_place"][0]["text"]
    assert events == [SlotSet("requested_slot", None)]


async def test_with_a_diagnosis_the_form_asks_where():
    events, sent = await validate(activation(
        "oui", "affirm", diagnosis=DIAGNOSIS, booking_retries=2.0, booking_prompted=True))

    assert sent == []
    assert events == [SlotSet("booking_retries", 0), SlotSet("booking_prompted", False),
                      SlotSet("requested_slot", "where")]

    said = asked("where", {**START})
    assert said[0]["text"] == ask_where()
    assert said[1]["custom"] == {"data": {"ask_location": True}}  # web chat: share a location


# --------------------------------------------------------------------------- where


async def test_a_postcode_offers_the_three_nearest_places_and_asks_which():
    events, sent, state = await step(START, "93200")

    said = texts(sent)
    assert said[0] == "Merci. Je cherche une aide près de Saint-Denis."
    assert said[1] == messages.text("places_intro")
    assert [t.split("\n")[0].split(" — ")[0] for t in said[2:]] == [
        f"1. {PIERREFITTE}", "2. France services La Poste de Saint-Denis",
        "3. France services Villeneuve-la-Garenne"]
    assert "Tél. " in said[3]
    offered = state["offered_places"]
    assert len(offered) == 3
    # The first bookable place is the demo partner La Poste de Saint-Denis.
    assert [p["bookable"] for p in offered] == [False, True, False]
    assert offered[1]["pk"] == place_pk(SAINT_DENIS)
    assert state["where"]["kind"] == "found" and state["where"]["name"] == "Saint-Denis"
    assert state["where"]["code"] == "93066"
    assert state["requested_slot"] == "place_pick"
    assert state["booking_prompted"] is False and state["where_question"] is None

    said = asked("place_pick", state)
    assert said[0]["text"] == "Quel lieu choisissez-vous ? Répondez 1, 2 ou 3."
    assert said[0]["buttons"] == [{"title": p["name"], "payload": str(n)}
                                   for n, p in enumerate(offered, 1)]


async def test_a_postcode_outside_the_metropole_gives_the_helpline_and_ends():
    events, sent, state = await step(START, "69001")

    said = texts(sent)
    assert len(said) == 2
    assert said[0] == "Le code postal 69001 n'est pas dans la Métropole du Grand Paris."
    assert HELPLINE in said[1] and "Solidarité Numérique" in said[1]
    assert state["where"] == {"kind": "outside"}
    assert state["requested_slot"] is None
    assert "offered_places" not in slot_values(events)


async def test_an_ambiguous_commune_is_asked_about_then_the_answer_resolves_it():
    events, sent, state = await step(START, "neuilly")

    assert len(sent) == 1
    assert sent[0]["text"].startswith("Plusieurs villes portent ce nom : 1 Neuilly-sur-Seine, "
                                      "2 Neuilly-sur-Marne, 3 Neuilly-Plaisance")
    # The question is already said: the validation does not ask it again, only clears the flag.
    assert events == [SlotSet("where_question", "neuilly"), SlotSet("booking_prompted", True),
                      SlotSet("requested_slot", "where"), SlotSet("booking_prompted", False)]

    events, sent, state = await step(state, "1")

    assert sent[0]["text"] == "Merci. Je cherche une aide près de Neuilly-sur-Seine."
    assert state["where"]["name"] == "Neuilly-sur-Seine"
    assert state["where_question"] is None
    assert len(state["offered_places"]) == 3
    assert state["requested_slot"] == "place_pick"


async def test_a_shared_location_finds_the_places_around_it():
    point = [{"entity": "latitude", "value": 48.936}, {"entity": "longitude", "value": 2.357}]
    events, sent, state = await step(START, "/share_location", entities=point)

    assert sent[0]["text"] == ("Merci. Vous êtes près de Saint-Denis, je cherche une aide "
                               "autour de vous.")
    assert len(state["offered_places"]) == 3
    assert place_pk(SAINT_DENIS) in [p["pk"] for p in state["offered_places"]]
    assert state["where"]["lat"] == pytest.approx(48.936)
    assert state["requested_slot"] == "place_pick"


async def test_gibberish_counts_a_retry_and_the_third_brings_a_human():
    events, sent, state = await step(START, "xqzw")

    assert texts(sent) == ["Je ne trouve pas cette ville dans la Métropole du Grand Paris. "
                           "Quel est votre code postal ?"]
    # The rephrase is the question: not asked a second time, the flag cleared.
    assert events == [SlotSet("booking_retries", 1), SlotSet("booking_prompted", False),
                      SlotSet("requested_slot", "where"), SlotSet("booking_prompted", True),
                      SlotSet("booking_prompted", False)]

    events, sent, state = await step({**START, "booking_retries": 2.0}, "xqzw")

    assert texts(sent)[1:] == [messages.text("still_not_understood"), None]
    assert sent[2]["response"] == "utter_human"
    assert state["booking_retries"] == 3 and state["requested_slot"] == "where"


async def test_an_interruption_is_left_to_the_rules():
    events, sent = await validate(answer(
        "t'es un robot ?", START, intent="bot_challenge", confidence=0.95))

    assert events == [] and sent == []


async def test_after_an_interruption_the_question_is_asked_again_without_reading():
    parsed = {"name": "bot_challenge", "confidence": 0.95}
    events = [LISTEN, user_event("93200", parsed), {"event": "action", "name": "utter_iamabot"},
              {"event": "slot", "name": "requested_slot", "value": "where"},
              {"event": "action", "name": BOOKING}]
    result, sent = await validate(tracker(
        events, slots_with("where", diagnosis=DIAGNOSIS), "93200", parsed))

    assert result == [SlotSet("requested_slot", "where")] and sent == []


# --------------------------------------------------------------------------- place_pick


async def test_a_place_that_takes_no_booking_is_explained_and_the_form_ends():
    state = await at_place_pick()
    pierrefitte = state["offered_places"][0]

    events, sent, state = await step(state, "1")

    assert texts(sent) == [
        f"{PIERREFITTE} ne prend pas de rendez-vous par ici. Vous pouvez y aller pendant les "
        "horaires d'ouverture.",
        "Vous pouvez aussi appeler le 01 48 23 50 21 avant de venir."]
    assert state["place_pick"] == pierrefitte
    assert state["requested_slot"] is None
    assert state["booking_outcome"] == "no_booking"  # a "oui" next looks for another place
    assert active_bookings(key_of()) == []


async def test_a_partner_place_offers_its_earliest_free_slots():
    state = await at_place_pick()

    events, sent, state = await step(state, "2")

    assert texts(sent) == ["Voici les prochains rendez-vous libres à France services La Poste "
                           "de Saint-Denis :"]
    offered = state["offered_slots"]
    expected = free_slots(place_pk(SAINT_DENIS), now(), limit=3)
    assert [s["start"] for s in offered] == [s.start.isoformat() for s in expected]
    starts = [datetime.fromisoformat(s["start"]) for s in offered]
    assert len(starts) == 3 and starts == sorted(starts)
    assert all(s.tzinfo is not None and s > now() for s in starts)
    assert [s["label"] for s in offered] == [say_slot(s) for s in starts]
    assert state["place_pick"]["pk"] == place_pk(SAINT_DENIS)
    assert state["requested_slot"] == "slot_pick"

    said = asked("slot_pick", state)
    assert said[0]["text"].startswith("Lequel vous convient ? Répondez 1, 2 ou 3.")
    assert said[0]["buttons"] == [{"title": s["label"], "payload": str(n)}
                                   for n, s in enumerate(offered, 1)]


async def test_a_place_can_be_named_instead_of_numbered():
    events, sent, state = await step(await at_place_pick(), "la poste de saint-denis")

    assert state["place_pick"]["pk"] == place_pk(SAINT_DENIS)
    assert state["requested_slot"] == "slot_pick"


async def test_a_number_out_of_range_is_unclear_and_the_question_rephrased():
    state = await at_place_pick()
    state["offered_places"] = state["offered_places"][1:2]  # only Saint-Denis was offered

    events, sent, state = await step(state, "2")

    assert sent == []
    assert slot_values(events) == {"booking_retries": 1, "booking_prompted": False,
                                   "requested_slot": "place_pick"}
    said = asked("place_pick", state)
    assert said[0]["text"] == ("Je n'ai pas bien compris. Répondez avec le numéro du lieu : 1.")
    assert [b["payload"] for b in said[0]["buttons"]] == ["1"]


# --------------------------------------------------------------------------- slot_pick


async def test_picking_a_slot_asks_the_first_name():
    state = await at_slot_pick()

    events, sent, state = await step(state, "1")

    assert sent == []
    assert state["slot_pick"] == state["offered_slots"][0]
    assert state["requested_slot"] == "first_name"
    said = asked("first_name", state)
    assert texts(said) == [messages.text("first_name")]
    assert active_bookings(key_of()) == []  # nothing booked before the name


async def test_a_morning_wish_offers_morning_slots_only():
    state = await at_slot_pick()

    events, sent, state = await step(state, "plutôt le matin")

    assert texts(sent) == [messages.text("slots_for_wish", wish="le matin")]
    starts = [datetime.fromisoformat(s["start"]) for s in state["offered_slots"]]
    assert len(starts) == 3 and all(s.hour < 12 for s in starts)
    assert state["requested_slot"] == "slot_pick" and "slot_pick" not in slot_values(events)


async def test_not_on_tuesday_offers_no_tuesday():
    state = await at_slot_pick()

    events, sent, state = await step(state, "pas mardi")

    assert texts(sent) == [messages.text("slots_for_wish", wish="un autre jour que le mardi")]
    starts = [datetime.fromisoformat(s["start"]) for s in state["offered_slots"]]
    assert len(starts) == 3 and all(s.weekday() != 1 for s in starts)
    assert state["requested_slot"] == "slot_pick"


async def test_later_offers_slots_after_the_last_one_offered():
    state = await at_slot_pick()
    last = datetime.fromisoformat(state["offered_slots"][-1]["start"])

    events, sent, state = await step(state, "plus tard")

    starts = [datetime.fromisoformat(s["start"]) for s in state["offered_slots"]]
    assert starts and all(s > last for s in starts)


async def test_words_that_say_no_moment_are_unclear():
    events, sent, state = await step(await at_slot_pick(), "bof")

    assert sent == []
    assert slot_values(events) == {"booking_retries": 1, "booking_prompted": False,
                                   "requested_slot": "slot_pick"}
    said = asked("slot_pick", state)
    assert said[0]["text"].startswith("Je n'ai pas bien compris. Répondez 1, 2 ou 3")


# --------------------------------------------------------------------------- first_name, booking


async def test_the_first_name_books_the_slot_and_confirms_it():
    state = await at_first_name()
    chosen = state["slot_pick"]

    events, sent, state = await step(state, "je m'appelle fatima")

    (booking,) = active_bookings(key_of())
    assert state["booking_outcome"] == "booked"  # a "oui" next only acknowledges it
    assert booking.first_name == "Fatima"
    assert booking.start.isoformat() == chosen["start"]
    assert booking.place_pk == place_pk(SAINT_DENIS)
    assert booking.status == "booked" and booking.channel == CHANNEL
    confirmation, bring, reference = texts(sent)
    assert confirmation.startswith(f"C'est réservé, Fatima. Rendez-vous le {chosen['label']}, "
                                   "à France services La Poste de Saint-Denis, ")
    assert booking.address in confirmation
    assert bring.startswith("Apportez : une pièce d'identité")
    assert booking.reference in reference and "ANNULER" in reference
    assert state["first_name"] == "Fatima"
    assert state["requested_slot"] is None and state["moving_booking"] is None
    # The referral is made with the booking, under the pseudonym only.
    (referral,) = referrals_of(key_of())
    assert referral.booking_id == booking.id and referral.status == ReferralStatus.BOOKED
    assert referral.level == "eloigne" and referral.services == DIAGNOSIS["services"]
    # The slot is taken: it is not offered any more.
    assert chosen["start"] not in [s.start.isoformat() for s in
                                   free_slots(place_pk(SAINT_DENIS), now(), limit=10)]


async def test_a_known_first_name_books_right_after_the_slot():
    state = await at_slot_pick()

    events, sent, state = await step({**state, "first_name": "Awa"}, "2")

    (booking,) = active_bookings(key_of())
    assert booking.first_name == "Awa"
    assert booking.start.isoformat() == state["offered_slots"][1]["start"]
    assert texts(sent)[0].startswith("C'est réservé, Awa.")
    assert state["requested_slot"] is None


async def test_a_number_is_not_a_first_name():
    events, sent, state = await step(await at_first_name(), "1234")

    assert sent == []
    assert slot_values(events) == {"booking_retries": 1, "booking_prompted": False,
                                   "requested_slot": "first_name"}
    assert active_bookings(key_of()) == []
    said = asked("first_name", state)
    assert texts(said) == [messages.text("first_name_rephrase")]


async def test_a_slot_taken_meanwhile_is_said_and_fresh_slots_are_offered():
    state = await at_first_name()
    chosen = datetime.fromisoformat(state["slot_pick"]["start"])
    # Someone else takes the only seat of that slot (individual agenda: 1 seat).
    other = book_for(key_of(OTHER_SENDER), place_pk(SAINT_DENIS), chosen, sender=OTHER_SENDER)

    events, sent, state = await step(state, "Fatima")

    assert texts(sent) == ["Désolé, ce rendez-vous n'est plus libre."]
    fresh = state["offered_slots"]
    assert len(fresh) == 3 and chosen.isoformat() not in [s["start"] for s in fresh]
    assert state["requested_slot"] == "slot_pick"
    assert active_bookings(key_of()) == []
    assert [b.reference for b in active_bookings(key_of(OTHER_SENDER))] == [other.reference]


async def test_a_second_booking_at_the_same_place_is_refused_with_the_first_one():
    existing = book_for(key_of(), place_pk(SAINT_DENIS), first_free(SAINT_DENIS, 2).start)
    state = await at_first_name()

    events, sent, state = await step(state, "Fatima")

    assert texts(sent) == [messages.text(
        "already_booked", name="France services La Poste de Saint-Denis",
        when=say_slot(existing.start), reference=existing.reference)]
    assert [b.reference for b in active_bookings(key_of())] == [existing.reference]
    assert state["requested_slot"] is None


async def test_booking_done_forgets_the_booking_conversation_but_not_the_name():
    events, sent = await run(ActionBookingDone(), asking({"first_name": "Fatima"}))

    assert sent == []
    assert events == [SlotSet(slot, None) for slot in BOOKING_STATE]
    assert {"where", "offered_places", "place_pick", "offered_slots", "slot_pick",
            "moving_booking"} <= set(BOOKING_STATE)
    assert "first_name" not in BOOKING_STATE and "diagnosis" not in BOOKING_STATE


# --------------------------------------------------------------------------- manage


def manage_start(text: str = "ANNULER", sender: str = SENDER) -> Tracker:
    return activation(text, "cancel_appointment", form=MANAGE, sender=sender)


async def test_managing_without_a_booking_says_there_is_none():
    events, sent = await validate_manage(manage_start())

    assert [m["response"] for m in sent] == ["utter_no_appointment"]
    assert slot_values(events)["requested_slot"] is None


async def test_managing_one_booking_recalls_it_and_asks_what_to_do():
    booking = book_for(key_of(), place_pk(SAINT_DENIS), first_free(SAINT_DENIS).start)

    events, sent = await validate_manage(manage_start())

    assert texts(sent) == [f"Vous avez rendez-vous le {say_slot(booking.start)}, à France "
                           f"services La Poste de Saint-Denis (référence {booking.reference})."]
    state = slot_values(events)
    assert state["manage_pick"]["reference"] == booking.reference
    assert state["manage_pick"]["id"] == booking.id
    assert state["requested_slot"] == "manage_action"

    said = asked_manage("manage_action", state)
    assert texts(said) == [messages.text("manage_action")]
    assert said[0]["buttons"] == [{"title": "Annuler", "payload": "1"},
                                   {"title": "Déplacer", "payload": "2"},
                                   {"title": "Garder", "payload": "3"}]


async def manage_state() -> tuple[Any, dict[str, Any]]:
    booking = book_for(key_of(), place_pk(SAINT_DENIS), first_free(SAINT_DENIS).start)
    events, _ = await validate_manage(manage_start())
    return booking, slot_values(events)


async def test_answering_1_cancels_the_booking_and_its_referral():
    booking, state = await manage_state()

    events, sent, state = await step(state, "1", form=MANAGE)

    assert texts(sent) == [messages.text("cancelled")]
    assert find_booking(booking.reference).status == "cancelled"
    assert active_bookings(key_of()) == []
    assert [r.status for r in referrals_of(key_of())] == [ReferralStatus.CANCELLED]
    assert booking.start in [s.start for s in free_slots(place_pk(SAINT_DENIS), now(), limit=3)]
    assert state["manage_action"] == "cancel" and state["requested_slot"] is None


async def test_annuler_as_the_answer_cancels_too():
    booking, state = await manage_state()

    await step(state, "annuler", form=MANAGE, intent="cancel_appointment", confidence=0.99)

    assert find_booking(booking.reference).status == "cancelled"


async def test_answering_2_offers_slots_then_1_moves_the_booking():
    booking, state = await manage_state()

    events, sent, state = await step(state, "2", form=MANAGE)

    assert texts(sent) == ["Voici les prochains rendez-vous libres à France services La Poste "
                           "de Saint-Denis :"]
    offered = state["offered_slots"]
    assert offered and booking.start.isoformat() not in [s["start"] for s in offered]
    assert state["moving_booking"] == booking.id
    assert state["requested_slot"] == "slot_pick"

    events, sent, state = await step(state, "1", form=MANAGE)

    moved = find_booking(booking.reference)
    assert moved.id == booking.id and moved.status == "booked"
    assert moved.start.isoformat() == offered[0]["start"] != booking.start.isoformat()
    assert [b.reference for b in active_bookings(key_of())] == [booking.reference]
    assert texts(sent)[0] == messages.text(
        "moved", first_name="Awa", when=offered[0]["label"],
        name="France services La Poste de Saint-Denis", address=moved.address,
        reference=booking.reference)
    (referral,) = referrals_of(key_of())
    assert referral.slot_start == moved.start and referral.status == ReferralStatus.BOOKED
    # The old slot is free again.
    assert booking.start in [s.start for s in free_slots(place_pk(SAINT_DENIS), now(), limit=3)]
    assert state["requested_slot"] is None and state["moving_booking"] is None


async def test_saying_the_move_at_the_start_offers_slots_at_once():
    booking = book_for(key_of(), place_pk(SAINT_DENIS), first_free(SAINT_DENIS).start)

    events, sent = await validate_manage(manage_start("je veux déplacer mon rendez-vous"))

    assert len(sent) == 2 and sent[1]["text"].startswith("Voici les prochains rendez-vous")
    state = slot_values(events)
    assert state["moving_booking"] == booking.id and state["requested_slot"] == "slot_pick"


async def test_answering_3_keeps_the_booking():
    booking, state = await manage_state()

    events, sent, state = await step(state, "3", form=MANAGE)

    assert texts(sent) == [messages.text("kept")]
    assert find_booking(booking.reference).status == "booked"
    assert find_booking(booking.reference).start == booking.start
    assert state["manage_action"] == "keep" and state["requested_slot"] is None


async def test_an_unclear_manage_answer_is_rephrased():
    _, state = await manage_state()

    events, sent, state = await step(state, "bof", form=MANAGE)

    assert sent == []
    assert slot_values(events) == {"manage_retries": 1, "requested_slot": "manage_action"}
    said = asked_manage("manage_action", state)
    assert texts(said) == [messages.text("manage_rephrase")]


async def test_a_person_with_two_bookings_is_asked_which_one():
    first = book_for(key_of(), place_pk(SAINT_DENIS), first_free(SAINT_DENIS).start)
    second = book_for(key_of(), place_pk(BOBIGNY), first_free(BOBIGNY, 2).start)
    ordered = sorted([first, second], key=lambda b: (b.start, b.id))

    events, sent = await validate_manage(manage_start())

    assert sent == []
    state = slot_values(events)
    assert [b["reference"] for b in state["manage_bookings"]] == [b.reference for b in ordered]
    assert state["requested_slot"] == "manage_pick"
    said = asked_manage("manage_pick", state)
    assert texts(said) == [messages.text("manage_which", numbers="1 ou 2")]
    assert said[0]["buttons"] == [
        {"title": f"{say_slot(b.start)}, {b.place_name}", "payload": str(n)}
        for n, b in enumerate(ordered, 1)]

    events, sent, state = await step(state, "2", form=MANAGE)

    assert state["manage_pick"]["reference"] == ordered[1].reference
    assert state["requested_slot"] == "manage_action"

    await step(state, "1", form=MANAGE)

    assert find_booking(ordered[1].reference).status == "cancelled"
    assert find_booking(ordered[0].reference).status == "booked"


async def test_someone_else_cannot_see_or_manage_my_booking():
    book_for(key_of(), place_pk(SAINT_DENIS), first_free(SAINT_DENIS).start)

    events, sent = await validate_manage(manage_start(sender=OTHER_SENDER))

    assert [m["response"] for m in sent] == ["utter_no_appointment"]


async def test_manage_done_forgets_the_manage_conversation():
    events, _ = await run(ActionManageDone(), asking({}, MANAGE))

    assert {e["name"] for e in events} >= {"manage_pick", "manage_action", "manage_bookings",
                                           "offered_slots", "moving_booking"}
    assert all(e["value"] is None for e in events)


# --------------------------------------------------------------------------- reminder


def reminder_tracker(reference: str, sender: str = SENDER) -> Tracker:
    parsed = {"name": "EXTERNAL_reminder", "confidence": 1.0}
    entities = [{"entity": "reference", "value": reference}]
    events = [LISTEN, user_event("EXTERNAL: EXTERNAL_reminder", parsed, entities)]
    return tracker(events, slots_with(None), "EXTERNAL: EXTERNAL_reminder", parsed, entities,
                   form=None, sender=sender)


async def test_a_reminder_of_someone_else_s_booking_says_nothing():
    """Another conversation naming a reference it saw (or guessed) learns nothing: no first
    name, date or address of the booking's owner."""
    booking = book_for(key_of(), place_pk(SAINT_DENIS), first_free(SAINT_DENIS).start,
                       first_name="Fatima")

    for action in (ActionSendReminder(), ActionTellStructureCancelled()):
        events, sent = await run(action, reminder_tracker(booking.reference, OTHER_SENDER))
        assert events == [] and sent == [], action.name()
    _, mine = await run(ActionSendReminder(), reminder_tracker(booking.reference))
    assert "Fatima" in mine[0]["text"]  # its owner still gets it


async def test_the_reminder_names_the_person_the_place_and_the_time():
    booking = book_for(key_of(), place_pk(SAINT_DENIS), first_free(SAINT_DENIS).start,
                       first_name="Fatima")

    events, sent = await run(ActionSendReminder(), reminder_tracker(booking.reference))

    assert events == []
    assert texts(sent) == [REMINDER.compose(
        "Fatima", booking.start, "France services La Poste de Saint-Denis", booking.address,
        booking.reference, datetime.now(booking.start.tzinfo).date())]
    assert sent[0]["text"].startswith("Bonjour Fatima,")
    assert "La Poste de Saint-Denis" in sent[0]["text"]


async def test_a_reference_typed_loosely_is_still_found():
    booking = book_for(key_of(), place_pk(SAINT_DENIS), first_free(SAINT_DENIS).start)
    loose = f"{booking.reference[:3].lower()}-{booking.reference[3:].lower()}"

    _, sent = await run(ActionSendReminder(), reminder_tracker(loose))

    assert len(sent) == 1 and booking.reference in sent[0]["text"]


async def test_no_reminder_for_a_cancelled_booking():
    booking = book_for(key_of(), place_pk(SAINT_DENIS), first_free(SAINT_DENIS).start)
    cancel(booking.id, person_key=key_of())

    events, sent = await run(ActionSendReminder(), reminder_tracker(booking.reference))

    assert events == [] and sent == []


async def test_no_reminder_after_stop():
    booking = book_for(key_of(), place_pk(SAINT_DENIS), first_free(SAINT_DENIS).start)
    record_opt_out(key_of())

    events, sent = await run(ActionSendReminder(), reminder_tracker(booking.reference))

    assert events == [] and sent == []


async def test_no_reminder_for_an_unknown_reference():
    events, sent = await run(ActionSendReminder(), reminder_tracker("XXXXXX"))

    assert events == [] and sent == []


# --------------------------------------------------------------------------- found by these tests


async def test_a_date_wish_is_not_read_as_a_slot_number():
    state = await at_slot_pick()
    offered = len(state["offered_slots"])
    free = free_slots(place_pk(SAINT_DENIS), now(), limit=200)
    # A day numbered like an offered slot (1 to 3) is the trap; any free day when none is.
    wished = next((s.start.date() for s in free if s.start.day <= offered), free[-1].start.date())
    month = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre"][wished.month - 1]

    events, sent, state = await step(state, f"le {wished.day} {month}")

    # Slots on that date are offered; the slot numbered `wished.day` is not taken.
    assert state["requested_slot"] == "slot_pick"
    assert {datetime.fromisoformat(s["start"]).date() for s in state["offered_slots"]} == {wished}


async def test_moving_a_booking_cancelled_meanwhile_does_not_loop():
    booking, state = await manage_state()
    _, _, state = await step(state, "2", form=MANAGE)
    cancel(booking.id, person_key=None, by="structure")  # the place cancels it meanwhile

    events, sent, state = await step(state, "1", form=MANAGE)

    assert find_booking(booking.reference).status == "cancelled"
    assert "n'existe plus" in " ".join(t or "" for t in texts(sent))
    assert state["requested_slot"] is None


# --------------------------------------------------------------------------- after the form


def plain(slots: dict[str, Any], text: str = "bonjour", intent: str = "greet") -> Tracker:
    """A message outside any form."""
    parsed = {"name": intent, "confidence": 0.95}
    return tracker([LISTEN, user_event(text, parsed)], slots, text, parsed, form=None)


async def test_a_filler_while_booking_asks_again_without_counting():
    state = await at_place_pick()

    events, sent, after = await step(state, "merci", intent="goodbye", confidence=0.97)

    assert after["requested_slot"] == "place_pick"
    assert int(after.get("booking_retries") or 0) == 0
    assert "Au revoir" not in " ".join(t or "" for t in texts(sent))


async def test_welcome_says_hello_or_resumes_what_was_paused():
    from actions.welcome import ActionWelcome

    fresh = plain(slots_with(None))
    _, sent = await run(ActionWelcome(), fresh)
    assert [m.get("response") for m in sent] == ["utter_welcome"]

    midway = plain(slots_with(None, consent="1", equipement="1", connexion="2"))
    _, sent = await run(ActionWelcome(), midway)
    assert texts(sent) == [messages.text("welcome_back")]

    paused = plain(slots_with(None, booking_outcome="paused", diagnosis=DIAGNOSIS))
    events, sent = await run(ActionWelcome(), paused)
    assert texts(sent) == [messages.text("welcome_back")]
    assert events == []  # the rule goes on by the slot; the booking form sets it again


async def test_goodbye_while_booking_keeps_the_result_for_the_next_hello():
    from actions.booking_form import ActionBookingPaused

    events, _ = await run(ActionBookingPaused(), plain(slots_with(
        "place_pick", diagnosis=DIAGNOSIS, where={"kind": "found"})))
    values = slot_values(events)
    assert values["booking_outcome"] == "paused" and values["where"] is None


async def test_yes_after_a_booking_acknowledges_it():
    from actions.welcome import ActionAfterBooking

    _, sent = await run(ActionAfterBooking(), plain(slots_with(None, booking_outcome="booked")))
    assert texts(sent) == [messages.text("after_booking")]
