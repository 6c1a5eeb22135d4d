"""The Rasa SDK actions of the diagnostic, run the way the action server runs them.

Each test builds a real `rasa_sdk.Tracker` (with the events Rasa sends: for a fresh answer,
`action_listen`, the user message, then the form's own `requested_slot` and `diagnostic_form`
events), a real `CollectingDispatcher` and the domain of domain.yml, runs one action, and checks
what a person would notice: the messages and buttons sent, the slots set, the rows stored.
Every test has its own SQLite database and secret key.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import AllSlotsReset, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.diagnostic_form import ValidateDiagnosticForm, ask
from actions.diagnostic_result import ActionCancelDiagnostic, conclude
from actions.privacy import ActionDeleteMyData, ActionStop
from bot import messages
from bot.db.models import Person, StoredDiagnostic
from bot.db.session import get_engine, session_scope, upgrade
from bot.diagnostic import evaluate, load_grid, result_message, understand
from tests.support.form_actions import said_by, validate_form

PROJECT = Path(__file__).resolve().parents[2]
DOMAIN: dict[str, Any] = yaml.safe_load((PROJECT / "domain.yml").read_text(encoding="utf-8"))
GRID = load_grid()
QUESTIONS = [
    "equipement", "connexion", "usage", "information", "communication", "contenu", "securite",
    "resolution", "besoin", "contrainte",
]
SKILLS = ["information", "communication", "contenu", "securite", "resolution"]
SECRET = "a-test-secret-key"
SENDER = "rest:visitor-42"  # conversation ids as the REST channel names them
OTHER_SENDER = "rest:visitor-99"
CHANNEL = "rest"
NOT_UNDERSTOOD = "bof"  # no option of any question matches it

FORM = "diagnostic_form"
LISTEN = {"event": "action", "name": "action_listen"}
NO_INTENT = {"name": "nlu_fallback", "confidence": 0.3}


# --------------------------------------------------------------------------- fixtures, helpers


@pytest.fixture(autouse=True)
def fresh_database(tmp_path, monkeypatch) -> str:
    """A fresh, migrated SQLite database and a known pseudonym key for every test."""
    url = f"sqlite:///{tmp_path}/npt.db"
    monkeypatch.setenv("NPT_DATABASE_URL", url)
    monkeypatch.setenv("NPT_SECRET_KEY", SECRET)
    upgrade()
    # the configured database is read at each call: every test has its own
    assert str(get_engine().url) == url
    yield url
    get_engine().dispose()


CHANNEL_OF_PREFIX = {"rest": "rest", "web": "socketio", "tg": "telegram"}


def expected_key(sender: str = SENDER) -> str:
    """The pseudonym, computed independently: HMAC-SHA256("channel:id") where the channel is
    the one that named the conversation (its prefix: `rest:`, `web:`, `tg:`)."""
    prefix, raw = sender.split(":", 1)
    identity = f"{CHANNEL_OF_PREFIX[prefix]}:{raw}"
    return hmac.new(SECRET.encode(), identity.encode(), hashlib.sha256).hexdigest()


def slots_with(requested: str | None = None, **values: Any) -> dict[str, Any]:
    """Every slot of the domain, as Rasa sends them, with `values` filled in."""
    slots: dict[str, Any] = {name: None for name in DOMAIN["slots"]}
    slots["diagnostic_retries"] = 0.0
    slots["requested_slot"] = requested
    slots.update(values)
    return slots


def answered_before(question: str, value: str = "1") -> dict[str, str]:
    """Consent given and every question before `question` answered with `value`."""
    before = QUESTIONS[: QUESTIONS.index(question)] if question != "consent" else []
    answers = {"consent": "1"} if question != "consent" else {}
    answers.update({q: value for q in before})
    return answers


def user_event(text: str, intent: dict, channel: str = CHANNEL) -> dict:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"text": text, "intent": intent},
        "input_channel": channel,
    }


def tracker(
    events: list[dict],
    slots: dict[str, Any],
    text: str = "",
    intent: dict | None = None,
    sender: str = SENDER,
    active: bool = True,
) -> Tracker:
    return Tracker(
        sender,
        slots,
        {"text": text, "intent": intent or NO_INTENT},
        events,
        paused=False,
        followup_action=None,
        active_loop={"name": FORM} if active else {},
        latest_action_name=events[-1].get("name") if events else None,
    )


def answer_tracker(
    text: str,
    requested: str,
    intent: str | None = None,
    confidence: float = 0.9,
    retries: int = 0,
    sender: str = SENDER,
    **values: Any,
) -> Tracker:
    """The person just answered the question `requested` with `text`.

    Ends as Rasa's form hands it to the validation action: the user message after
    `action_listen`, then the form's own `requested_slot` and `diagnostic_form` events.
    """
    parsed = {"name": intent, "confidence": confidence} if intent else NO_INTENT
    events = [
        {"event": "action", "name": "utter_welcome"},
        {"event": "action", "name": FORM},
        {"event": "slot", "name": "requested_slot", "value": requested},
        LISTEN,
        user_event(text, parsed),
        {"event": "slot", "name": "requested_slot", "value": requested},
        {"event": "action", "name": FORM},
    ]
    slots = slots_with(requested, diagnostic_retries=float(retries), **values)
    return tracker(events, slots, text, parsed, sender=sender)


def resume_tracker(last_text: str, last_intent: str, utter: str, requested: str,
                   **values: Any) -> Tracker:
    """The form runs again after a rule answered an interruption with `utter`."""
    parsed = {"name": last_intent, "confidence": 0.95}
    events = [
        LISTEN,
        user_event(last_text, parsed),
        {"event": "action", "name": utter},
        {"event": "slot", "name": "requested_slot", "value": requested},
        {"event": "action", "name": FORM},
    ]
    return tracker(events, slots_with(requested, **values), last_text, parsed)


def conclude_tracker(answers: dict[str, int], sender: str = SENDER,
                     channel: str = CHANNEL) -> Tracker:
    """The person just gave the last of `answers` (the consent given before): the validation
    of this answer ends the questions."""
    *before, (last, value) = answers.items()
    text = str(value)
    events = [
        {"event": "action", "name": FORM},
        {"event": "slot", "name": "requested_slot", "value": last},
        LISTEN,
        user_event(text, NO_INTENT, channel),
        {"event": "slot", "name": "requested_slot", "value": last},
        {"event": "action", "name": FORM},
    ]
    slots = slots_with(last, consent="1", **{q: str(v) for q, v in before})
    return tracker(events, slots, text, sender=sender)


def plain_tracker(text: str, intent: str, sender: str = SENDER, **values: Any) -> Tracker:
    parsed = {"name": intent, "confidence": 0.95}
    return tracker([LISTEN, user_event(text, parsed)], slots_with(None, **values), text, parsed,
                   sender=sender, active=False)


async def run(action, tracker_: Tracker) -> tuple[list[dict], list[dict]]:
    """Run an action; returns (events, messages sent)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, DOMAIN)
    return events, dispatcher.messages


