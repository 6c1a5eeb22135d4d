"""Which question a form asks after its validation (actions/form_questions.py): the same slot
Rasa's FormAction requests, so that the validation can ask it itself."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.form_questions import slot_to_ask, slots_after

FORM = "booking_form"
DOMAIN = {"forms": {FORM: {"required_slots": ["where", "place_pick", "slot_pick"]}}}
LISTEN = {"event": "action", "name": "action_listen"}


def tracker(answering: bool, active: bool | None = None, **slots) -> Tracker:
    """The form's validation runs after the person's answer to its question (the form active,
    the latest action `action_listen`), or at its return after an interruption (the latest
    action is not `action_listen`), or at its activation (not active yet)."""
    events = ([LISTEN, {"event": "user", "text": "x"}] if answering
              else [LISTEN, {"event": "user", "text": "x"}, {"event": "action", "name": "utter_x"}])
    events.append({"event": "action", "name": FORM})
    values = {"where": None, "place_pick": None, "slot_pick": None, "requested_slot": None, **slots}
    active = answering if active is None else active
    return Tracker("rest:a", values, {"text": "x"}, events, False, None,
                   {"name": FORM} if active else {}, "action_listen")


def test_an_answer_that_fills_nothing_is_rejected_and_nothing_is_asked():
    assert slot_to_ask([], tracker(True, requested_slot="where"), DOMAIN, FORM) is None
    only_requested = [SlotSet("requested_slot", "where")]
    assert slot_to_ask(only_requested, tracker(True, requested_slot="where"), DOMAIN, FORM) is None


def test_a_message_that_activates_the_form_is_never_rejected():
    """A rule may run the form right after the person's message: Rasa validates it at the
    activation without rejecting, and asks."""
    events = [SlotSet("requested_slot", "where")]
    assert slot_to_ask(events, tracker(True, active=False), DOMAIN, FORM) == "where"


def test_the_form_ends_when_the_last_requested_slot_set_is_none():
    events = [SlotSet("where", {"kind": "outside"}), SlotSet("requested_slot", None)]
    assert slot_to_ask(events, tracker(True, requested_slot="where"), DOMAIN, FORM) is None


def test_the_slot_the_validation_requests_is_asked():
    events = [SlotSet("where", {"kind": "found"}), SlotSet("requested_slot", "place_pick")]
    assert slot_to_ask(events, tracker(True, requested_slot="where"), DOMAIN, FORM) == "place_pick"
    # Asked again after an interruption: the form's return is not an answer, never rejected.
    again = [SlotSet("requested_slot", "where")]
    assert slot_to_ask(again, tracker(False, requested_slot="where"), DOMAIN, FORM) == "where"


def test_without_a_requested_slot_the_first_empty_required_slot_is_asked():
    events = [SlotSet("where", {"kind": "found"})]
    assert slot_to_ask(events, tracker(True, requested_slot="where"), DOMAIN, FORM) == "place_pick"
    assert slot_to_ask([], tracker(False), DOMAIN, FORM) == "where"
    filled = tracker(False, where={}, place_pick={}, slot_pick={})
    assert slot_to_ask([], filled, DOMAIN, FORM) is None


def test_the_slots_after_the_events_are_the_trackers_with_the_events_applied():
    slots = slots_after(tracker(True, requested_slot="where", where="x"),
                        [SlotSet("where", None), SlotSet("requested_slot", "where")])
    assert slots["where"] is None and slots["requested_slot"] == "where"
