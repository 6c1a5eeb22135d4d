"""From the diagnostic result to a booked appointment: where, which place, which slot, who.

`booking_form` asks, in order: `where` (postcode, commune, arrondissement or a shared
location), `place_pick` (one of the 3 nearest places that fit), `slot_pick` (one of the earliest
free slots, or a wish: "plutôt le matin", "pas mardi") and `first_name`; then it books.
Its validation action does all the reading and the talking (with `bot/`), and asks the next step
itself unless its reading already did: one call to the action server per turn.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.common import channel_of, off_loop, person_key_of
from actions.form_questions import slot_to_ask, slots_after
from actions.interruptions import answering, count_unclear, gives_way, is_filler
from actions.prescripteur import new_person, person_done, prescripteur_of
from bot import messages
from bot.booking.bookings import book, Booking, move
from bot.booking.errors import AlreadyBooked, BookingError, BookingNotFound
from bot.booking.slots import bookable, free_slots
from bot.booking.preferences import Preference, read_preference
from bot.booking.wishes import slots_for_wish
from bot import clock
from bot.clock import say_slot
from bot.choices import read_choice
from bot.geo import AMBIGUOUS, FOUND, OUTSIDE, UNKNOWN, locate, locate_point
from bot.geo.messages import ask_where, render as render_location
from bot.people.first_names import read_first_name
from bot.places.render import format_phone, place_card
from bot.places.search import find_places, nearest_bookable_place, takes_bookings

log = logging.getLogger(__name__)

FORM = "booking_form"
# How the booking conversation ended (slot `booking_outcome`).
BOOKED, NO_BOOKING, PAUSED = "booked", "no_booking", "paused"
# Slots of the booking conversation that are forgotten when it ends.
BOOKING_STATE = ["where", "where_question", "offered_places", "place_pick", "offered_slots",
                 "slot_pick", "booking_retries", "booking_prompted", "moving_booking"]


def now() -> datetime:
    return clock.now()


def numbers_phrase(count: int) -> str:
    """"1, 2 ou 3"."""
    numbers = [str(n) for n in range(1, count + 1)]
    return numbers[0] if count == 1 else f"{', '.join(numbers[:-1])} ou {numbers[-1]}"


def pick_number(text: str | None, count: int) -> int | None:
    """"2", "le 2", "n°2", "2e", "le deuxième", "le dernier" -> the rank, within 1..count
    (`bot.choices`, the reader of every question); None for anything else."""
    choice = read_choice(text, count=count)
    return choice.number if choice.chosen else None


def pick_by_name(text: str | None, names: list[str]) -> int | None:
    """The 1-based index of the option meant by its rank or its name ("la poste de
    saint-denis", a typo included); None when unclear, none of them, or not known."""
    choice = read_choice(text, names)
    return choice.number if choice.chosen else None


def slot_snapshot(slot) -> dict:
    return {"agenda_id": slot.agenda_id, "start": slot.start.isoformat(),
            "label": say_slot(slot.start)}


def place_snapshot(match) -> dict:
    return {"pk": match.pk, "name": match.nom, "phone": match.telephone or None,
            "bookable": bool(match.partner and match.booking_enabled)}


def diagnosis_of(tracker: Tracker) -> dict:
    diagnosis = tracker.get_slot("diagnosis") or {}
    return diagnosis if isinstance(diagnosis, dict) else {}


def say_booking(dispatcher: CollectingDispatcher, booking: Booking, key: str = "booked") -> None:
    dispatcher.utter_message(text=messages.text(
        key, first_name=booking.first_name, when=say_slot(booking.start), name=booking.place_name,
        address=booking.address, reference=booking.reference))
    if key == "booked":
        dispatcher.utter_message(text=messages.text(
            "booked_bring", items=", ".join(booking.what_to_bring)))
        dispatcher.utter_message(text=messages.text("booked_reference",
                                                    reference=booking.reference))


def say_booking_for_person(dispatcher: CollectingDispatcher, booking: Booking,
                           by_sms: bool) -> None:
    """What the prescripteur reads once the person's booking is made."""
    dispatcher.utter_message(text=messages.text(
        "prescripteur_booked", first_name=booking.first_name, when=say_slot(booking.start),
        name=booking.place_name, address=booking.address, reference=booking.reference))
    if by_sms:
        dispatcher.utter_message(text=messages.text("prescripteur_booked_sms"))
    else:
        dispatcher.utter_message(text=messages.text(
            "prescripteur_booked_paper", items=", ".join(booking.what_to_bring)))
    dispatcher.utter_message(text=messages.text("prescripteur_next"))


async def offer_slots(dispatcher: CollectingDispatcher, place: dict,
                      wish: Preference | None = None, offered: list[dict] | None = None) -> list[dict]:
    """Find and announce free slots at `place`; [] when there is none at all.

    With a wish ("plutôt le matin"): the slots that fit it, or the closest ones, never those of
    `offered` (the slots shown just before) while others exist, introduced by what fits.
    """
    moment = now()
    if wish is not None and not wish.empty:
        shown = [slot["start"] for slot in offered or [] if slot.get("start")]
        answer = await off_loop(slots_for_wish, place["pk"], moment, wish, shown, limit=3)
        if answer.slots:
            dispatcher.utter_message(text=answer.message)
        return [slot_snapshot(s) for s in answer.slots]
    slots = await off_loop(free_slots, place["pk"], moment, limit=3)
    if slots and wish is None:
        dispatcher.utter_message(text=messages.text("slots_intro", name=place["name"]))
    return [slot_snapshot(s) for s in slots]


def say_how_to_go(dispatcher: CollectingDispatcher, place: dict, key: str) -> None:
    dispatcher.utter_message(text=messages.text(key, name=place["name"]))
    phone = format_phone(place.get("phone") or "")
    if phone:
        dispatcher.utter_message(text=messages.text("place_call", phone=phone))


class ValidateBookingForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_booking_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        events = await self.read(dispatcher, tracker)
        # The step the form requests next is asked in this same call (actions/form_questions.py),
        # unless the reading already said it ("booking_prompted").
        step = slot_to_ask(events, tracker, domain, FORM)
        if step is not None:
            events = events + ask_step(dispatcher, step, slots_after(tracker, events))
        return events

    async def read(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """The events of the person's latest message (or of the form's activation or return)."""
        requested = tracker.get_slot("requested_slot")
        if requested and not answering(tracker, FORM):
            return [SlotSet("requested_slot", requested)]  # after an interruption: ask again
        if not requested:
            if not diagnosis_of(tracker):
                dispatcher.utter_message(response="utter_find_place")
                return [SlotSet("requested_slot", None)]
            return [SlotSet("booking_retries", 0), SlotSet("booking_prompted", False),
                    SlotSet("requested_slot", "where")]
        step = getattr(self, f"read_{requested}", None)
        if step is None:
            log.error("booking form asked for an unknown step %s", requested)
            return [SlotSet("requested_slot", None)]
        return await step(dispatcher, tracker)

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def unclear(dispatcher: CollectingDispatcher, tracker: Tracker, step: str) -> List[EventType]:
        if is_filler((tracker.latest_message or {}).get("text")):
            # "voilà", "merci": not an answer, not a misunderstanding: ask again.
            return [SlotSet("booking_prompted", False), SlotSet("requested_slot", step)]
        retries = count_unclear(dispatcher, tracker, "booking_retries")
        return [SlotSet("booking_retries", retries), SlotSet("booking_prompted", False),
                SlotSet("requested_slot", step)]

    @staticmethod
    def ended(outcome: str | None = None) -> List[EventType]:
        """The form ends; `outcome` ("booked", "no_booking") tells what a "oui" said next
        is about (data/rules/outside_diagnostic.yml)."""
        return [SlotSet("booking_retries", 0), SlotSet("booking_outcome", outcome),
                SlotSet("requested_slot", None)]

    # -- where -----------------------------------------------------------------------------

    async def read_where(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        entities = {e.get("entity"): e.get("value") for e in message.get("entities") or []}
        if entities.get("latitude") is not None and entities.get("longitude") is not None:
            try:
                location = locate_point(float(entities["latitude"]), float(entities["longitude"]))
            except (TypeError, ValueError):
                location = locate_point(float("nan"), float("nan"))
        else:
            question = tracker.get_slot("where_question")
            previous = locate(question) if question else None
            location = locate(text, previous=previous)
            if location.kind == UNKNOWN and previous is not None:
                location = locate(text)
        if gives_way(tracker, answered=location.kind != UNKNOWN):
            return []
        for line in render_location(location):
            dispatcher.utter_message(text=line)
        if location.kind == AMBIGUOUS:
            return [SlotSet("where_question", text[:200]), SlotSet("booking_prompted", True),
                    SlotSet("requested_slot", "where")]
        if location.kind == OUTSIDE:
            return [SlotSet("where", {"kind": OUTSIDE})] + self.ended()
        if location.kind != FOUND:
            events = self.unclear(dispatcher, tracker, "where")
            return events + [SlotSet("booking_prompted", True)]
        diagnosis = diagnosis_of(tracker)
        try:
            matches = await off_loop(
                find_places, location.lat, location.lon, list(diagnosis.get("services") or []),
                accompaniment=diagnosis.get("accompaniment"),
                specific=list(diagnosis.get("support") or []), limit=3)
        except Exception:
            log.exception("place search failed")
            matches = []
        further = None
        if not any(takes_bookings(m) for m in matches):
            # None of them takes bookings here: the nearest place that does, a little farther.
            try:
                further = await off_loop(
                    nearest_bookable_place, location.lat, location.lon,
                    list(diagnosis.get("services") or []),
                    accompaniment=diagnosis.get("accompaniment"),
                    specific=list(diagnosis.get("support") or []),
                    exclude_pks=[m.pk for m in matches])
            except Exception:
                log.exception("bookable place search failed")
            if further is not None and not matches:
                matches, further = [further], None
        where = {"kind": FOUND, "code": location.code_insee, "name": location.name,
                 "lat": location.lat, "lon": location.lon}
        if not matches:
            dispatcher.utter_message(text=messages.text("no_place_nearby"))
            dispatcher.utter_message(text=messages.text("no_place_help"))
            return [SlotSet("where", where), SlotSet("where_question", None)] + self.ended()
        dispatcher.utter_message(text=messages.text("places_intro"))
        moment = now()
        for number, match in enumerate(matches, 1):
            dispatcher.utter_message(text=place_card(match, number, moment))
        if further is not None:
            dispatcher.utter_message(text=messages.text("places_bookable_further"))
            dispatcher.utter_message(text=place_card(further, len(matches) + 1, moment))
            matches = matches + [further]
        return [SlotSet("where", where), SlotSet("where_question", None),
                SlotSet("offered_places", [place_snapshot(m) for m in matches]),
                SlotSet("booking_retries", 0), SlotSet("booking_prompted", False),
                SlotSet("requested_slot", "place_pick")]

    # -- place -----------------------------------------------------------------------------

    async def read_place_pick(self, dispatcher: CollectingDispatcher,
                              tracker: Tracker) -> List[EventType]:
        offered = tracker.get_slot("offered_places") or []
        text = (tracker.latest_message or {}).get("text") or ""
        choice = pick_by_name(text, [p["name"] for p in offered])
        if gives_way(tracker, answered=choice is not None):
            return []
        if choice is None:
            return self.unclear(dispatcher, tracker, "place_pick")
        place = offered[choice - 1]
        events: List[EventType] = [SlotSet("place_pick", place), SlotSet("booking_retries", 0)]
        if not place.get("bookable") or not await off_loop(bookable, place["pk"]):
            say_how_to_go(dispatcher, place, "place_without_booking")
            return events + self.ended(NO_BOOKING)
        slots = await offer_slots(dispatcher, place)
        if not slots:
            say_how_to_go(dispatcher, place, "place_no_free_slot")
            return events + self.ended(NO_BOOKING)
        return events + [SlotSet("offered_slots", slots), SlotSet("booking_prompted", False),
                         SlotSet("requested_slot", "slot_pick")]

    # -- slot ------------------------------------------------------------------------------

    async def read_slot_pick(self, dispatcher: CollectingDispatcher,
                             tracker: Tracker) -> List[EventType]:
        offered = tracker.get_slot("offered_slots") or []
        place = tracker.get_slot("place_pick") or {}
        text = (tracker.latest_message or {}).get("text") or ""
        wish = read_preference(text, now().date())
        # "le 2 décembre" is a date, not slot 2: a rank among filler words ("2", "le 2", "je
        # prends le 2") picks, anything else that says when is a wish.
        choice = pick_number(text, len(offered))
        if choice is not None:
            wish = Preference()
        if gives_way(tracker, answered=choice is not None or not wish.empty):
            return []
        if choice is None and wish.empty:
            return self.unclear(dispatcher, tracker, "slot_pick")
        if choice is None:
            slots = await offer_slots(dispatcher, place, wish, offered=offered)
            if not slots:
                say_how_to_go(dispatcher, place, "place_no_free_slot")
                return self.ended(NO_BOOKING)
            return [SlotSet("offered_slots", slots), SlotSet("booking_retries", 0),
                    SlotSet("booking_prompted", False), SlotSet("requested_slot", "slot_pick")]
        chosen = offered[choice - 1]
        events: List[EventType] = [SlotSet("slot_pick", chosen), SlotSet("booking_retries", 0)]
        first_name = tracker.get_slot("first_name")
        if tracker.get_slot("moving_booking") or first_name:
            return events + await self.finish(dispatcher, tracker, place, chosen, first_name)
        return events + [SlotSet("booking_prompted", False), SlotSet("requested_slot", "first_name")]

    # -- first name and booking ------------------------------------------------------------

    async def read_first_name(self, dispatcher: CollectingDispatcher,
                              tracker: Tracker) -> List[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        first_name = read_first_name(text)
        if gives_way(tracker, answered=first_name is not None):
            return []
        if first_name is None:
            return self.unclear(dispatcher, tracker, "first_name")
        place = tracker.get_slot("place_pick") or {}
        chosen = tracker.get_slot("slot_pick") or {}
        return [SlotSet("first_name", first_name)] + await self.finish(
            dispatcher, tracker, place, chosen, first_name)

    async def finish(self, dispatcher: CollectingDispatcher, tracker: Tracker, place: dict,
                     chosen: dict, first_name: str | None) -> List[EventType]:
        """Book (or move) the chosen slot; a slot taken meanwhile offers fresh ones.

        At a prescripteur's counter (slot `person`), the booking, its reminder and its referral
        are the person's (their own SMS identity), attributed to the organisation and the
        prescripteur; the person gets their SMS at once (bot/booking/bookings.py)."""
        start = datetime.fromisoformat(chosen["start"])
        moving = tracker.get_slot("moving_booking")
        person = tracker.get_slot("person")
        for_person = isinstance(person, dict) and bool(person.get("key")) and not moving
        # What ends the booking of a person at the counter: the next "bonjour" is a new person.
        done = person_done() if for_person else []
        who = {"person_key": person_key_of(tracker), "sender_id": tracker.sender_id,
               "channel": channel_of(tracker)}
        if for_person:
            session = await prescripteur_of(tracker)
            if session is None:
                dispatcher.utter_message(text=messages.text("prescripteur_mode_over"))
                return new_person() + [SlotSet("prescripteur_first_name", None)] + self.ended()
            who = {"person_key": person["key"], "sender_id": person.get("sender_id") or "",
                   "channel": person.get("channel") or channel_of(tracker),
                   "oriented_by": "prescripteur", "oriented_by_organisation": session.organisation,
                   "organisation_id": session.organisation_id,
                   "prescripteur_first_name": session.first_name,
                   "prescripteur_session_id": session.id}
        try:
            if moving:
                booking = await off_loop(move, int(moving), person_key=person_key_of(tracker),
                                         new_start=start, agenda_id=chosen.get("agenda_id"))
                say_booking(dispatcher, booking, "moved")
            else:
                diagnosis = diagnosis_of(tracker)
                booking = await off_loop(
                    book, **who, place_pk=int(place["pk"]), start=start,
                    first_name=first_name or "", agenda_id=chosen.get("agenda_id"),
                    diagnosis={"level": diagnosis.get("level"),
                               "services": diagnosis.get("services") or [],
                               "grid_version": diagnosis.get("grid_version"),
                               "diagnostic_id": diagnosis.get("id")})
                if for_person:
                    say_booking_for_person(dispatcher, booking, bool(person.get("sender_id")))
                else:
                    say_booking(dispatcher, booking)
        except AlreadyBooked as error:
            existing = error.booking
            dispatcher.utter_message(text=messages.text(
                "already_booked", name=existing.place_name, when=say_slot(existing.start),
                reference=existing.reference))
            return done + self.ended(BOOKED)
        except BookingNotFound:
            # Moving a booking cancelled or begun meanwhile: nothing to move any more.
            dispatcher.utter_message(text=messages.text("move_gone"))
            return [SlotSet("moving_booking", None)] + self.ended()
        except BookingError:
            dispatcher.utter_message(text=messages.text("slot_taken"))
            slots = await offer_slots(dispatcher, place, Preference())
            if not slots:
                say_how_to_go(dispatcher, place, "place_no_free_slot")
                return self.ended(NO_BOOKING)
            return [SlotSet("offered_slots", slots), SlotSet("booking_prompted", False),
                    SlotSet("requested_slot", "slot_pick")]
        except Exception:
            log.exception("booking failed")
            dispatcher.utter_message(text=messages.text("booking_failed"))
            return self.ended()
        return [SlotSet("moving_booking", None)] + done + self.ended(BOOKED)


def ask_step(dispatcher: CollectingDispatcher, step: str,
             slots: Dict[str, Any]) -> List[EventType]:
    """Asks one step of the booking form (a rephrase after an answer we did not understand),
    unless the reading already said it (`booking_prompted`): then the flag is only cleared."""
    if slots.get("booking_prompted"):
        return [SlotSet("booking_prompted", False)]
    rephrasing = int(slots.get("booking_retries") or 0) > 0
    buttons: list[dict[str, str]] = []
    if step == "where":
        dispatcher.utter_message(text=ask_where())
        # Channels that can share a location (the web chat, Telegram) offer it.
        dispatcher.utter_message(json_message={"data": {"ask_location": True}})
        return []
    if step == "place_pick":
        offered = slots.get("offered_places") or []
        key = "place_pick_rephrase" if rephrasing else "place_pick"
        buttons = [{"title": p["name"], "payload": str(n)} for n, p in enumerate(offered, 1)]
        text = messages.text(key, numbers=numbers_phrase(len(offered)))
    elif step == "slot_pick":
        offered = slots.get("offered_slots") or []
        key = "slot_pick_rephrase" if rephrasing else "slot_pick"
        buttons = [{"title": s["label"], "payload": str(n)} for n, s in enumerate(offered, 1)]
        text = messages.text(key, numbers=numbers_phrase(len(offered)))
    else:
        # At a prescripteur's counter, the person's first name.
        key = "person_first_name" if slots.get("person") else "first_name"
        text = messages.text(f"{key}_rephrase" if rephrasing else key)
    dispatcher.utter_message(text=text, buttons=buttons)
    return []


class ActionBookingDone(Action):
    """The booking conversation ended (booked, or nothing to book): its state is forgotten."""

    def name(self) -> Text:
        return "action_booking_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return [SlotSet(slot, None) for slot in BOOKING_STATE]


class ActionBookingPaused(ActionBookingDone):
    """Goodbye while booking: the step's state is forgotten, the result is kept, and the next
    "bonjour" opens the booking again (data/rules/outside_diagnostic.yml)."""

    def name(self) -> Text:
        return "action_booking_paused"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return await super().run(dispatcher, tracker, domain) + [
            SlotSet("booking_outcome", PAUSED if diagnosis_of(tracker) else None)]


class ActionStopBooking(ActionBookingDone):
    """ANNULER while booking: nothing is booked."""

    def name(self) -> Text:
        return "action_stop_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(text=messages.text("booking_stopped"))
        return await super().run(dispatcher, tracker, domain)
