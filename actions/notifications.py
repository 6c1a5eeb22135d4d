"""The messages the assistant sends on its own, said in the person's conversation: the scheduler
pushes a notifier's external intent (bot/notifications/sender.py) and its action here says the
text on the person's channel, like any reply. One action per notifier of
bot/notifications/registry.py, all alike."""
from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import off_loop, person_key_of
from bot.booking.bookings import find_booking
from bot.clock import now_paris
from bot.notifications.booking_reminder import NOTIFIER as REMINDER
from bot.notifications.notifier import Notifier
from bot.notifications.structure_cancelled import NOTIFIER as STRUCTURE_CANCELLED
from bot.people.privacy import is_opted_out

log = logging.getLogger(__name__)


def _reference(tracker: Tracker) -> str:
    return str(next((e.get("value") for e in (tracker.latest_message or {}).get("entities") or []
                     if e.get("entity") == "reference"), None) or "")


class _Notice(Action, metaclass=ABCMeta):
    """Says a notifier's message, checked again at the last moment: a booking no longer in the
    notifier's status, or a STOP sent since it was queued, means silence."""

    @property
    @abstractmethod
    def notifier(self) -> Notifier:
        """Each subclass names its notifier (abstract here, so the SDK does not register this)."""

    def name(self) -> Text:
        return self.notifier.action

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        reference = _reference(tracker)
        key = person_key_of(tracker)
        kind = self.notifier.kind
        # Only a booking of the person of this conversation is ever said here: a reference
        # typed or forged elsewhere finds nothing (ENGINEERING.md trap 14).
        booking = await off_loop(find_booking, reference, person_key=key)
        if booking is None or booking.status != self.notifier.booking_status:
            log.info("%s not said: no such booking of this person, or not %s", kind,
                     self.notifier.booking_status)
            return []
        if await off_loop(is_opted_out, key):
            log.info("%s %s not said: the person sent STOP", kind, reference)
            return []
        today = now_paris().astimezone(booking.start.tzinfo).date()
        dispatcher.utter_message(text=self.notifier.compose(
            booking.first_name, booking.start, booking.place_name, booking.address,
            booking.reference, today))
        return []


class ActionSendReminder(_Notice):
    """The reminder, the day before."""

    notifier = REMINDER


class ActionTellStructureCancelled(_Notice):
    """The structure cancelled the booking (back-office): the person is told, unless they sent
    STOP since, or erased their data (then the booking has no sender any more)."""

    notifier = STRUCTURE_CANCELLED
