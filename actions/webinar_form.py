"""Registering for a webinar by chat (web chat, Telegram, SMS): the sessions to come, then name,
work email, commune, role, and a confirmation; a full session offers the next one with seats,
or the waiting list. The rules of registering live in bot/webinars/; this form only asks, one
question at a time, and reads the answers (numbers or words)."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.booking_form import now, numbers_phrase
from actions.common import channel_of, off_loop
from actions.interruptions import answering, count_unclear, gives_way
from bot import messages
from bot.choices import read_choice
from bot.clock import say_slot
from bot.diagnostic.answers import understand
from bot.geo.member import member_commune
from bot.mailer import email_enabled
from bot.webinars.emails import checked_email
from bot.webinars.errors import WebinarError
from bot.webinars.links import invitation_url
from bot.webinars.registrations import ROLES, Outcome, register
from bot.webinars.sessions import list_sessions

log = logging.getLogger(__name__)

FORM = "webinar_form"
STEPS = ["webinar_pick", "webinar_waiting", "webinar_name", "webinar_email", "webinar_commune",
         "webinar_role", "webinar_confirm"]
WEBINAR_STATE = STEPS + ["webinar_sessions", "webinar_retries"]
ROLE_OPTIONS = [("agent", ["agent", "agente", "agent de la commune", "agent communal",
                           "fonctionnaire", "employe", "employee", "salarie", "technicien",
                           "dgs", "directeur", "directrice", "chef de service", "service"]),
                ("elu", ["elu", "elue", "elu e", "conseiller municipal", "conseillere municipale",
                         "maire", "adjoint", "adjointe", "adjoint au maire", "adjointe au maire"]),
                ("autre", ["autre", "autres", "aucun", "ni l un ni l autre", "partenaire",
                           "association", "benevole"])]


def yes_no(text: str | None) -> bool | None:
    """True for a yes, False for a no (the consent's words, numbers 1 and 2), else None."""
    option = understand(messages.consent_question(), text).option
    return None if option is None else option == 1


def session_summary(view) -> dict:
    return {"id": view.id, "title": view.title, "when": say_slot(view.start),
            "seats": view.seats_left, "link": view.link}


class ValidateWebinarForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_webinar_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        requested = tracker.get_slot("requested_slot")
        if requested and not answering(tracker, FORM):
            return [SlotSet("requested_slot", requested)]
        if not requested:
            return await self.start(dispatcher)
        return await getattr(self, f"read_{requested}")(dispatcher, tracker)

    @staticmethod
    def ended() -> List[EventType]:
        return [SlotSet("webinar_retries", 0), SlotSet("requested_slot", None)]

    @staticmethod
    def ask(step: str) -> List[EventType]:
        return [SlotSet("webinar_retries", 0), SlotSet("requested_slot", step)]

    @staticmethod
    def unclear(dispatcher: CollectingDispatcher, tracker: Tracker, step: str) -> List[EventType]:
        retries = count_unclear(dispatcher, tracker, "webinar_retries")
        return [SlotSet("webinar_retries", retries), SlotSet("requested_slot", step)]

    @staticmethod
    def text_of(tracker: Tracker) -> str:
        return ((tracker.latest_message or {}).get("text") or "").strip()

    async def start(self, dispatcher: CollectingDispatcher) -> List[EventType]:
        try:
            sessions = [session_summary(v) for v in await off_loop(list_sessions, True, now())]
        except Exception:
            log.exception("could not list the webinar sessions")
            dispatcher.utter_message(text=messages.text("webinar_failed"))
            return self.ended()
        if not sessions:
            dispatcher.utter_message(text=messages.text("webinar_none"))
            return self.ended()
        return [SlotSet("webinar_sessions", sessions[:9])] + self.ask("webinar_pick")

    async def read_webinar_pick(self, dispatcher: CollectingDispatcher,
                                tracker: Tracker) -> List[EventType]:
        sessions = tracker.get_slot("webinar_sessions") or []
        text = self.text_of(tracker)
        choice = read_choice(text, [s["title"] for s in sessions], count=len(sessions))
        number = choice.number if choice.chosen else None
        if gives_way(tracker, answered=number is not None):
            return []
        if number is None:
            return self.unclear(dispatcher, tracker, "webinar_pick")
        picked = sessions[number - 1]
        events = [SlotSet("webinar_pick", picked)]
        if picked["seats"] > 0:
            return events + [SlotSet("webinar_waiting", "no_need")] + self.ask("webinar_name")
        return events + self.ask("webinar_waiting")

    async def read_webinar_waiting(self, dispatcher: CollectingDispatcher,
                                   tracker: Tracker) -> List[EventType]:
        """The picked session is full: 1 the next one with seats (when there is one), then the
        waiting list, then neither."""
        picked = tracker.get_slot("webinar_pick") or {}
        other = next_with_seats(tracker.get_slot("webinar_sessions") or [], picked)
        options = ([f"La session du {other['when']}"] if other else []) + [
            "La liste d'attente", "Ni l'un ni l'autre"]
        choice = read_choice(self.text_of(tracker), options)
        number = choice.number if choice.chosen else None
        if number is None and yes_no(self.text_of(tracker)) is False:
            number = len(options)
        if gives_way(tracker, answered=number is not None):
            return []
        if number is None:
            return self.unclear(dispatcher, tracker, "webinar_waiting")
        if number == len(options):
            dispatcher.utter_message(text=messages.text("webinar_not_now"))
            return self.ended()
        if other and number == 1:
            return [SlotSet("webinar_pick", other), SlotSet("webinar_waiting", "no_need")] + \
                self.ask("webinar_name")
        return [SlotSet("webinar_waiting", "yes")] + self.ask("webinar_name")

    async def read_webinar_name(self, dispatcher: CollectingDispatcher,
                                tracker: Tracker) -> List[EventType]:
        name = " ".join(self.text_of(tracker).split())
        usable = 2 <= len(name) <= 120 and any(ch.isalpha() for ch in name) and "@" not in name
        if gives_way(tracker, answered=usable):
            return []
        if not usable:
            return self.unclear(dispatcher, tracker, "webinar_name")
        return [SlotSet("webinar_name", name)] + self.ask("webinar_email")

    async def read_webinar_email(self, dispatcher: CollectingDispatcher,
                                 tracker: Tracker) -> List[EventType]:
        try:
            email = checked_email(self.text_of(tracker))
        except WebinarError:
            email = None
        if gives_way(tracker, answered=email is not None):
            return []
        if email is None:
            return self.unclear(dispatcher, tracker, "webinar_email")
        return [SlotSet("webinar_email", email)] + self.ask("webinar_commune")

    async def read_webinar_commune(self, dispatcher: CollectingDispatcher,
                                   tracker: Tracker) -> List[EventType]:
        text = self.text_of(tracker)
        place = await off_loop(member_commune, text) if text else None
        if gives_way(tracker, answered=place is not None):
            return []
        if place is None:
            return self.unclear(dispatcher, tracker, "webinar_commune")
        return [SlotSet("webinar_commune", {"insee": place.commune_insee, "name": place.nom})] + \
            self.ask("webinar_role")

    async def read_webinar_role(self, dispatcher: CollectingDispatcher,
                                tracker: Tracker) -> List[EventType]:
        choice = read_choice(self.text_of(tracker),
                             [(ROLES[key], *words) for key, words in ROLE_OPTIONS])
        role = ROLE_OPTIONS[choice.number - 1][0] if choice.chosen else None
        if gives_way(tracker, answered=role is not None):
            return []
        if role is None:
            return self.unclear(dispatcher, tracker, "webinar_role")
        return [SlotSet("webinar_role", role)] + self.ask("webinar_confirm")

    async def read_webinar_confirm(self, dispatcher: CollectingDispatcher,
                                   tracker: Tracker) -> List[EventType]:
        answer = yes_no(self.text_of(tracker))
        if gives_way(tracker, answered=answer is not None, exact_answer=answer is not None):
            return []
        if answer is None:
            return self.unclear(dispatcher, tracker, "webinar_confirm")
        if not answer:
            dispatcher.utter_message(text=messages.text("webinar_not_now"))
            return [SlotSet("webinar_confirm", "no")] + self.ended()
        picked = tracker.get_slot("webinar_pick") or {}
        commune = tracker.get_slot("webinar_commune") or {}
        try:
            done = await off_loop(
                register, int(picked["id"]), tracker.get_slot("webinar_name"),
                tracker.get_slot("webinar_email"), commune.get("insee", ""),
                tracker.get_slot("webinar_role"), channel_of(tracker), tracker.sender_id,
                waiting_list=True, now=now())
        except WebinarError as error:
            dispatcher.utter_message(text=error.message_fr)
            return [SlotSet("webinar_confirm", "refused")] + self.ended()
        except Exception:
            log.exception("a webinar registration failed")
            dispatcher.utter_message(text=messages.text("webinar_failed"))
            return [SlotSet("webinar_confirm", "failed")] + self.ended()
        say_outcome(dispatcher, done, picked, tracker.get_slot("webinar_email"))
        return [SlotSet("webinar_confirm", done.outcome.value)] + self.ended()


def next_with_seats(sessions: list[dict], picked: dict) -> dict | None:
    return next((s for s in sessions if s["seats"] > 0 and s["id"] != picked.get("id")), None)


def say_outcome(dispatcher: CollectingDispatcher, done, picked: dict, email: str) -> None:
    """What the person reads once registered, waiting, or already there."""
    values = dict(title=picked.get("title", ""), when=picked.get("when", ""), email=email,
                  link=picked.get("link", ""))
    if done.outcome is Outcome.REGISTERED:
        dispatcher.utter_message(text=messages.text("webinar_registered", **values))
        if done.token:
            dispatcher.utter_message(text=messages.text("webinar_invitation",
                                                        ics=invitation_url(done.token)))
        if email_enabled():
            dispatcher.utter_message(text=messages.text("webinar_email_sent", **values))
    elif done.outcome is Outcome.WAITING:
        dispatcher.utter_message(text=messages.text("webinar_waiting", **values))
    else:
        dispatcher.utter_message(text=messages.text("webinar_already", **values))


class AskWebinarPick(Action):
    def name(self) -> Text:
        return "action_ask_webinar_pick"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        sessions = tracker.get_slot("webinar_sessions") or []
        key = "webinar_rephrase" if int(tracker.get_slot("webinar_retries") or 0) else "webinar_which"
        dispatcher.utter_message(
            text=messages.text(key, numbers=numbers_phrase(len(sessions))),
            buttons=[{"title": f"{s['title']}, {s['when']}" + (
                "" if s["seats"] > 0 else " (complet)"), "payload": str(n)}
                for n, s in enumerate(sessions, 1)])
        return []


class AskWebinarWaiting(Action):
    def name(self) -> Text:
        return "action_ask_webinar_waiting"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        picked = tracker.get_slot("webinar_pick") or {}
        other = next_with_seats(tracker.get_slot("webinar_sessions") or [], picked)
        buttons = ([{"title": f"La session du {other['when']}", "payload": "1"}] if other
                   else [])
        buttons += [{"title": "La liste d'attente", "payload": str(len(buttons) + 1)},
                    {"title": "Ni l'un ni l'autre", "payload": str(len(buttons) + 2)}]
        key = "webinar_full_other" if other else "webinar_full"
        dispatcher.utter_message(text=messages.text(key, when=(other or {}).get("when", "")),
                                 buttons=buttons)
        return []


class AskWebinarName(Action):
    def name(self) -> Text:
        return "action_ask_webinar_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        retried = int(tracker.get_slot("webinar_retries") or 0)
        dispatcher.utter_message(text=messages.text(
            "webinar_name_again" if retried else "webinar_name"))
        return []


class AskWebinarEmail(Action):
    def name(self) -> Text:
        return "action_ask_webinar_email"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        retried = int(tracker.get_slot("webinar_retries") or 0)
        dispatcher.utter_message(text=messages.text(
            "webinar_email_again" if retried else "webinar_email"))
        return []


class AskWebinarCommune(Action):
    def name(self) -> Text:
        return "action_ask_webinar_commune"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        retried = int(tracker.get_slot("webinar_retries") or 0)
        dispatcher.utter_message(text=messages.text(
            "webinar_commune_again" if retried else "webinar_commune"))
        return []


class AskWebinarRole(Action):
    def name(self) -> Text:
        return "action_ask_webinar_role"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=messages.text("webinar_role"), buttons=[
            {"title": ROLES[key], "payload": str(n)} for n, (key, _) in
            enumerate(ROLE_OPTIONS, 1)])
        return []


class AskWebinarConfirm(Action):
    def name(self) -> Text:
        return "action_ask_webinar_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        picked = tracker.get_slot("webinar_pick") or {}
        commune = tracker.get_slot("webinar_commune") or {}
        waiting = tracker.get_slot("webinar_waiting") == "yes"
        dispatcher.utter_message(
            text=messages.text("webinar_confirm_waiting" if waiting else "webinar_confirm",
                               title=picked.get("title", ""), when=picked.get("when", ""),
                               name=tracker.get_slot("webinar_name") or "",
                               email=tracker.get_slot("webinar_email") or "",
                               commune=commune.get("name", ""),
                               role=ROLES.get(tracker.get_slot("webinar_role") or "", "")),
            buttons=[{"title": "Oui", "payload": "1"}, {"title": "Non", "payload": "2"}])
        return []


class ActionWebinarDone(Action):
    """The form ended (registered, declined, or stopped): its answers are not kept in the
    conversation; the registration itself is in the database."""

    def name(self) -> Text:
        return "action_webinar_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        return [SlotSet(slot, None) for slot in WEBINAR_STATE]


