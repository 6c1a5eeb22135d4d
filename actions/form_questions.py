"""Which question a form asks after its validation, so that the validation itself asks it.

Rasa runs a form's validation action, then the `action_ask_<slot>` of the slot it requests: two
calls to the action server, each carrying the whole conversation. The diagnostic and booking
forms have no ask action in the domain; their validation works out here the slot Rasa's
`FormAction` (rasa/core/actions/forms.py, 3.6) will request and asks it in the same call.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType

from actions.interruptions import answering

REQUESTED_SLOT = "requested_slot"


def slots_after(tracker: Tracker, events: List[EventType]) -> Dict[str, Any]:
    """The conversation's slots once `events` are applied."""
    slots = dict(tracker.slots)
    slots.update({e["name"]: e.get("value") for e in events if e.get("event") == "slot"})
    return slots


def slot_to_ask(events: List[EventType], tracker: Tracker, domain: Dict[Text, Any],
                form: Text) -> Text | None:
    """The slot the form requests once the validation returned `events`; None when it asks
    nothing: the form ends, or it rejects the message (the rules answer it, and the question
    comes when the form resumes).

    Like `FormAction`: an answer to the question of the active form that sets no slot but
    `requested_slot` is rejected (never a message that activates the form); the form ends when
    the last `requested_slot` set is None; otherwise it requests the first `requested_slot` set,
    or, when none is, the first required slot still empty.
    """
    active = (tracker.active_loop or {}).get("name") == form
    if active and answering(tracker, form) and not any(
            e.get("event") == "slot" and e.get("name") != REQUESTED_SLOT for e in events):
        return None
    requested = [e.get("value") for e in events
                 if e.get("event") == "slot" and e.get("name") == REQUESTED_SLOT]
    if requested and requested[-1] is None:
        return None
    if requested and requested[0]:
        return requested[0]
    slots = slots_after(tracker, events)
    required = ((domain.get("forms") or {}).get(form) or {}).get("required_slots") or []
    return next((slot for slot in required if slots.get(slot) is None), None)
