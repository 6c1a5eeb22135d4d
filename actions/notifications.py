"""The messages the assistant sends on its own, said in the conversation they are for: the
scheduler pushes a notifier's external intent (bot/notifications/sender.py) and its action here
says the text on that channel, like any reply. One action per notifier of
bot/notifications/registry.py: `_Notice` for those told to the person of a booking,
`_PrescripteurNotice` for those told to the prescripteur who made it."""
from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import off_loop, person_key_of
from bot.booking.bookings import find_booking
from bot.clock import now_paris
from bot.notifications.booking_reminder import NOTIFIER as REMINDER
from bot.notifications.notifier import Notifier
from bot.notifications.person_confirmed import NOTIFIER as PERSON_CONFIRMED
from bot.notifications.prescripteur_booked import NOTIFIER as PRESCRIPTEUR_BOOKED
from bot.notifications.prescripteur_cancelled import NOTIFIER as PRESCRIPTEUR_CANCELLED
from bot.notifications.referral_outcome import NOTIFIER as REFERRAL_OUTCOME
from bot.notifications.rules import notification_rules
from bot.notifications.structure_cancelled import NOTIFIER as STRUCTURE_CANCELLED
from bot.people.privacy import is_opted_out
from bot.prescripteurs.referrals import origin_of_booking

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
        origin = await off_loop(origin_of_booking, booking.id)
        dispatcher.utter_message(text=self.notifier.compose(
            booking.first_name, booking.start, booking.place_name, booking.address,
            booking.reference, today, organisation=origin.organisation if origin else "",
            bring=", ".join(booking.what_to_bring)))
        return self.said()

    def said(self) -> List[EventType]:
        """Slots set once the notice was said."""
        return []


class ActionSendReminder(_Notice):
    """The reminder, the day before."""

    notifier = REMINDER


class ActionTellStructureCancelled(_Notice):
    """The structure cancelled the booking (back-office): the person is told, unless they sent
    STOP since, or erased their data (then the booking has no sender any more)."""

    notifier = STRUCTURE_CANCELLED


class ActionTellPrescripteurBooked(_Notice):
    """A prescripteur booked for this person: the SMS with who, when, where, what to bring, and
    "Répondez OUI pour confirmer"; their next "oui" is that confirmation
    (data/rules/prescripteur.yml)."""

    notifier = PRESCRIPTEUR_BOOKED

    def said(self) -> List[EventType]:
        return [SlotSet("booking_outcome", "to_confirm")]


class ActionTellPrescripteurCancelled(_Notice):
    """The prescripteur who booked for this person cancelled it: the person is told."""

    notifier = PRESCRIPTEUR_CANCELLED


class _PrescripteurNotice(Action, metaclass=ABCMeta):
    """Said in the prescripteur's conversation about a booking they made: only for a booking made
    in a session of this very conversation, and not after the prescripteur's own STOP."""

    @property
    @abstractmethod
    def notifier(self) -> Notifier:
        """Each subclass names its notifier."""

    def name(self) -> Text:
        return self.notifier.action

    def outcome(self, status: str) -> str | None:
        """The words of the referral's outcome; None when there is nothing to say."""
        return ""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        booking = await off_loop(find_booking, _reference(tracker))
        origin = await off_loop(origin_of_booking, booking.id) if booking else None
        if (booking is None or origin is None
                or origin.prescripteur_conversation != tracker.sender_id
                or booking.status != self.notifier.booking_status):
            log.info("%s not said: not a booking of this prescripteur's session",
                     self.notifier.kind)
            return []
        outcome = self.outcome(origin.status)
        if outcome is None or await off_loop(is_opted_out, person_key_of(tracker)):
            return []
        today = now_paris().astimezone(booking.start.tzinfo).date()
        dispatcher.utter_message(text=self.notifier.compose(
            booking.first_name, booking.start, booking.place_name, booking.address,
            booking.reference, today, organisation=origin.organisation, outcome=outcome))
        return []


class ActionTellPersonConfirmed(_PrescripteurNotice):
    """The person confirmed by SMS the booking the prescripteur made."""

    notifier = PERSON_CONFIRMED


class ActionTellReferralOutcome(_PrescripteurNotice):
    """The structure recorded whether the person came: said as it stands when said (a
    correction since says the corrected outcome)."""

    notifier = REFERRAL_OUTCOME

    def outcome(self, status: str) -> str | None:
        return notification_rules().outcome_words.get(status)
