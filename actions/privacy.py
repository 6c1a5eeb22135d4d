"""STOP and SUPPRIMER, honoured at any point of the conversation."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import off_loop, person_key_of
from actions.diagnostic_result import reset_answers
from bot.people.privacy import erase_person, record_opt_out


class ActionStop(Action):
    def name(self) -> Text:
        return "action_stop"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        await off_loop(record_opt_out, person_key_of(tracker))
        return reset_answers()


class ActionDeleteMyData(Action):
    """Erases the person's stored results now; the conversation itself is erased by the
    tracker store when this turn is saved (connectors/tracker_store.py)."""

    def name(self) -> Text:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        await off_loop(erase_person, person_key_of(tracker))
        return [AllSlotsReset(), SlotSet("erase_conversation", True)]
