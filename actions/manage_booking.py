"""Cancel or move a booking by replying, in the same conversation or days later.

The person is recognised by their channel identity (the pseudonym of the sender), so a new
conversation finds the bookings made in an old one. `manage_form` asks which booking (when
there are several), then what to do: cancel, move (new slots at the same place), or keep.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.booking_form import (ValidateBookingForm, ask_step, now, numbers_phrase,
                                  offer_slots, pick_number)
from actions.common import off_loop, person_key_of
from actions.form_questions import slot_to_ask, slots_after
from actions.interruptions import answering, count_unclear, gives_way
from actions.prescripteur import prescripteur_of
from actions.webinar_cancel import cancel_one
from bot import messages
from bot.booking.bookings import active_bookings, cancel, get_booking
from bot.booking.errors import BookingError, BookingNotActive
from bot.clock import say_slot
from bot.prescripteurs.referrals import upcoming_of_organisation
from bot.prescripteurs.sessions import Session
from bot.text import normalize
from bot.webinars.registrations import registrations_of_conversation

log = logging.getLogger(__name__)

FORM = "manage_form"
CANCEL, MOVE, KEEP = 1, 2, 3
MANAGE_STATE = ["manage_pick", "manage_action", "manage_bookings", "manage_retries",
                "offered_slots", "slot_pick", "place_pick", "moving_booking", "booking_prompted"]
_MOVE_WORDS = {"deplacer", "decaler", "changer", "reporter", "modifier", "avancer", "repousser",
               "deplace", "decale", "change", "reporte", "autre date", "autre jour", "autre heure"}
_CANCEL_WORDS = {"annuler", "annule", "annulez", "supprimer le rdv", "je ne viendrai pas",
                 "je viendrai pas", "je ne peux pas venir", "je peux pas venir"}
_WEBINAR_WORDS = re.compile(r"\b(inscription|inscrit|inscrite|webinaire|webinar|visio|reunion)\b")
_KEEP_WORDS = {"garder", "garde", "gardez", "je garde", "rien", "laisser", "laissez", "non rien"}


def booking_summary(booking) -> dict:
    return {"id": booking.id, "reference": booking.reference, "place_pk": booking.place_pk,
            "name": booking.place_name, "when": say_slot(booking.start),
            "start": booking.start.isoformat(), "phone": booking.phone,
            "first_name": booking.first_name}


def wanted_action(text: str | None) -> int | None:
    """1 cancel, 2 move, 3 keep, from a number or words; None when unclear."""
    words = normalize(text)
    number = pick_number(text, 3)
    if number is not None:
        return number
    found = {CANCEL for w in _CANCEL_WORDS if f" {w} " in f" {words} "}
    found |= {MOVE for w in _MOVE_WORDS if f" {w} " in f" {words} "}
    found |= {KEEP for w in _KEEP_WORDS if f" {w} " in f" {words} "}
    return found.pop() if len(found) == 1 else None


class ValidateManageForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_manage_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        events = await self.read(dispatcher, tracker)
        # The step the form requests next is asked in this same call (actions/form_questions.py).
        step = slot_to_ask(events, tracker, domain, FORM)
        if step == "slot_pick":  # a move: the booking form's question
            events = events + ask_step(dispatcher, step, slots_after(tracker, events))
        elif step is not None:
            ask_manage_step(dispatcher, step, slots_after(tracker, events))
        return events

    async def read(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """The events of the person's latest message (or of the form's activation or return)."""
        requested = tracker.get_slot("requested_slot")
        if requested and not answering(tracker, FORM):
            return [SlotSet("requested_slot", requested)]
        if not requested:
            return await self.start(dispatcher, tracker)
        return await getattr(self, f"read_{requested}")(dispatcher, tracker)

    @staticmethod
    def ended() -> List[EventType]:
        return [SlotSet("manage_retries", 0), SlotSet("requested_slot", None)]

    @staticmethod
    def unclear(dispatcher: CollectingDispatcher, tracker: Tracker, step: str) -> List[EventType]:
        retries = count_unclear(dispatcher, tracker, "manage_retries")
        return [SlotSet("manage_retries", retries), SlotSet("requested_slot", step)]

    async def start(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        session = await prescripteur_of(tracker)
        try:
            if session is not None:
                # A prescripteur manages the bookings their organisation made.
                ids = await off_loop(upcoming_of_organisation, session.organisation_id, now())
                bookings = [b for b in [await off_loop(get_booking, i) for i in ids] if b]
            else:
                bookings = await off_loop(active_bookings, person_key_of(tracker), now())
        except Exception:
            log.exception("could not read the bookings of a person")
            dispatcher.utter_message(text=messages.text("booking_failed"))
            return self.ended()
        if not bookings:
            if session is not None:
                dispatcher.utter_message(text=messages.text("prescripteur_no_booking"))
            elif registrations := await off_loop(registrations_of_conversation,
                                                 tracker.sender_id, now()):
                # "annuler mon inscription" read as an appointment's cancellation, from someone
                # registered for a webinar and with no appointment: the webinar is meant.
                if len(registrations) == 1 and _WEBINAR_WORDS.search(
                        normalize((tracker.latest_message or {}).get("text"))):
                    only = registrations[0]
                    await cancel_one(dispatcher, tracker, {"id": only.id, "title": only.title,
                                                           "when": say_slot(only.start)})
                else:
                    dispatcher.utter_message(text=messages.text("webinar_cancel_hint"))
            else:
                dispatcher.utter_message(response="utter_no_appointment")
            return self.ended()
        summaries = [booking_summary(b) for b in bookings]
        events: List[EventType] = [SlotSet("manage_bookings", summaries), SlotSet("manage_retries", 0)]
        if len(summaries) > 1:
            return events + [SlotSet("requested_slot", "manage_pick")]
        booking = summaries[0]
        dispatcher.utter_message(text=messages.text(
            "prescripteur_manage_one" if session is not None else "manage_one", **booking))
        # "je veux déplacer mon rendez-vous": the wish is already said.
        wish = wanted_action((tracker.latest_message or {}).get("text"))
        if wish == MOVE:
            return events + [SlotSet("manage_pick", booking)] + await self.move(
                dispatcher, booking)
        return events + [SlotSet("manage_pick", booking), SlotSet("requested_slot", "manage_action")]

    async def read_manage_pick(self, dispatcher: CollectingDispatcher,
                               tracker: Tracker) -> List[EventType]:
        bookings = tracker.get_slot("manage_bookings") or []
        choice = pick_number((tracker.latest_message or {}).get("text"), len(bookings))
        if gives_way(tracker, answered=choice is not None):
            return []
        if choice is None:
            return self.unclear(dispatcher, tracker, "manage_pick")
        return [SlotSet("manage_pick", bookings[choice - 1]), SlotSet("manage_retries", 0),
                SlotSet("requested_slot", "manage_action")]

    async def read_manage_action(self, dispatcher: CollectingDispatcher,
                                 tracker: Tracker) -> List[EventType]:
        booking = tracker.get_slot("manage_pick") or {}
        action = wanted_action((tracker.latest_message or {}).get("text"))
        # "annuler" is a command elsewhere; here it is the answer the question asks for.
        if action != CANCEL and gives_way(tracker, answered=action is not None):
            return []
        if action is None:
            return self.unclear(dispatcher, tracker, "manage_action")
        if action == KEEP:
            dispatcher.utter_message(text=messages.text("kept"))
            return [SlotSet("manage_action", "keep")] + self.ended()
        session = await prescripteur_of(tracker)
        if action == MOVE and session is not None:
            # The new slot is the person's choice: cancel, then book again with them.
            dispatcher.utter_message(text=messages.text("prescripteur_no_move"))
            return [SlotSet("manage_action", "keep")] + self.ended()
        if action == MOVE:
            return [SlotSet("manage_action", "move")] + await self.move(dispatcher, booking)
        try:
            if session is not None:
                await self.cancel_for_person(session, int(booking["id"]))
            else:
                await off_loop(cancel, int(booking["id"]), person_key=person_key_of(tracker))
        except BookingError:
            log.info("booking %s was no longer active", booking.get("reference"))
        if session is not None:
            dispatcher.utter_message(text=messages.text("prescripteur_cancelled"))
            return [SlotSet("manage_action", "cancel")] + self.ended()
        dispatcher.utter_message(text=messages.text("cancelled"))
        return [SlotSet("manage_action", "cancel"), SlotSet("booking_outcome", None)] + self.ended()

    @staticmethod
    async def cancel_for_person(session: Session, booking_id: int) -> None:
        """A prescripteur cancels a booking of their organisation (checked again now); the
        person is told on their channel."""
        if booking_id not in await off_loop(upcoming_of_organisation, session.organisation_id,
                                            now(), 1000):
            raise BookingNotActive(f"booking {booking_id} is not an upcoming booking of "
                                   f"organisation {session.organisation_id}")
        await off_loop(cancel, booking_id, person_key=None, by="prescripteur",
                       actor=f"prescripteur {session.first_name or ''} "
                             f"({session.organisation})".replace("  ", " "),
                       notify_person=True)

    async def move(self, dispatcher: CollectingDispatcher, booking: dict) -> List[EventType]:
        place = {"pk": booking["place_pk"], "name": booking["name"], "phone": booking.get("phone")}
        slots = await offer_slots(dispatcher, place)
        slots = [s for s in slots if s["start"] != booking["start"]]
        if not slots:
            dispatcher.utter_message(text=messages.text("move_no_slot", when=booking["when"]))
            return self.ended()
        return [SlotSet("place_pick", place), SlotSet("offered_slots", slots),
                SlotSet("moving_booking", booking["id"]), SlotSet("booking_prompted", False),
                SlotSet("requested_slot", "slot_pick")]

    async def read_slot_pick(self, dispatcher: CollectingDispatcher,
                             tracker: Tracker) -> List[EventType]:
        # The same reading as in the booking form; `moving_booking` makes it a move.
        events = await ValidateBookingForm().read_slot_pick(dispatcher, tracker)
        return events


def ask_manage_step(dispatcher: CollectingDispatcher, step: str, slots: Dict[str, Any]) -> None:
    """Asks which booking (`manage_pick`), or what to do with it (`manage_action`)."""
    if step == "manage_pick":
        bookings = slots.get("manage_bookings") or []
        prescripteur = slots.get("prescripteur_first_name")
        key = "prescripteur_manage_which" if prescripteur else "manage_which"
        dispatcher.utter_message(
            text=messages.text(key, numbers=numbers_phrase(len(bookings))),
            buttons=[{"title": ", ".join(part for part in (
                prescripteur and b.get("first_name"), b["when"], b["name"]) if part),
                "payload": str(n)} for n, b in enumerate(bookings, 1)])
        return
    key = "manage_rephrase" if int(slots.get("manage_retries") or 0) else "manage_action"
    dispatcher.utter_message(text=messages.text(key), buttons=[
        {"title": "Annuler", "payload": "1"}, {"title": "Déplacer", "payload": "2"},
        {"title": "Garder", "payload": "3"}])


class ActionManageDone(Action):
    def name(self) -> Text:
        return "action_manage_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return [SlotSet(slot, None) for slot in MANAGE_STATE]
