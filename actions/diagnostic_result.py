"""The end of the diagnostic: the result, said kindly, and stored."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of, off_loop, person_key_of
from bot import messages
from bot.diagnostic import AnswersError, evaluate, load_grid, result_message
from bot.diagnostic.results import save_result
from bot.prescripteurs.sessions import Session

log = logging.getLogger(__name__)


def reset_answers() -> List[EventType]:
    return [SlotSet(q, None) for q in load_grid().question_ids] + [
        SlotSet("diagnostic_retries", 0), SlotSet("diagnostic_remaining", None)]


async def conclude(dispatcher: CollectingDispatcher, tracker: Tracker, answers: Dict[str, int],
                   consent: Any, prescripteur: Session | None = None) -> List[EventType]:
    """The end of the questions, in the turn of the last answer: the result said and stored,
    the answers forgotten, and what the booking that follows needs. Without the consent, nothing
    is stored and the consent will be asked again.

    Called by the diagnostic form's validation with the answers and consent of this turn (the
    tracker does not hold the last answer yet), so that the result takes no round trip of its own
    to the action server.
    """
    if str(consent) != "1":
        dispatcher.utter_message(text=messages.text("consent_declined"))
        return reset_answers() + [SlotSet("consent", None), SlotSet("diagnosis", None)]
    try:
        result = evaluate(answers)
    except AnswersError:
        # Should not happen (the form asks every question); the person is told, nothing is
        # lost: the answers stay and BONJOUR resumes the questions that are missing.
        log.exception("diagnostic concluded with incomplete answers")
        dispatcher.utter_message(text=messages.text("result_failed"))
        return []
    result_id = None
    # At a prescripteur's counter, the result is the person's (their own key), not the
    # prescripteur's.
    person = tracker.get_slot("person") or {}
    key = person.get("key") if isinstance(person, dict) else None
    session = prescripteur if key else None
    try:
        result_id = await off_loop(save_result, key or person_key_of(tracker),
                                   channel_of(tracker), result,
                                   organisation_id=session.organisation_id if session else None)
    except Exception:  # the person still gets their result; the operator gets the error
        log.exception("could not store a diagnostic result")
    if key:
        dispatcher.utter_message(text=messages.text("prescripteur_result_intro"))
    dispatcher.utter_message(text=result_message(result))
    return reset_answers() + [
        SlotSet("diagnostic_level", result.level),
        SlotSet("diagnostic_services", result.services),
        # What the booking that follows needs: the services to look for, the mode of
        # accompaniment, the specific support, and the stored result for the referral.
        SlotSet("diagnosis", {
            "id": result_id, "level": result.level, "services": result.services,
            "accompaniment": result.accompaniment, "support": result.support,
            "grid_version": result.grid_version}),
    ]


class ActionCancelDiagnostic(Action):
    def name(self) -> Text:
        return "action_cancel_diagnostic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return reset_answers()
