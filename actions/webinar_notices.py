"""What the scheduler says about a webinar on its own (bot/webinars/sender.py pushes
`EXTERNAL_webinar_notice`): a reminder, the offer of a freed seat, a change. Only a notice being
sent right now to this very conversation is said; after the person's STOP, nothing. The
person's OUI to an offer takes the seat (`action_take_webinar_offer`)."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_form import now
from actions.common import off_loop, person_key_of
from bot import messages
from bot.clock import say_slot
from bot.mailer import email_enabled
from bot.people.privacy import is_opted_out
from bot.webinars.links import invitation_url
from bot.webinars.notices import notice_for_conversation
from bot.webinars.offers import Taken, take_offer

log = logging.getLogger(__name__)


def _notice_id(tracker: Tracker) -> int | None:
    value = next((e.get("value") for e in (tracker.latest_message or {}).get("entities") or []
                  if e.get("entity") == "webinar_notice"), None)
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


class ActionWebinarNotice(Action):
    def name(self) -> Text:
        return "action_webinar_notice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        notice_id = _notice_id(tracker)
        job = (await off_loop(notice_for_conversation, notice_id, tracker.sender_id)
               if notice_id is not None else None)
        if job is None:
            log.info("webinar notice %s not said: not one being sent to this conversation",
                     notice_id)
            return []
        if await off_loop(is_opted_out, person_key_of(tracker)):
            log.info("webinar notice %s not said: the person sent STOP", notice_id)
            return []
        dispatcher.utter_message(text=job.text("chat"))
        if job.kind != "offer":
            return []
        # The next "oui" takes the seat: a citizen's booking state (whose "oui" means
        # something else) is set aside, so that one rule only reads it.
        return [SlotSet("webinar_offer_open", True), SlotSet("booking_outcome", None)]


class ActionTakeWebinarOffer(Action):
    """The person's OUI after an offer: the seat is theirs if the offer is still open."""

    def name(self) -> Text:
        return "action_take_webinar_offer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        try:
            taken = await off_loop(take_offer, tracker.sender_id, now())
        except Exception:
            log.exception("taking a webinar offer failed")
            dispatcher.utter_message(text=messages.text("webinar_failed"))
            return []
        values = dict(title=taken.title or "", when=say_slot(taken.start) if taken.start else "",
                      link=taken.link or "")
        if taken.outcome is Taken.TAKEN:
            dispatcher.utter_message(text=messages.text("webinar_offer_taken", **values))
            dispatcher.utter_message(text=messages.text("webinar_invitation",
                                                        ics=invitation_url(taken.token)))
            if email_enabled():
                dispatcher.utter_message(text=messages.text("webinar_email_sent_short"))
        elif taken.outcome is Taken.ALREADY:
            dispatcher.utter_message(text=messages.text("webinar_offer_already", **values))
        elif taken.outcome is Taken.TOO_LATE:
            dispatcher.utter_message(text=messages.text("webinar_offer_too_late", **values))
        else:
            dispatcher.utter_message(text=messages.text("webinar_no_offer"))
        return [SlotSet("webinar_offer_open", None)]
