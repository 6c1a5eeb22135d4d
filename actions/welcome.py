"""What a "bonjour" or a "oui" means when no question is open.

- `action_welcome`: the welcome, or "Rebonjour, reprenons" when the person paused the
  diagnostic midway (their answers are kept) or said goodbye while booking (their result is
  kept); the rules then open the diagnostic form, which asks the next question not yet
  answered, or the booking form again.
- `action_after_booking`: a "oui" right after a booking was confirmed is an acknowledgement:
  the booking is confirmed again, nothing starts over.
- `action_after_place`: a "oui" after a place that takes no booking (or has no free slot)
  here: the search for another place opens (the booking form asks where again).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import answers_of
from actions.prescripteur import count_person, new_person, prescripteur_of
from bot import messages

CONSENT_YES = "1"


def diagnostic_in_progress(tracker: Tracker) -> bool:
    """Consent given and some questions answered (or, at a prescripteur's counter, the person's
    mobile given), the result not given yet (the result forgets the answers)."""
    return str(tracker.get_slot("consent") or "") == CONSENT_YES and (
        bool(answers_of(tracker)) or bool(tracker.get_slot("person")))


class ActionWelcome(Action):
    def name(self) -> Text:
        return "action_welcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if diagnostic_in_progress(tracker) or tracker.get_slot("booking_outcome") == "paused":
            dispatcher.utter_message(text=messages.text("welcome_back"))
        elif tracker.get_slot("prescripteur_first_name"):
            # A prescripteur's "bonjour" between two people: a new person starts.
            session = await prescripteur_of(tracker)
            if session is not None:
                dispatcher.utter_message(text=messages.text(
                    "prescripteur_welcome_named", first_name=session.first_name or "",
                    organisation=session.organisation))
                await count_person(tracker, session)
                return new_person() + [SlotSet("prescripteur_first_name", session.first_name)]
            dispatcher.utter_message(text=messages.text("prescripteur_mode_over"))
            return new_person() + [SlotSet("prescripteur_first_name", None)]
        else:
            dispatcher.utter_message(response="utter_welcome")
        # `booking_outcome` is left as it is: the rule that called this action goes on by it
        # (data/rules/outside_diagnostic.yml); the booking form sets it again when it ends.
        return []


class ActionAfterBooking(Action):
    def name(self) -> Text:
        return "action_after_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(text=messages.text("after_booking"))
        return []


class ActionAfterPlace(Action):
    def name(self) -> Text:
        return "action_after_place"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(text=messages.text("after_place"))
        return []
