"""The diagnostic form: asking each question, understanding each answer.

The form's slots have `custom` mappings: this validation action alone reads the person's
message. A message that answers the question fills the slot; a message that does not, but is an
interruption (a question about the service, STOP, SUPPRIMER...), fills nothing, so the form gives
way to the rules that answer it and then asks the question again; anything else is rephrased,
twice at most, then a person to call is offered.

The validation also asks the next question, and says the result after the last one: each turn of
the diagnostic is one call to the action server (the domain has no `action_ask_*` for this form).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import answers_of, off_loop, person_key_of
from actions.diagnostic_result import conclude
from actions.form_questions import slot_to_ask, slots_after
from bot import messages
from bot.diagnostic import Question, exact_option, load_grid, next_question, understand
from bot.people.first_names import read_first_name
from bot.people.privacy import record_consent
from bot.prescripteurs.sessions import Session, set_first_name
from actions.prescripteur import (PRESCRIPTEUR_STEPS, new_person, person_from_mobile,
                                  prescripteur_of)
from actions.interruptions import (COMMANDS, OVERRIDING, REPHRASES, count_unclear, gives_way,
                                   is_filler, reads_as_interruption)
from actions.interruptions import answering as answering_form
from bot.text import normalize

log = logging.getLogger(__name__)

CONSENT_YES, CONSENT_NO = "1", "2"


def question_for(slot: str) -> Question:
    if slot == "consent":
        return messages.consent_question()
    return load_grid().question(slot)


def buttons_for(question: Question, among: list[int] | None = None,
                third_person: bool = False) -> list[dict[str, str]]:
    return [{"title": (option.third_person_label or option.label) if third_person else option.label,
             "payload": str(option.number)} for option in question.options
            if not among or option.number in among]


def answering(tracker: Tracker) -> bool:
    return answering_form(tracker, "diagnostic_form")


def next_slot(tracker: Tracker, answers: Dict[str, int], consent: Any,
              prescripteur: Session | None = None, named: bool = False,
              person: Any = None) -> Text | None:
    """The next question. In prescripteur mode: the prescripteur's first name once per session,
    then the person's consent, then the person's mobile, then the grid."""
    if prescripteur is not None and not (prescripteur.first_name or named):
        return "prescripteur_first_name"
    if consent is None:
        return "consent"
    if str(consent) != CONSENT_YES:
        return None
    if prescripteur is not None and not person:
        return "person_mobile"
    question = next_question(answers)
    return question.id if question else None


class ValidateDiagnosticForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_diagnostic_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        events = await self.read(dispatcher, tracker)
        # The form goes on: its next question is asked in this same call (actions/
        # form_questions.py). When it rejects the message, the rules answer and the question
        # comes when the form resumes.
        slot = slot_to_ask(events, tracker, domain, "diagnostic_form")
        if slot is not None:
            ask(dispatcher, slot, slots_after(tracker, events))
        return events

    async def read(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """The events of the person's latest message (or of the form's activation or return)."""
        events: List[EventType] = []
        answers = answers_of(tracker)
        consent = tracker.get_slot("consent")
        requested = tracker.get_slot("requested_slot")
        person = tracker.get_slot("person")
        prescripteur = await prescripteur_of(tracker)
        named = False
        if prescripteur is None and (person or requested in PRESCRIPTEUR_STEPS):
            # The session's time is over (or its code was revoked) in the middle of a person:
            # nothing more is kept for them, and the code is asked again.
            dispatcher.utter_message(text=messages.text("prescripteur_mode_over"))
            return new_person() + [SlotSet("prescripteur_first_name", None)]
        if requested in PRESCRIPTEUR_STEPS and answering(tracker):
            step = await self.read_prescripteur_step(dispatcher, tracker, requested, prescripteur)
            if step is None:
                return []  # an interruption: the rules answer, the question comes again
            events, person, named = step
            if events and events[-1] == SlotSet("requested_slot", requested):
                return events
            return events + await self.ask_next_or_conclude(
                dispatcher, tracker, answers, consent, prescripteur, named, person)
        if requested and answering(tracker):
            message = tracker.latest_message or {}
            text = message.get("text") or ""
            intent = (message.get("intent") or {}).get("name")
            confidence = (message.get("intent") or {}).get("confidence") or 0.0
            question = question_for(requested)
            among = tracker.get_slot("diagnostic_remaining") or None
            understood = understand(question, text, among)
            words = normalize(text)
            interrupting = reads_as_interruption(text, intent, confidence)
            # STOP and SUPPRIMER win over an answer, unless the whole message is exactly one of
            # the options ("non", "2"): "non, stop" stops, "arrêtez de m'écrire" stops.
            overriding = (interrupting and intent in OVERRIDING
                          and not exact_option(question, text))
            answered = understood.option is not None or understood.reason == "narrowed"
            if words in COMMANDS or overriding or (not answered and interrupting):
                # Nothing filled: the form rejects itself and the rules answer.
                return []
            if not answered and is_filler(text):
                # "voilà", "merci": not an answer, not a misunderstanding: ask again.
                return events + [SlotSet(requested, None), SlotSet("requested_slot", requested)]
            if understood.reason == "narrowed":
                # "j'ai pas d'ordi": some options are ruled out; ask among the others, and do
                # not count it as a misunderstanding.
                return events + [SlotSet(requested, None),
                                 SlotSet("diagnostic_remaining", list(understood.remaining)),
                                 SlotSet("requested_slot", requested)]
            if understood.option is not None:
                value = str(understood.option)
                events += [SlotSet(requested, value), SlotSet("diagnostic_retries", 0),
                           SlotSet("diagnostic_remaining", None)]
                if requested == "consent":
                    consent = value
                    if value == CONSENT_YES and prescripteur is None:
                        # A prescripteur's "yes" is recorded with the person's mobile.
                        try:
                            await off_loop(record_consent, person_key_of(tracker))
                        except Exception:  # the conversation goes on; the operator sees it
                            log.exception("could not record a consent")
                else:
                    answers[requested] = understood.option
            else:
                retries = count_unclear(dispatcher, tracker, "diagnostic_retries")
                events += [SlotSet(requested, None), SlotSet("diagnostic_retries", retries)]
                return events + [SlotSet("requested_slot", requested)]
        elif not requested:
            events += [SlotSet("diagnostic_retries", 0), SlotSet("diagnostic_remaining", None)]

        return events + await self.ask_next_or_conclude(
            dispatcher, tracker, answers, consent, prescripteur, named, person)

    @staticmethod
    async def ask_next_or_conclude(dispatcher: CollectingDispatcher, tracker: Tracker,
                                   answers: Dict[str, int], consent: Any,
                                   prescripteur: Session | None, named: bool,
                                   person: Any) -> List[EventType]:
        """The next question to ask; after the last one, the result, in this same turn."""
        slot = next_slot(tracker, answers, consent, prescripteur, named, person)
        if slot is not None:
            return [SlotSet("requested_slot", slot)]
        return await conclude(dispatcher, tracker, answers, consent, prescripteur) + [
            SlotSet("requested_slot", None)]

    async def read_prescripteur_step(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     requested: str, prescripteur: Session):
        """The prescripteur's first name, or the person's mobile: (events, person, named), or
        None when the message is an interruption."""
        text = (tracker.latest_message or {}).get("text") or ""
        person = tracker.get_slot("person")
        if requested == "prescripteur_first_name":
            first_name = read_first_name(text)
            if gives_way(tracker, answered=first_name is not None):
                return None
            if first_name is None:
                retries = count_unclear(dispatcher, tracker, "diagnostic_retries")
                return ([SlotSet("diagnostic_retries", retries),
                         SlotSet("requested_slot", requested)], person, False)
            await off_loop(set_first_name, prescripteur.id, first_name)
            return [SlotSet("prescripteur_first_name", first_name),
                    SlotSet("diagnostic_retries", 0)], person, True
        outcome, found = person_from_mobile(text, prescripteur.organisation_id)
        # A number, or exactly "SANS SMS", is an answer: never read as STOP ("sans sms").
        if gives_way(tracker, answered=outcome != "unclear", exact_answer=outcome != "unclear"):
            return None
        if outcome == "not_mobile":
            return ([SlotSet("person_mobile", "not_mobile"), SlotSet("diagnostic_retries", 0),
                     SlotSet("requested_slot", requested)], person, False)
        if outcome == "unclear":
            retries = count_unclear(dispatcher, tracker, "diagnostic_retries")
            return ([SlotSet("person_mobile", None), SlotSet("diagnostic_retries", retries),
                     SlotSet("requested_slot", requested)], person, False)
        try:
            await off_loop(record_consent, found["key"],
                           method=f"prescripteur:{prescripteur.organisation_id}")
        except Exception:  # the conversation goes on; the operator sees it
            log.exception("could not record a consent")
        dispatcher.utter_message(text=messages.text(
            "person_mobile_ok" if outcome == "mobile" else "person_without_sms"))
        return ([SlotSet("person_mobile", outcome), SlotSet("person", found),
                 SlotSet("diagnostic_retries", 0)], found, False)


def ask(dispatcher: CollectingDispatcher, slot: str, slots: Dict[str, Any]) -> None:
    """Asks `slot`: a question of the grid or the consent (a rephrase after an answer we did
    not understand, the remaining options after a narrowing), or a prescripteur's step."""
    retries = int(slots.get("diagnostic_retries") or 0)
    if slot in PRESCRIPTEUR_STEPS:
        if slot == "person_mobile" and slots.get("person_mobile") == "not_mobile":
            dispatcher.utter_message(text=messages.text("person_mobile_not_mobile"), buttons=[
                {"title": messages.text("without_sms_button"), "payload": "sans sms"}])
            return
        dispatcher.utter_message(text=messages.text(slot if retries == 0 else f"{slot}_rephrase"))
        return
    question = question_for(slot)
    among = slots.get("diagnostic_remaining") or None
    # In prescripteur mode the questions speak of the person ("La personne a-t-elle...").
    # (The first name is asked first in every prescripteur session, and forgotten when it
    # ends: the slot tells the mode without a database query.)
    third = bool(slots.get("prescripteur_first_name"))
    buttons = buttons_for(question, among, third)
    if among and retries == 0:
        dispatcher.utter_message(text=messages.text("narrowed"), buttons=buttons)
        return
    if retries == 0:
        text = question.third_person if third else question.text
    elif retries <= REPHRASES:
        text = question.rephrase
    else:
        text = messages.text("answer_with_number")
    dispatcher.utter_message(text=text, buttons=buttons)
