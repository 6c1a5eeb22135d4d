"""The prescripteur mode in the conversation: opening it, "mes orientations", and the person's
own "OUI" to a booking a prescripteur made for them.

The mode itself is not in the tracker: a code typed in a channel opens a session in the database
(connectors/gate.py, bot/prescripteurs/sessions.py) and Rasa gets `/prescripteur_start`; every
action asks `prescripteur_of` whether the conversation it serves is a prescripteur's, now.
"""
from __future__ import annotations

import logging
import secrets
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import DIAGNOSTIC_SLOTS, channel_of, off_loop, person_key_of
from bot import messages
from bot.booking.bookings import get_booking
from bot.clock import say_slot
from bot.funnel.starts import record_start
from bot.prescripteurs.mobile import MobileKind, read_mobile
from bot.prescripteurs.referrals import awaiting_confirmation, recent_orientations
from bot.prescripteurs.sessions import Session, active_session, had_session
from bot.pseudonyms import conversation_id, person_key
from bot.referrals.core import confirm_by_person
from bot.text import normalize

log = logging.getLogger(__name__)

# What a new person starts without: the previous person's answers, result and booking state.
PERSON_SLOTS = [*DIAGNOSTIC_SLOTS, "person", "person_mobile", "diagnostic_retries",
                "diagnostic_remaining", "diagnostic_level", "diagnostic_services", "diagnosis",
                "where", "where_question", "offered_places", "place_pick", "offered_slots",
                "slot_pick", "first_name", "booking_retries", "booking_prompted",
                "moving_booking", "booking_outcome"]
# "SANS SMS": the person has no mobile (or not one we can text).
WITHOUT_SMS = {"sans sms", "sans", "pas de sms", "sans portable", "pas de portable",
               "pas de mobile", "sans mobile", "sans telephone", "pas de telephone",
               "elle n a pas de portable", "il n a pas de portable", "non", "aucun",
               "reserver sans sms", "continuer sans sms"}


# The questions the diagnostic form asks only in prescripteur mode.
PRESCRIPTEUR_STEPS = ("prescripteur_first_name", "person_mobile")


def may_be_prescripteur(tracker: Tracker) -> bool:
    """Whether the conversation may be in prescripteur mode, from what only the mode's own
    actions set (the code just accepted, the prescripteur's first name, a person at the
    counter): only then is the database asked, so a citizen's turn costs no query."""
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    return bool(intent == "prescripteur_start" or tracker.get_slot("prescripteur_first_name")
                or tracker.get_slot("person")
                or tracker.get_slot("requested_slot") in PRESCRIPTEUR_STEPS)


async def prescripteur_of(tracker: Tracker) -> Optional[Session]:
    """The conversation's open prescripteur session, or None (a citizen, or the time is over)."""
    if not may_be_prescripteur(tracker):
        return None
    try:
        return await off_loop(active_session, tracker.sender_id)
    except Exception:  # the database is down: the conversation goes on as a citizen's
        log.exception("could not read the prescripteur session")
        return None


async def count_person(tracker: Tracker, session: Session) -> None:
    """One more person at the counter, for the programme's funnel."""
    try:
        await off_loop(record_start, channel_of(tracker), None, session.organisation_id)
    except Exception:  # only a count is lost
        log.exception("could not count a person at a prescripteur's counter")


def person_done() -> List[EventType]:
    """The person at the counter is booked: the next "bonjour" starts with a new person (their
    consent, mobile and first name are not the next one's)."""
    return [SlotSet(slot, None) for slot in ("consent", "person", "person_mobile", "first_name")]


def new_person() -> List[EventType]:
    """Forget the previous person of the prescripteur's conversation."""
    return [SlotSet(slot, None) for slot in PERSON_SLOTS] + [SlotSet("requested_slot", None)]


def person_from_mobile(text: str, organisation_id: int) -> tuple[str, dict | None]:
    """Read the person's mobile: ("mobile", person) for a French mobile, ("paper", person) for
    "SANS SMS", ("not_mobile", None) for a landline or a foreign number, ("unclear", None)
    otherwise. A person is {"key", "sender_id", "channel"}: with a mobile, the key a text from
    that number would have, so that everything the person texts later is theirs."""
    if normalize(text) in WITHOUT_SMS:
        identity = f"paper:{organisation_id}:{secrets.token_hex(16)}"
        return "paper", {"key": person_key(identity), "sender_id": None, "channel": None}
    check = read_mobile(text)
    if check.kind is MobileKind.MOBILE:
        return "mobile", {"key": check.person_key, "sender_id": conversation_id("twilio_sms", check.e164),
                          "channel": "twilio_sms"}
    if check.kind in (MobileKind.LANDLINE, MobileKind.FOREIGN):
        return "not_mobile", None
    return "unclear", None


class ActionPrescripteurStart(Action):
    """A code opened the prescripteur mode: a new person, and the form asks what is missing
    (the prescripteur's first name once, then the person's consent)."""

    def name(self) -> Text:
        return "action_prescripteur_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        session = await prescripteur_of(tracker)
        if session is None:
            dispatcher.utter_message(text=messages.text("prescripteur_mode_over"))
            return []
        if session.first_name:
            dispatcher.utter_message(text=messages.text(
                "prescripteur_welcome_named", first_name=session.first_name,
                organisation=session.organisation))
        else:
            dispatcher.utter_message(text=messages.text("prescripteur_welcome",
                                                        organisation=session.organisation))
        await count_person(tracker, session)
        return new_person() + [SlotSet("prescripteur_first_name", session.first_name)]


class ActionMyReferrals(Action):
    """"mes orientations": the organisation's latest referrals and where each stands."""

    def name(self) -> Text:
        return "action_my_referrals"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        session = await prescripteur_of(tracker)
        if session is None:
            over = await off_loop(had_session, tracker.sender_id)
            dispatcher.utter_message(text=messages.text(
                "prescripteur_mode_over" if over else "prescripteur_only"))
            return []
        lines = await off_loop(recent_orientations, session.organisation_id)
        if not lines:
            dispatcher.utter_message(text=messages.text("orientations_none"))
            return []
        text = [messages.text("orientations_intro", organisation=session.organisation)]
        for line in lines:
            text.append("- " + messages.text(
                "orientation_line", first_name=line.first_name or "(effacé)",
                when=say_slot(line.start), place=line.place_name, status=line.status_words,
                reference=line.reference, prescripteur=line.prescripteur_first_name or "?"))
        dispatcher.utter_message(text="\n".join(text))
        return []


class ActionPersonConfirms(Action):
    """The person's "OUI" after the SMS of a booking a prescripteur made for them: recorded as
    their own confirmation (bot.referrals.core.confirm_by_person), the prescripteur is told."""

    def name(self) -> Text:
        return "action_person_confirms"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        key = person_key_of(tracker)
        booking_id = await off_loop(awaiting_confirmation, key)
        booking = await off_loop(get_booking, booking_id) if booking_id else None
        if booking is None:
            dispatcher.utter_message(text=messages.text("after_booking"))
            return [SlotSet("booking_outcome", "booked")]
        await off_loop(confirm_by_person, booking.id, key, channel_of(tracker))
        dispatcher.utter_message(text=messages.text(
            "person_confirmed", when=say_slot(booking.start), name=booking.place_name))
        return [SlotSet("booking_outcome", "booked")]
