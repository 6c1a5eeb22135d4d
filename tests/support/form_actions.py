"""Running a form's actions as the action server runs them: a real `rasa_sdk.Tracker` built
from events (for an answer: `action_listen`, the user message, then the form's own
`requested_slot` and form events), a real `CollectingDispatcher`, and the domain of
domain.yml. Shared by the tests of every form's actions."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.form_questions import slot_to_ask, slots_after

PROJECT = Path(__file__).resolve().parents[2]
DOMAIN: dict[str, Any] = yaml.safe_load((PROJECT / "domain.yml").read_text(encoding="utf-8"))
# Conversation ids as the REST channel names them (`rest:<sender>`).
SENDER, OTHER_SENDER, CHANNEL = "rest:visitor-42", "rest:visitor-99", "rest"
BOOKING, MANAGE = "booking_form", "manage_form"
LISTEN = {"event": "action", "name": "action_listen"}
NO_INTENT = {"name": "nlu_fallback", "confidence": 0.3}


def slots_with(requested: str | None = None, **values: Any) -> dict[str, Any]:
    """Every slot of the domain, as Rasa sends them, with `values` filled in."""
    slots: dict[str, Any] = {name: None for name in DOMAIN["slots"]}
    slots.update(diagnostic_retries=0.0, booking_retries=0.0, manage_retries=0.0,
                 webinar_retries=0.0, booking_prompted=False)
    slots.update(values)
    slots["requested_slot"] = requested
    return slots


def user_event(text: str, intent: dict, entities: list[dict] | None = None,
               channel: str = CHANNEL) -> dict:
    return {"event": "user", "text": text, "input_channel": channel,
            "parse_data": {"text": text, "intent": intent, "entities": entities or []}}


def tracker(events: list[dict], slots: dict[str, Any], text: str, intent: dict,
            entities: list[dict] | None = None, sender: str = SENDER,
            form: str | None = BOOKING) -> Tracker:
    return Tracker(sender, slots, {"text": text, "intent": intent, "entities": entities or []},
                   events, paused=False, followup_action=None,
                   active_loop={"name": form} if form else {},
                   latest_action_name=events[-1].get("name") if events else None)


def answer(text: str, state: dict[str, Any], form: str = BOOKING, intent: str | None = None,
           confidence: float = 0.9, entities: list[dict] | None = None,
           sender: str = SENDER) -> Tracker:
    """The person answers the question `state["requested_slot"]` of `form` with `text`."""
    requested = state.get("requested_slot")
    parsed = {"name": intent, "confidence": confidence} if intent else NO_INTENT
    events = [
        {"event": "action", "name": form},
        {"event": "slot", "name": "requested_slot", "value": requested},
        LISTEN,
        user_event(text, parsed, entities),
        {"event": "slot", "name": "requested_slot", "value": requested},
        {"event": "action", "name": form},
    ]
    values = {k: v for k, v in state.items() if k != "requested_slot"}
    return tracker(events, slots_with(requested, **values), text, parsed, entities, sender, form)


def activation(text: str, intent: str, form: str = BOOKING, sender: str = SENDER,
               **values: Any) -> Tracker:
    """The form starts: nothing requested yet."""
    parsed = {"name": intent, "confidence": 0.95}
    events = [LISTEN, user_event(text, parsed),
              {"event": "slot", "name": "requested_slot", "value": None},
              {"event": "action", "name": form}]
    return tracker(events, slots_with(None, **values), text, parsed, sender=sender, form=form)


def asking(state: dict[str, Any], form: str = BOOKING) -> Tracker:
    """The conversation as a form leaves it after its validation (for the actions that run
    then, such as the end of a booking)."""
    events = [LISTEN, user_event("x", NO_INTENT),
              {"event": "slot", "name": "requested_slot", "value": state.get("requested_slot")},
              {"event": "action", "name": form}]
    values = {k: v for k, v in state.items() if k != "requested_slot"}
    return tracker(events, slots_with(state.get("requested_slot"), **values), "x", NO_INTENT,
                   form=form)


async def run(action, tracker_: Tracker) -> tuple[list[dict], list[dict]]:
    """Run an action; returns (events, messages sent)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, DOMAIN)
    return events, dispatcher.messages


def said_by(ask: Callable[[CollectingDispatcher, str, dict[str, Any]], object]
            ) -> Callable[[str, dict[str, Any]], list[dict]]:
    """`ask(dispatcher, slot, slots)` as a function of (slot, slots) to the messages it says."""
    def asked(slot: str, slots: dict[str, Any]) -> list[dict]:
        dispatcher = CollectingDispatcher()
        ask(dispatcher, slot, slots)
        return dispatcher.messages
    return asked


async def validate_form(action, tracker_: Tracker, form: str,
                        ask: Callable[[str, dict[str, Any]], list[dict]]
                        ) -> tuple[list[dict], list[dict]]:
    """Runs the validation of a form that asks its own questions: (events, what it said before
    its question). When the form goes on and its reading did not already say the question (the
    booking form's `booking_prompted`), the validation's last messages must be the next question,
    as `ask(slot, slots)` words it."""
    events, sent = await run(action, tracker_)
    slot = slot_to_ask(events, tracker_, DOMAIN, form)
    said_already = bool(events) and events[-1] == SlotSet("booking_prompted", False) and bool(
        slots_after(tracker_, events[:-1]).get("booking_prompted"))
    if slot is not None and not said_already:
        question = ask(slot, slots_after(tracker_, events))
        assert question and sent[-len(question):] == question, (sent, question)
        sent = sent[:-len(question)]
    return events, sent


def slot_values(events: list[dict]) -> dict[str, Any]:
    """The slots the events set (the last value wins, as in Rasa)."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(sent: list[dict]) -> list[str | None]:
    return [m.get("text") for m in sent]
