"""Messages about a booking pushed by the scheduler into the person's conversation:
the reminder (EXTERNAL_reminder) and a structure's cancellation (EXTERNAL_structure_cancelled)."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import off_loop, person_key_of
from bot.booking import find_booking
from bot.people import is_opted_out
from bot.reminders import compose_cancellation, compose_reminder

log = logging.getLogger(__name__)


def _reference(tracker: Tracker) -> str:
    return str(next((e.get("value") for e in (tracker.latest_message or {}).get("entities") or []
                     if e.get("entity") == "reference"), None) or "")


class ActionSendReminder(Action):
    def name(self) -> Text:
        return "action_send_reminder"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        reference = _reference(tracker)
        booking = await off_loop(find_booking, reference)
        # Checked again at the last moment: a booking cancelled or a STOP sent since the
        # reminder was claimed means silence.
        if booking is None or booking.status != "booked":
            log.info("reminder %s not said: booking gone or cancelled", reference)
            return []
        if await off_loop(is_opted_out, person_key_of(tracker)):
            log.info("reminder %s not said: the person sent STOP", reference)
            return []
        today = datetime.now(booking.start.tzinfo).date()
        dispatcher.utter_message(text=compose_reminder(
            booking.first_name, booking.start, booking.place_name, booking.address,
            booking.reference, today))
        return []


class ActionTellStructureCancelled(Action):
    """The structure cancelled the booking (back-office): the person is told, unless they sent
    STOP since, or erased their data (then the booking has no sender any more)."""

    def name(self) -> Text:
        return "action_tell_structure_cancelled"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        reference = _reference(tracker)
        booking = await off_loop(find_booking, reference)
        if booking is None or booking.status != "cancelled":
            log.info("cancellation %s not said: booking gone or not cancelled", reference)
            return []
        if await off_loop(is_opted_out, person_key_of(tracker)):
            log.info("cancellation %s not said: the person sent STOP", reference)
            return []
        today = datetime.now(booking.start.tzinfo).date()
        dispatcher.utter_message(text=compose_cancellation(
            booking.first_name, booking.start, booking.place_name, booking.address,
            booking.reference, today))
        return []