async def validate(tracker_: Tracker) -> tuple[list[dict], list[dict]]:
    """The diagnostic's validation: (events, what it said before its question)."""
    return await validate_form(ValidateDiagnosticForm(), tracker_, FORM, asked)


asked = said_by(ask)  # what asking a question says, with these slots


def question_of(slot: str):
    return messages.consent_question() if slot == "consent" else GRID.question(slot)


def buttons_of(slot: str) -> list[dict[str, str]]:
    return [{"title": o.label, "payload": str(o.number)} for o in question_of(slot).options]


def slot_values(events: list[dict]) -> dict[str, Any]:
    """The slots the events set (the last value wins)."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def people() -> dict[str, Person]:
    with session_scope() as session:
        return {p.person_key: p for p in session.execute(select(Person)).scalars()}


def stored_results() -> list[StoredDiagnostic]:
    with session_scope() as session:
        return list(session.execute(select(StoredDiagnostic).order_by(StoredDiagnostic.id))
                    .scalars())


EXCLU = {"equipement": 1, "connexion": 2, "usage": 3, "besoin": 1, "contrainte": 1}
AUTONOME = {"equipement": 3, "connexion": 1, "usage": 1, **{q: 1 for q in SKILLS},
            "besoin": 7, "contrainte": 1}


# --------------------------------------------------------------------------- the domain


def test_the_form_asks_consent_then_the_ten_questions_of_the_grid():
    assert GRID.question_ids == QUESTIONS
    # (At a prescripteur's counter, the prescripteur's first name comes first and the person's
    # mobile after the consent: actions/diagnostic_form.next_slot.)
    assert DOMAIN["forms"][FORM]["required_slots"] == [
        "prescripteur_first_name", "consent", "person_mobile", *QUESTIONS]
    # The validation asks every question of this form itself (one call to the action server
    # per turn): no action or response of the domain may ask one instead.
    asking = {f"{kind}_ask_{slot}" for kind in ("action", "utter")
              for slot in DOMAIN["forms"][FORM]["required_slots"]}
    assert not asking & set(DOMAIN["actions"]) and not asking & set(DOMAIN["responses"])


# --------------------------------------------------------------------------- 1. validation


@pytest.mark.parametrize(
    "requested, text, value, next_slot",
    [
        ("equipement", "2", "2", "connexion"),
        ("besoin", "6", "6", "contrainte"),  # a button: its payload is the option number
        ("contrainte", "4", "4", None),  # the last question ends the form
        ("equipement", "jai juste mon portable", "1", "connexion"),
        ("information", "avec l'aide de ma fille", "2", "communication"),
        ("securite", "jamais", "3", "resolution"),
        ("equipement", "les deux", "3", "connexion"),
        ("besoin", "la caf", "1", "contrainte"),
        ("usage", "٢", "2", "information"),  # Arabic-Indic digit two
        ("communication", "Le premier", "1", "contenu"),
    ],
)
async def test_an_answer_fills_the_question_and_the_next_one_is_requested(
    requested, text, value, next_slot
):
    events, sent = await validate(
        answer_tracker(text, requested, retries=1, **answered_before(requested))
    )

    assert events[:3] == [
        SlotSet(requested, value),
        SlotSet("diagnostic_retries", 0),
        SlotSet("diagnostic_remaining", None),
    ]
    assert events[-1] == SlotSet("requested_slot", next_slot)
    if next_slot is None:  # the end: the result is said (test_the_result_is_said_kindly...)
        assert len(sent) == 1 and slot_values(events)["diagnostic_level"]
    else:
        assert len(events) == 4 and sent == []


async def test_consent_yes_is_recorded_for_the_pseudonym_and_equipement_comes_next():
    assert people() == {}

    events, sent = await validate(answer_tracker("oui", "consent", "affirm", 0.98))

    assert events == [
        SlotSet("consent", "1"),
        SlotSet("diagnostic_retries", 0),
        SlotSet("diagnostic_remaining", None),
        SlotSet("requested_slot", "equipement"),
    ]
    assert sent == []
    stored = people()
    assert list(stored) == [expected_key()]
    assert stored[expected_key()].consent_at is not None
    assert stored[expected_key()].opted_out_at is None


async def test_consent_no_ends_the_form_and_records_nothing():
    events, sent = await validate(answer_tracker("non", "consent", "deny", 0.98))

    assert events[:3] == [
        SlotSet("consent", "2"),
        SlotSet("diagnostic_retries", 0),
        SlotSet("diagnostic_remaining", None),
    ]
    assert events[-1] == SlotSet("requested_slot", None)
    assert [m["text"] for m in sent] == [messages.text("consent_declined")]
    assert people() == {}


@pytest.mark.parametrize(
    "slots, next_slot",
    [
        ({}, "consent"),
        ({"consent": "1"}, "equipement"),  # consent given in an earlier diagnostic
        ({"consent": "1", "equipement": "1", "connexion": "3"}, "usage"),
    ],
)
async def test_at_activation_the_first_question_not_answered_is_requested(slots, next_slot):
    events = [
        LISTEN,
        user_event("bonjour", {"name": "greet", "confidence": 0.99}),
        {"event": "action", "name": "utter_welcome"},
        {"event": "slot", "name": "requested_slot", "value": None},
        {"event": "action", "name": FORM},
    ]
    slot_state = slots_with(None, diagnostic_retries=2.0, **slots)
    result, sent = await validate(tracker(events, slot_state, "bonjour"))

    assert result == [SlotSet("diagnostic_retries", 0), SlotSet("diagnostic_remaining", None),
                      SlotSet("requested_slot", next_slot)]
    assert sent == []


# --------------------------------------------------------------------------- 2. adaptive skip


@pytest.mark.parametrize(
    "usage, next_slot",
    [("3", "besoin"), ("non jamais", "besoin"), ("1", "information"), ("2", "information")],
)
async def test_after_usage_the_skill_questions_are_skipped_only_for_no_use(usage, next_slot):
    events, _ = await validate(answer_tracker(usage, "usage", **answered_before("usage")))

    assert slot_values(events)["requested_slot"] == next_slot


async def test_after_no_use_besoin_then_contrainte_then_the_end():
    skipped = {"consent": "1", "equipement": "4", "connexion": "3", "usage": "3"}
    events, _ = await validate(answer_tracker("7", "besoin", **skipped))
    assert slot_values(events) == {
        "besoin": "7", "diagnostic_retries": 0, "diagnostic_remaining": None,
        "requested_slot": "contrainte"
    }

    events, _ = await validate(answer_tracker("1", "contrainte", besoin="7", **skipped))
    assert slot_values(events)["requested_slot"] is None


# --------------------------------------------------------------------------- 3. bad answers


@pytest.mark.parametrize("requested", ["consent", "equipement", "communication", "besoin"])
@pytest.mark.parametrize("retries_before", [0, 1])
async def test_first_and_second_unclear_answers_are_rephrased(requested, retries_before):
    before = answered_before(requested)
    events, sent = await validate(
        answer_tracker(NOT_UNDERSTOOD, requested, retries=retries_before, **before)
    )

    retries = retries_before + 1
    assert events == [
        SlotSet(requested, None),
        SlotSet("diagnostic_retries", retries),
        SlotSet("requested_slot", requested),
    ]
    assert sent == []  # nothing before the rephrased question

    said = asked(requested, slots_with(requested, diagnostic_retries=float(retries), **before))
    question = question_of(requested)
    assert question.rephrase != question.text
    assert len(said) == 1
    assert said[0]["text"] == question.rephrase
    assert said[0]["buttons"] == buttons_of(requested)


@pytest.mark.parametrize("requested", ["equipement", "securite"])
async def test_third_unclear_answer_offers_a_person_then_asks_for_a_number(requested):
    before = answered_before(requested)
    events, sent = await validate(answer_tracker(NOT_UNDERSTOOD, requested, retries=2, **before))

    assert events == [
        SlotSet(requested, None),
        SlotSet("diagnostic_retries", 3),
        SlotSet("requested_slot", requested),
    ]
    assert [(m["text"], m["response"]) for m in sent] == [
        (messages.text("still_not_understood"), None),
        (None, "utter_human"),
    ]
    assert "utter_human" in DOMAIN["responses"]

    said = asked(requested, slots_with(requested, diagnostic_retries=3.0))
    assert len(said) == 1
    assert said[0]["text"] == messages.text("answer_with_number")
    assert said[0]["buttons"] == buttons_of(requested)


async def test_an_out_of_range_number_is_an_unclear_answer():
    events, _ = await validate(answer_tracker("9", "usage", **answered_before("usage")))

    assert slot_values(events) == {
        "usage": None, "diagnostic_retries": 1, "requested_slot": "usage"
    }


# --------------------------------------------------------------------------- 4. interruptions


@pytest.mark.parametrize(
    "intent, text",
    [
        ("bot_challenge", "vous êtes un robot ?"),
        ("ask_human", "je veux parler à quelqu'un"),
        ("stop", "arrêtez les messages"),
        ("delete_my_data", "effacez mes informations"),
    ],
)
@pytest.mark.parametrize("requested", ["consent", "information", "besoin"])
async def test_an_interruption_that_is_not_an_answer_fills_nothing(intent, text, requested):
    assert understand(question_of(requested), text).option is None

    events, sent = await validate(
        answer_tracker(text, requested, intent, 0.9, retries=1, **answered_before(requested))
    )

    assert events == []  # the form rejects itself; the rules answer
    assert sent == []


async def test_off_topic_words_after_an_unclear_answer_count_as_one_more_unclear_answer():
    # Gibberish is often read as out_of_scope; a struggling person must still reach a human.
    before = answered_before("information")
    events, sent = await validate(
        answer_tracker("zzz", "information", "out_of_scope", 0.9, retries=2, **before))

    assert slot_values(events) == {
        "information": None, "diagnostic_retries": 3, "requested_slot": "information"
    }
    assert any("01 70 772 372" in (m.get("text") or "") or m.get("response") == "utter_human"
               for m in sent)


async def test_off_topic_words_at_a_fresh_question_count_as_an_unclear_answer():
    """Mid-question, "Désolé, je ne peux pas vous aider pour cela" confuses: words we cannot
    place are rephrased and counted, so the third one offers a person to call."""
    events, sent = await validate(answer_tracker(
        "il fait beau aujourd'hui", "information", "out_of_scope", 0.9,
        **answered_before("information")))

    assert slot_values(events) == {
        "information": None, "diagnostic_retries": 1, "requested_slot": "information"
    }
    assert sent == []  # only the question, asked again


@pytest.mark.parametrize("text", ["voilà", "Merci !", "euh...", "merci beaucoup", "hmm",
                                  "un instant"])
@pytest.mark.parametrize("intent", ["goodbye", "affirm", "out_of_scope"])
async def test_fillers_and_thanks_mid_question_neither_end_nor_count(text, intent):
    """"voilà" or "merci" read as a goodbye must not end the questions: the question is asked
    again, and it is not one more unclear answer."""
    events, sent = await validate(answer_tracker(
        text, "information", intent, 0.97, retries=1, **answered_before("information")))

    assert slot_values(events) == {"information": None, "requested_slot": "information"}
    assert sent == []


async def test_words_the_nlu_mistakes_for_a_goodbye_do_not_end_the_questions():
    """"il fait beau aujourd'hui" reads as goodbye to the NLU ("bonne journée"): without a
    clear goodbye word it is an answer not understood."""
    events, _ = await validate(answer_tracker(
        "il fait beau aujourd'hui", "information", "goodbye", 0.998,
        **answered_before("information")))

    assert slot_values(events) == {
        "information": None, "diagnostic_retries": 1, "requested_slot": "information"
    }


async def test_a_clear_goodbye_mid_question_pauses_the_questions():
    events, sent = await validate(answer_tracker(
        "au revoir à plus tard", "information", "goodbye", 0.95,
        **answered_before("information")))

    assert events == []  # the form gives way: the rule says goodbye, answers kept
    assert sent == []


async def test_an_unsure_interruption_is_an_unclear_answer():
    events, _ = await validate(answer_tracker(
        "vous êtes un robot ?", "information", "bot_challenge", 0.3,
        **answered_before("information"),
    ))

    assert slot_values(events) == {
        "information": None, "diagnostic_retries": 1, "requested_slot": "information"
    }


@pytest.mark.parametrize(
    "requested, text, intent, confidence, value",
    [
        ("information", "avec ma fille", "ask_help", 0.6, "2"),
        ("equipement", "un ordi", "ask_equipment", 0.9, "2"),
        ("usage", "2", "bot_challenge", 0.9, "2"),
    ],
)
async def test_an_answer_wins_over_an_interruption_intent(
    requested, text, intent, confidence, value
):
    events, sent = await validate(
        answer_tracker(text, requested, intent, confidence, **answered_before(requested))
    )

    assert slot_values(events)[requested] == value
    assert slot_values(events)["requested_slot"] == QUESTIONS[QUESTIONS.index(requested) + 1]
    assert sent == []


@pytest.mark.parametrize("text", ["STOP", "aide", "SUPPRIMER", "Stop !"])
@pytest.mark.parametrize("requested", ["consent", "information", "contrainte"])
async def test_bare_commands_are_never_answers(text, requested):
    events, sent = await validate(
        answer_tracker(text, requested, "affirm", 0.99, **answered_before(requested))
    )

    assert events == []
    assert sent == []


async def test_aide_is_a_command_even_in_a_skill_question():
    # "avec de l'aide" answers the skill questions; "aide" alone asks for help.
    assert understand(GRID.question("information"), "avec de l'aide").option == 2

    events, _ = await validate(
        answer_tracker("aide", "information", "ask_help", 0.9, **answered_before("information"))
    )

    assert events == []


# --------------------------------------------------------------------------- 5. resume


@pytest.mark.parametrize(
    "requested, utter, last_text, last_intent",
    [
        ("connexion", "utter_iamabot", "2", "bot_challenge"),
        ("information", "utter_human", "oui", "ask_human"),
        ("consent", "utter_programme_info", "oui", "ask_programme_info"),
    ],
)
async def test_after_an_interruption_the_form_asks_again_without_reading_the_message(
    requested, utter, last_text, last_intent
):
    # The last message would be understood as an answer if it were read.
    assert understand(question_of(requested), last_text).option is not None
    before = answered_before(requested)

    events, sent = await validate(
        resume_tracker(last_text, last_intent, utter, requested, diagnostic_retries=1.0, **before)
    )

    assert events == [SlotSet("requested_slot", requested)]
    assert sent == []


async def test_after_an_interruption_the_rephrase_count_is_kept():
    before = answered_before("contenu")
    slots = slots_with("contenu", diagnostic_retries=2.0, **before)

    events, _ = await validate(tracker([LISTEN, {"event": "action", "name": "utter_iamabot"},
                                        {"event": "action", "name": FORM}], slots))
    assert events == [SlotSet("requested_slot", "contenu")]
    assert asked("contenu", slots)[0]["text"] == GRID.question("contenu").rephrase


# --------------------------------------------------------------------------- 6. the questions asked


@pytest.mark.parametrize("slot", ["consent", *QUESTIONS])
async def test_each_question_is_asked_with_one_button_per_option(slot):
    sent = asked(slot, slots_with(slot))

    question = question_of(slot)
    assert len(sent) == 1
    assert sent[0]["text"] == question.text
    assert [b["payload"] for b in sent[0]["buttons"]] == [
        str(n) for n in range(1, len(question.options) + 1)
    ]
    assert [b["title"] for b in sent[0]["buttons"]] == [o.label for o in question.options]


async def test_the_consent_question_says_what_is_kept_and_offers_yes_and_no():
    sent = asked("consent", slots_with("consent"))

    assert "STOP" in sent[0]["text"] and "SUPPRIMER" in sent[0]["text"]
    assert "{months}" not in sent[0]["text"]
    assert sent[0]["buttons"] == [{"title": "Oui", "payload": "1"},
                                  {"title": "Non", "payload": "2"}]


async def test_the_button_payload_of_every_option_is_understood_as_that_option():
    for slot in ["consent", *QUESTIONS]:
        for button in buttons_of(slot):
            understood = understand(question_of(slot), button["payload"])
            assert understood.option == int(button["payload"]), (slot, button)


# --------------------------------------------------------------------------- 7. conclude


@pytest.mark.parametrize(
    "answers, level, need_phrase",
    [(EXCLU, "exclu", "pour vos démarches"),
     (AUTONOME, "autonome", "pour vous protéger des arnaques")],
)
async def test_the_result_is_said_kindly_and_stored_under_the_pseudonym(
    answers, level, need_phrase
):
    events, sent = await validate(conclude_tracker(answers))

    result = evaluate(answers)
    assert result.level == level
    assert [m["text"] for m in sent] == [result_message(result)]
    assert need_phrase in sent[0]["text"]
    assert "{besoin}" not in sent[0]["text"]

    (row,) = stored_results()
    assert row.grid_version == GRID.version
    assert row.level == level
    assert row.channel == CHANNEL
    assert re.fullmatch(r"[0-9a-f]{64}", row.person_key)
    assert SENDER not in row.person_key
    assert row.person_key == expected_key()
    assert row.answers == answers
    assert row.services == result.services

    slots = slot_values(events)
    assert {q: slots[q] for q in QUESTIONS} == {q: None for q in QUESTIONS}
    assert slots["diagnostic_retries"] == 0
    assert slots["diagnostic_level"] == level
    assert slots["diagnostic_services"] == result.services
    assert "consent" not in slots  # the consent stays for the next diagnostic
    # Said in the turn of the last answer, by the validation that ends the questions.
    assert events[-1] == SlotSet("requested_slot", None)


async def test_without_consent_nothing_is_stored_and_the_consent_is_asked_again_next_time():
    events, sent = await validate(answer_tracker("non", "consent", "deny", 0.98))

    assert [m["text"] for m in sent] == [messages.text("consent_declined")]
    assert stored_results() == []
    slots = slot_values(events)
    assert slots["consent"] is None
    assert {q: slots[q] for q in QUESTIONS} == {q: None for q in QUESTIONS}
    assert "diagnostic_level" not in slots


async def test_results_of_two_channels_are_two_pseudonyms():
    await validate(conclude_tracker(EXCLU, sender="web:visitor-42"))
    await validate(conclude_tracker(EXCLU))

    rows = stored_results()
    assert [r.channel for r in rows] == ["socketio", "rest"]
    assert [r.person_key for r in rows] == [expected_key("web:visitor-42"), expected_key()]


async def test_the_person_comes_from_the_conversation_id_not_the_channel_a_client_named():
    """A REST client saying `input_channel: twilio_sms` with a phone number as sender is still
    the REST conversation `rest:+33611111111`, never the SMS person of that number."""
    phone = "+33611111111"
    await validate(
        conclude_tracker(EXCLU, sender=f"rest:{phone}", channel="twilio_sms"))
    sms_person = hmac.new(SECRET.encode(), f"tel:{phone}".encode(), hashlib.sha256).hexdigest()
    (row,) = stored_results()
    assert row.channel == "rest"
    assert row.person_key == expected_key(f"rest:{phone}") != sms_person


async def test_cancel_forgets_the_answers_but_not_the_consent():
    answers = {"consent": "1", "equipement": "2", "connexion": "1"}
    events, sent = await run(ActionCancelDiagnostic(), plain_tracker(
        "annuler", "cancel_appointment", **answers
    ))

    assert sent == []
    assert slot_values(events) == {**{q: None for q in QUESTIONS}, "diagnostic_retries": 0, "diagnostic_remaining": None}
    assert stored_results() == []


# --------------------------------------------------------------------------- 8. privacy


async def test_stop_records_the_opt_out_of_the_pseudonym_and_forgets_the_answers():
    events, sent = await run(ActionStop(), plain_tracker(
        "STOP", "stop", consent="1", equipement="1", usage="2"
    ))

    assert sent == []
    stored = people()
    assert list(stored) == [expected_key()]
    assert stored[expected_key()].opted_out_at is not None
    assert slot_values(events) == {**{q: None for q in QUESTIONS}, "diagnostic_retries": 0, "diagnostic_remaining": None}


async def test_delete_erases_only_the_senders_results_and_the_conversation():
    await validate(conclude_tracker(EXCLU))
    await validate(conclude_tracker(AUTONOME))
    await validate(conclude_tracker(AUTONOME, sender=OTHER_SENDER))
    await validate(answer_tracker("oui", "consent", "affirm", 0.99))
    await validate(answer_tracker("oui", "consent", "affirm", 0.99, sender=OTHER_SENDER))
    assert [r.person_key for r in stored_results()] == [expected_key()] * 2 + [
        expected_key(OTHER_SENDER)
    ]

    events, sent = await run(ActionDeleteMyData(), plain_tracker(
        "SUPPRIMER", "delete_my_data", consent="1"
    ))

    assert sent == []
    rows = stored_results()
    assert [(r.person_key, r.level) for r in rows] == [(expected_key(OTHER_SENDER), "autonome")]
    assert set(people()) == {expected_key(OTHER_SENDER)}
    assert AllSlotsReset() in events
    assert events.index(SlotSet("erase_conversation", True)) > events.index(AllSlotsReset())
    assert {"event": "slot", "name": "erase_conversation", "value": True}.items() <= (
        events[-1].items()
    )


async def test_delete_after_stop_keeps_only_the_opt_out_marker():
    await validate(answer_tracker("oui", "consent", "affirm", 0.99))
    await validate(conclude_tracker(EXCLU))
    await run(ActionStop(), plain_tracker("STOP", "stop"))

    await run(ActionDeleteMyData(), plain_tracker("SUPPRIMER", "delete_my_data"))

    assert stored_results() == []
    person = people()[expected_key()]
    assert person.opted_out_at is not None
    assert person.consent_at is None


# --------------------------------------------------------------------------- STOP / SUPPRIMER win


@pytest.mark.parametrize("intent", ["stop", "delete_my_data"])
@pytest.mark.parametrize("text", ["<script>alert('x')</script>", "script alert"])
async def test_stop_and_delete_half_read_by_the_nlu_neither_stop_nor_erase(text, intent):
    """The NLU can be 60 % sure that markup is STOP: nothing so final on a doubt. The words
    are an answer not understood; the command words themselves always work."""
    before = answered_before("equipement")
    events, sent = await validate(answer_tracker(text, "equipement", intent, 0.6, **before))

    assert events == [SlotSet("equipement", None), SlotSet("diagnostic_retries", 1),
                      SlotSet("requested_slot", "equipement")]
    assert sent == []
    assert people() == {}
    events, _ = await validate(answer_tracker("STOP", "equipement", intent, 0.6, **before))
    assert events == []  # the rules stop


@pytest.mark.parametrize("question, text, intent", [
    ("contrainte", "arrêtez de m'écrire", "stop"),
    ("usage", "non, stop", "stop"),
    ("besoin", "effacer mon dossier", "delete_my_data"),
    ("connexion", "delete my data", "delete_my_data"),
    ("consent", "je ne veux pas que vous gardiez mes informations", "delete_my_data"),
])
async def test_stop_and_delete_win_over_words_that_read_as_an_answer(question, text, intent):
    before = answered_before(question) if question != "consent" else {}
    events, _ = await validate(answer_tracker(text, question, intent, 0.95, **before))
    assert events == []


@pytest.mark.parametrize("question, text", [("usage", "non"), ("equipement", "2")])
async def test_a_bare_option_stays_an_answer_even_if_read_as_stop(question, text):
    expected = str(understand(GRID.question(question), text).option)
    events, _ = await validate(answer_tracker(text, question, "stop", 0.95, **answered_before(question)))
    assert [e["value"] for e in events if e.get("name") == question] == [expected]


async def test_concluding_with_missing_answers_tells_the_person_and_keeps_the_answers():
    dispatcher = CollectingDispatcher()
    events = await conclude(dispatcher, conclude_tracker({"equipement": 1}), {"equipement": 1},
                            consent="1")
    assert events == []
    assert [m.get("text") for m in dispatcher.messages] == [messages.text("result_failed")]
    assert stored_results() == []


# --------------------------------------------------------------------------- narrowing


async def test_no_computer_narrows_the_device_question_without_counting_a_failure():
    # NLU reads it as ask_equipment, confidently: the narrowing still wins
    events, sent = await validate(answer_tracker("j'ai pas d'ordi", "equipement", "ask_equipment", 0.99,
                                                 **answered_before("equipement")))
    assert sent == []
    assert [e["value"] for e in events if e.get("name") == "diagnostic_remaining"] == [[1, 4]]
    assert not [e for e in events if e.get("name") == "diagnostic_retries"]
    assert [e["value"] for e in events if e.get("name") == "requested_slot"] == ["equipement"]


async def test_the_narrowed_question_offers_only_the_remaining_options_then_takes_the_answer():
    slots = slots_with("equipement", diagnostic_remaining=[1, 4], **answered_before("equipement"))
    sent = asked("equipement", slots)
    assert sent[0]["text"] == messages.text("narrowed")
    assert [b["payload"] for b in sent[0]["buttons"]] == ["1", "4"]

    events, _ = await validate(answer_tracker("non", "equipement", "deny", 0.9,
                                              diagnostic_remaining=[1, 4],
                                              **answered_before("equipement")))
    assert [e["value"] for e in events if e.get("name") == "equipement"] == ["4"]
    assert [e["value"] for e in events if e.get("name") == "diagnostic_remaining"] == [None]
