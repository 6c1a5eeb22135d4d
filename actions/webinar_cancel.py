""""annuler mon inscription": the registrations made from this conversation are cancelled by
chat. One is cancelled at once; with several, the form asks which. A freed seat goes to the
waiting list by itself (bot/webinars/offers.py)."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.booking_form import now, numbers_phrase, pick_number
from actions.common import off_loop
from actions.interruptions import answering, count_unclear, gives_way
from bot import messages
from bot.clock import say_slot
from bot.webinars.registrations import cancel_by_id, registrations_of_conversation

log = logging.getLogger(__name__)
FORM = "webinar_cancel_form"
CANCEL_STATE = ["webinar_cancel_pick", "webinar_cancel_choices", "webinar_retries"]


async def cancel_one(dispatcher: CollectingDispatcher, tracker: Tracker, chosen: dict) -> None:
    try:
        done = await off_loop(cancel_by_id, int(chosen["id"]), sender_id=tracker.sender_id,
                              now=now())
    except Exception:
        log.exception("a webinar cancellation failed")
        dispatcher.utter_message(text=messages.text("webinar_failed"))
        return
    dispatcher.utter_message(text=messages.text(
        "webinar_cancelled" if done else "webinar_nothing_to_cancel", **chosen))


class ValidateWebinarCancelForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_webinar_cancel_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        requested = tracker.get_slot("requested_slot")
        if requested and not answering(tracker, FORM):
            return [SlotSet("requested_slot", requested)]
        if not requested:
            return await self.start(dispatcher, tracker)
        return await self.read_pick(dispatcher, tracker)

    @staticmethod
    def ended() -> List[EventType]:
        return [SlotSet("webinar_retries", 0), SlotSet("requested_slot", None)]

    async def start(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        try:
            mine = await off_loop(registrations_of_conversation, tracker.sender_id, now())
        except Exception:
            log.exception("could not read the webinar registrations of a conversation")
            dispatcher.utter_message(text=messages.text("webinar_failed"))
            return self.ended()
        choices = [{"id": r.id, "title": r.title, "when": say_slot(r.start)} for r in mine]
        if not choices:
            dispatcher.utter_message(text=messages.text("webinar_nothing_to_cancel_at_all"))
            return self.ended()
        if len(choices) == 1:
            await cancel_one(dispatcher, tracker, choices[0])
            return [SlotSet("webinar_cancel_pick", choices[0])] + self.ended()
        return [SlotSet("webinar_cancel_choices", choices), SlotSet("webinar_retries", 0),
                SlotSet("requested_slot", "webinar_cancel_pick")]

    async def read_pick(self, dispatcher: CollectingDispatcher,
                        tracker: Tracker) -> List[EventType]:
        choices = tracker.get_slot("webinar_cancel_choices") or []
        number = pick_number((tracker.latest_message or {}).get("text"), len(choices))
        if gives_way(tracker, answered=number is not None):
            return []
        if number is None:
            retries = count_unclear(dispatcher, tracker, "webinar_retries")
            return [SlotSet("webinar_retries", retries),
                    SlotSet("requested_slot", "webinar_cancel_pick")]
        await cancel_one(dispatcher, tracker, choices[number - 1])
        return [SlotSet("webinar_cancel_pick", choices[number - 1])] + self.ended()


class AskWebinarCancelPick(Action):
    def name(self) -> Text:
        return "action_ask_webinar_cancel_pick"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        choices = tracker.get_slot("webinar_cancel_choices") or []
        dispatcher.utter_message(
            text=messages.text("webinar_cancel_which", numbers=numbers_phrase(len(choices))),
            buttons=[{"title": f"{c['title']}, {c['when']}", "payload": str(n)}
                     for n, c in enumerate(choices, 1)])
        return []


class ActionWebinarCancelDone(Action):
    def name(self) -> Text:
        return "action_webinar_cancel_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        return [SlotSet(slot, None) for slot in CANCEL_STATE]
