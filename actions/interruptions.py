"""When a form gives way to the rules: interruptions, commands, and STOP/SUPPRIMER.

Shared by every form of the conversation (diagnostic, booking, managing a booking). A form
reads the person's message as an answer first; it gives way only when the message is not an
answer and the NLU is sure enough it is something else, or when it is a command.
"""
from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import messages
from bot.text import mostly_latin, normalize

# Intents that interrupt a form when the message is not an answer to the question. An
# "off-topic" reading is not one of them: in the middle of a question, words we cannot place
# are an answer we did not understand (rephrased, counted), not a change of subject.
INTERRUPTIONS = {
    "stop", "delete_my_data", "cancel_appointment", "ask_human", "bot_challenge",
    "ask_programme_info", "ask_help", "ask_equipment", "register_webinar",
    "identify_prescripteur", "request_appointment", "goodbye", "prescripteur_start",
    "my_referrals",
}
# Words that fill a pause or thank ("voilà", "merci", "d'accord"): in the middle of a question
# they are neither an answer nor a goodbye; the question is simply asked again.
FILLERS = {
    "voila", "voila voila", "merci", "merci beaucoup", "merci bcp", "mrc", "mci", "ok", "okay",
    "ok merci", "ok d accord", "d accord", "daccord", "dac", "dacc", "bien", "bon", "ben",
    "euh", "heu", "hum", "hmm", "ah", "ah ok", "oh", "ok ok", "ca marche", "super", "parfait",
    "tres bien", "c est note", "entendu", "cool", "top", "merci a vous", "merci madame",
    "merci monsieur", "je vous remercie", "thanks", "thank you", "thx", "bon ben", "alors",
    "attendez", "attends", "une seconde", "un instant", "2 secondes", "deux secondes",
    "je reflechis", "laissez moi reflechir", "bah", "ouais merci", "merci bien",
}
# Words that always work, whatever the question (PRODUCT.md): they are never taken as answers.
COMMANDS = {"stop", "arret", "stop sms", "stop message", "stop messages", "supprimer",
            "annuler", "aide", "help", "au secours"}
MIN_CONFIDENCE = 0.5
# Intents that win even over a message that also reads as an answer.
OVERRIDING = {"stop", "delete_my_data"}
OVERRIDE_CONFIDENCE = 0.8
# An answer not understood is rephrased this many times; the next one offers a person.
REPHRASES = 2


# Mid-question, a goodbye must be said clearly to end the questions (the NLU also reads "il
# fait beau aujourd'hui" as one): one of these words or phrases, in the message.
GOODBYE_WORDS = re.compile(
    r"\b(au ?revoir|aurevoir|a plus|a \+|a\+|a plus tard|a tout a l heure|a bientot|a demain|"
    r"bonne (journee|soiree|nuit|fin de journee|apres midi|continuation)|bye|byebye|bye bye|"
    r"salut|ciao|tchao|tchoa|adieu|je m en vais|je dois partir|je pars|j y vais|je vous laisse|"
    r"on arrete la|ca suffit|plus tard|une autre fois|a la prochaine|good ?bye|see you|"
    r"bslm|bsr|bonsoir)\b")


def is_clear_goodbye(text: str | None) -> bool:
    """"au revoir", "à plus tard", "bonne journée", "je dois partir"..."""
    return bool(GOODBYE_WORDS.search(normalize(text or "")))


def is_filler(text: str | None) -> bool:
    """The whole message only fills a pause or thanks: "Voilà !", "ok merci", "euh..."."""
    return normalize(text or "") in FILLERS


def count_unclear(dispatcher: CollectingDispatcher, tracker: Tracker, retries_slot: str) -> int:
    """One more answer not understood, counted in `retries_slot`; past `REPHRASES`, a person
    to call is offered (and the question stays open). Returns the new count."""
    retries = int(tracker.get_slot(retries_slot) or 0) + 1
    if retries > REPHRASES:
        dispatcher.utter_message(text=messages.text("still_not_understood"))
        dispatcher.utter_message(response="utter_human")
    return retries


def answering(tracker: Tracker, form: str) -> bool:
    """True when the person's latest message answers the question `form` asked.

    False when the form is (re)started after another action: at activation, or when it asks
    its question again after answering an interruption.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "action":
            name = event.get("name")
            if name == form:
                continue
            return name == "action_listen"
    return False


def latest_intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def reads_as_interruption(text: str, intent: str | None, confidence: float) -> bool:
    """The message reads, with enough confidence, as something other than an answer.

    A message with no words (emoji, punctuation) or in another alphabet never interrupts:
    the question is asked again. STOP and SUPPRIMER read by the NLU (not the command words)
    need it to be sure (OVERRIDE_CONFIDENCE): they end the messages or erase everything, and
    the NLU can be half sure of them for a message that says neither ("<script>alert('x')").
    """
    needed = OVERRIDE_CONFIDENCE if intent in OVERRIDING else MIN_CONFIDENCE
    return (bool(normalize(text)) and mostly_latin(text) and not is_filler(text)
            and intent in INTERRUPTIONS and confidence >= needed
            and (intent != "goodbye" or is_clear_goodbye(text)))


def interrupting(tracker: Tracker) -> bool:
    """The latest message reads as something other than an answer (reads_as_interruption)."""
    intent, confidence = latest_intent(tracker)
    return reads_as_interruption((tracker.latest_message or {}).get("text") or "", intent,
                                 confidence)


def gives_way(tracker: Tracker, answered: bool, exact_answer: bool = False) -> bool:
    """True when the form must let the rules answer this message instead of reading it.

    STOP and SUPPRIMER win over an answer, unless the whole message is exactly one of the
    options ("non", "2"): "non, stop" stops, "arrêtez de m'écrire" stops.
    """
    text = (tracker.latest_message or {}).get("text") or ""
    intent, _ = latest_intent(tracker)
    interrupts = interrupting(tracker)
    overriding = interrupts and intent in OVERRIDING and not exact_answer
    return normalize(text) in COMMANDS or overriding or (not answered and interrupts)
