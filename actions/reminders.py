"""Messages about a booking pushed by the scheduler into the person's conversation:
the reminder (EXTERNAL_reminder) and a structure's cancellation (EXTERNAL_structure_cancelled)."""
from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
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


class _BookingNotice(Action, metaclass=ABCMeta):
    """Says a message about a booking pushed by the scheduler, checked again at the last moment:
    a booking no longer in the expected status, or a STOP sent since it was queued, means
    silence."""

    kind = ""  # for the log
    wanted_status = ""
    compose = staticmethod(compose_reminder)

    @abstractmethod
    def name(self) -> Text:
        """Each notice is its own action (abstract here, so the SDK does not register this)."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        reference = _reference(tracker)
        key = person_key_of(tracker)
        # Only a booking of the person of this conversation is ever said here: a reference
        # typed or forged elsewhere finds nothing (ENGINEERING.md trap 14).
        booking = await off_loop(find_booking, reference, person_key=key)
        if booking is None or booking.status != self.wanted_status:
            log.info("%s not said: no such booking of this person, or not %s", self.kind,
                     self.wanted_status)
            return []
        if await off_loop(is_opted_out, key):
            log.info("%s %s not said: the person sent STOP", self.kind, reference)
            return []
        today = datetime.now(booking.start.tzinfo).date()
        dispatcher.utter_message(text=self.compose(
            booking.first_name, booking.start, booking.place_name, booking.address,
            booking.reference, today))
        return []


class ActionSendReminder(_BookingNotice):
    """The reminder, the day before."""

    kind, wanted_status = "reminder", "booked"
    compose = staticmethod(compose_reminder)

    def name(self) -> Text:
        return "action_send_reminder"


class ActionTellStructureCancelled(_BookingNotice):
    """The structure cancelled the booking (back-office): the person is told, unless they sent
    STOP since, or erased their data (then the booking has no sender any more)."""

    kind, wanted_status = "cancellation", "cancelled"
    compose = staticmethod(compose_cancellation)

    def name(self) -> Text:
        return "action_tell_structure_cancelled"
