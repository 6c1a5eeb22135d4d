"""Erasure (SUPPRIMER) end to end, on every channel, against the running servers.

One person per channel talks to the assistant as they would: by SMS (signed Twilio webhooks),
on Telegram (updates posted to the webhook with the secret token), in the web chat (Socket.IO,
with the session id the server issued) and through the REST channel. Each answers the
diagnostic (SMS, Telegram and REST also book an appointment, with a first name), then writes
SUPPRIMER. Afterwards no cell of any table of either SQLite database (ours and Rasa's tracker)
may hold what identifies them: the phone number (E.164, without "+", national form), the
Telegram chat id, the web session's random part, the REST sender, the first names they gave.
Another person on each channel, who did not erase, keeps their diagnostic, booking and
conversation.
"""
from __future__ import annotations

import asyncio
import random
import re
import sqlite3
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field

import pytest

from bot.pseudonyms import channel_identity, person_key
from scripts.sms_driver import SmsDriver, new_phone
from tests.support.conversation import HAPPY_PATH, book_in_saint_denis, say, texts
from tests.support.databases import rows
from tests.support.fake_telegram import callback_update, message_update
from tests.support.telegram import button_data, send
from tests.support.waiting import wait_until
from tests.support.webchat import web_chat

pytestmark = pytest.mark.e2e

ERASED = "effacées"  # utter_data_deleted: "... vos réponses et notre conversation sont effacées."
# First names no seeded data holds (checked before anything is said), ASCII so that Rasa's
# JSON (ensure_ascii) writes them as they are.
SMS_NAME, TG_NAME, TG_PROFILE_NAME, REST_NAME = "Zelmirande", "Vasilissa", "Orlanthea", "Quillevine"
SMS_BYSTANDER_NAME, REST_BYSTANDER_NAME = "Bathildine", "Ysoldette"
NOT_NECESSARILY_STORED = {"phone number, national form", "Telegram profile first name"}


# --------------------------------------------------------------------------- the databases


def sqlite_path(url: str) -> str:
    assert url.startswith("sqlite:///"), url
    return url.removeprefix("sqlite:///")


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def cells_holding(url: str, value: str) -> list[tuple[str, str, int]]:
    """(table, column, number of rows) of every column of every table (sqlite_master) where a
    cell, cast to text, holds `value` (LIKE '%value%': case-insensitive for ASCII)."""
    found = []
    with closing(sqlite3.connect(sqlite_path(url), timeout=30)) as db:
        tables = [name for (name,) in db.execute(
            "select name from sqlite_master where type = 'table' order by name")]
        for table in tables:
            columns = [row[1] for row in db.execute(f'pragma table_info("{table}")')]
            for column in columns:
                [(count,)] = db.execute(
                    f'select count(*) from "{table}" where cast("{column}" as text) '
                    f"like ? escape '\\'", (_like(value),)).fetchall()
                if count:
                    found.append((table, column, count))
    return found


def everywhere(assistant, value: str) -> dict[str, list[tuple[str, str, int]]]:
    """Where `value` is, in our database ("npt") and in Rasa's tracker ("tracker")."""
    hits = {"npt": cells_holding(assistant.db_url, value),
            "tracker": cells_holding(assistant.tracker_url, value)}
    return {db: found for db, found in hits.items() if found}


def conversation_events(assistant, conversation: str) -> int:
    [(count,)] = rows(assistant.tracker_url, "select count(*) from events where sender_id = ?",
                      conversation)
    return count


def diagnostics_of(assistant, key: str) -> list[tuple]:
    return rows(assistant.db_url, "select level, channel from diagnostic_results "
                "where person_key = ?", key)


def bookings_of(assistant, key: str) -> list[tuple]:
    return rows(assistant.db_url, "select reference, status, first_name, sender_id from bookings "
                "where person_key = ? order by id", key)


# --------------------------------------------------------------------------- SMS


def sms_key(assistant, phone: str) -> str:
    return person_key(channel_identity("twilio_sms", phone), assistant.secret)


def national(phone: str) -> str:
    """"+33612345678" -> "0612345678"."""
    assert phone.startswith("+33"), phone
    return "0" + phone[3:]


# --------------------------------------------------------------------------- Telegram


def new_chat() -> int:
    """A chat id long enough that no timestamp or other number of the databases holds it."""
    return random.randint(10**12, 10**13)


def tg_key(assistant, chat: int) -> str:
    return person_key(channel_identity("telegram", str(chat)), assistant.secret)


def _named(update: dict, profile_name: str) -> dict:
    """The update as Telegram would post it for a person whose profile says `profile_name`."""
    for kind in ("message", "callback_query"):
        body = update.get(kind)
        if body:
            body["from"]["first_name"] = profile_name
            chat = (body.get("chat") or (body.get("message") or {}).get("chat") or {})
            if "first_name" in chat:
                chat["first_name"] = profile_name
    return update


def tg_send(assistant, chat: int, update: dict, expected: str, profile_name: str,
            timeout: float = 60) -> list[dict]:
    """Post `update`, as sent by `profile_name`; the messages sent to the chat since, once one
    holds `expected`."""
    return send(assistant, chat, _named(update, profile_name), expected, timeout)


def tg_press(assistant, chat: int, messages: list[dict], title: str, expected: str,
             profile_name: str) -> list[dict]:
    """Press the inline button whose text holds `title` in the last message with buttons."""
    return tg_send(assistant, chat, callback_update(chat, button_data(messages, title)), expected,
                   profile_name)


def tg_diagnostic(assistant, chat: int, profile_name: str) -> list[dict]:
    """/start, the consent by its button, then every answer typed in free words."""
    messages = tg_send(assistant, chat, message_update(chat, "/start"), "On commence ?",
                       profile_name)
    messages = tg_press(assistant, chat, messages, "Oui", "Quel appareil avez-vous ?",
                        profile_name)
    for text, expected in HAPPY_PATH[2:]:
        messages = tg_send(assistant, chat, message_update(chat, text), expected, profile_name)
    return messages


# --------------------------------------------------------------------------- web chat


async def _web(rasa_url: str, session_id: str | None, turns: list[tuple[str, str]],
               timeout: float = 60) -> tuple[str, list[list[str]]]:
    """A browser's Socket.IO conversation: asks for `session_id` (None: a new one), then says
    each message and waits for a bot message holding the expected text. (The session id the
    server confirmed, the bot texts received after each message.)"""
    async with web_chat(rasa_url, session_id) as chat:
        answers = []
        for message, expected in turns:
            before = len(chat.received)
            await chat.say(message, chat.given)
            deadline = time.monotonic() + timeout
            while not any(expected in text for text in chat.texts(before)):
                if time.monotonic() > deadline:
                    raise AssertionError(f"after {message!r} no web chat message with "
                                         f"{expected!r}: {chat.texts(before)}")
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.3)  # the rest of this turn's messages
            answers.append(chat.texts(before))
        return chat.given, answers


def web_conversation(assistant, turns: list[tuple[str, str]],
                     session_id: str | None = None) -> tuple[str, list[list[str]]]:
    return asyncio.run(_web(assistant.rasa_url, session_id, turns))


# The page's first message is "/greet" (chat.js), then the answers of the happy path.
WEB_DIAGNOSTIC = [("/greet", "On commence ?"), *HAPPY_PATH[1:]]


def web_key(assistant, random_part: str) -> str:
    return person_key(channel_identity("socketio", random_part), assistant.secret)


def rest_key(assistant, sender: str) -> str:
    return person_key(channel_identity("rest", sender), assistant.secret)


# --------------------------------------------------------------------------- the people


@dataclass
class Person:
    channel: str
    conversation: str  # the Rasa conversation id
    key: str  # the pseudonym
    needles: dict[str, str] = field(default_factory=dict)  # what must not stay: label -> value
    reply: str = ""  # what the assistant answered to SUPPRIMER
    references: list[str] = field(default_factory=list)  # booking references


@dataclass
class Scene:
    erased: dict[str, Person]
    bystanders: dict[str, Person]
    before: dict[str, dict]  # label -> where the value was found before SUPPRIMER


def reference_in(text: str) -> str:
    return re.search(r"Votre référence : ([A-Z0-9]{6})", text).group(1)


@pytest.fixture(scope="module")
def scene(assistant) -> Scene:
    for name in (SMS_NAME, TG_NAME, TG_PROFILE_NAME, REST_NAME, SMS_BYSTANDER_NAME,
                 REST_BYSTANDER_NAME):
        assert everywhere(assistant, name) == {}, f"{name} is already stored: choose another"
    driver = SmsDriver(assistant.rasa_url, assistant.twilio)
    bystanders: dict[str, Person] = {}
    erased: dict[str, Person] = {}

    # Bystanders first: one per channel, who will not erase anything.
    phone = new_phone()
    confirmation = driver.diagnostic_and_booking(phone, HAPPY_PATH, first_name=SMS_BYSTANDER_NAME)
    bystanders["sms"] = Person("twilio_sms", f"sms:{phone}", sms_key(assistant, phone),
                               {"phone": phone}, references=[reference_in(confirmation)])
    chat = new_chat()
    tg_diagnostic(assistant, chat, "Awa")
    bystanders["telegram"] = Person("telegram", f"tg:{chat}", tg_key(assistant, chat),
                                    {"chat id": str(chat)})
    session_id, _ = web_conversation(assistant, WEB_DIAGNOSTIC)
    bystanders["web"] = Person("socketio", f"web:{session_id[:32]}",
                               web_key(assistant, session_id[:32]),
                               {"web session": session_id[:32]})
    sender = f"bystander-{uuid.uuid4().hex}"
    confirmation = texts(book_in_saint_denis(assistant, sender, REST_BYSTANDER_NAME))
    bystanders["rest"] = Person("rest", f"rest:{sender}", rest_key(assistant, sender),
                                {"sender": sender}, references=[reference_in(confirmation)])

    # SMS: the diagnostic and a booking with a first name.
    phone = new_phone()
    confirmation = driver.diagnostic_and_booking(phone, HAPPY_PATH, first_name=SMS_NAME)
    assert f"C'est réservé, {SMS_NAME}" in confirmation, confirmation
    erased["sms"] = Person("twilio_sms", f"sms:{phone}", sms_key(assistant, phone), {
        "phone number (E.164)": phone, "phone number without +": phone.lstrip("+"),
        "phone number, national form": national(phone), "SMS first name": SMS_NAME},
        references=[reference_in(confirmation)])

    # Telegram: the diagnostic in free words, then a booking with a first name.
    chat = new_chat()
    tg_diagnostic(assistant, chat, TG_PROFILE_NAME)
    places = tg_send(assistant, chat, message_update(chat, "93200"),
                     "Quel lieu choisissez-vous ?", TG_PROFILE_NAME)
    slots = tg_press(assistant, chat, places, "Saint-Denis", "rendez-vous libres",
                     TG_PROFILE_NAME)
    tg_press(assistant, chat, slots, "", "Quel est votre prénom ?", TG_PROFILE_NAME)
    done = tg_send(assistant, chat, message_update(chat, TG_NAME), "Votre référence",
                   TG_PROFILE_NAME)
    confirmation = "\n".join(m["text"] for m in done)
    assert f"C'est réservé, {TG_NAME}" in confirmation, confirmation
    erased["telegram"] = Person("telegram", f"tg:{chat}", tg_key(assistant, chat), {
        "Telegram chat id": str(chat), "Telegram first name (booking)": TG_NAME,
        "Telegram profile first name": TG_PROFILE_NAME},
        references=[reference_in(confirmation)])

    # Web chat: the diagnostic.
    session_id, _ = web_conversation(assistant, WEB_DIAGNOSTIC)
    erased["web"] = Person("socketio", f"web:{session_id[:32]}",
                           web_key(assistant, session_id[:32]),
                           {"web session random part": session_id[:32]})

    # REST: the diagnostic and a booking with a first name.
    sender = f"erasure-{uuid.uuid4().hex}"
    confirmation = texts(book_in_saint_denis(assistant, sender, REST_NAME))
    assert f"C'est réservé, {REST_NAME}" in confirmation, confirmation
    erased["rest"] = Person("rest", f"rest:{sender}", rest_key(assistant, sender),
                            {"REST sender": sender, "REST first name": REST_NAME},
                            references=[reference_in(confirmation)])

    # Before SUPPRIMER every value is stored somewhere (so the search below finds things).
    before = {label: everywhere(assistant, value)
              for person in erased.values() for label, value in person.needles.items()}

    # SUPPRIMER, on each channel.
    erased["sms"].reply = "\n".join(driver.exchange(phone_of(erased["sms"]), "SUPPRIMER", ERASED))
    tg_chat = int(erased["telegram"].needles["Telegram chat id"])
    erased["telegram"].reply = "\n".join(
        m.get("text", "") for m in tg_send(assistant, tg_chat, message_update(tg_chat, "SUPPRIMER"),
                                           ERASED, TG_PROFILE_NAME))
    again, [answer] = web_conversation(assistant, [("SUPPRIMER", ERASED)], session_id)
    assert again == session_id  # the same browser, with the id it was issued
    erased["web"].reply = "\n".join(answer)
    erased["rest"].reply = texts(say(assistant, sender, "SUPPRIMER"))

    settle(assistant, erased)
    return Scene(erased=erased, bystanders=bystanders, before=before)


def phone_of(person: Person) -> str:
    return person.conversation.removeprefix("sms:")


def settle(assistant, erased: dict[str, Person]) -> None:
    """Wait until the SUPPRIMER turns are over: each conversation erased from the tracker, each
    stored SMS and Telegram update processed (a channel marks it once Rasa is done)."""
    for person in erased.values():
        wait_until(lambda: conversation_events(assistant, person.conversation) == 0,
                   what=f"the events of {person.channel}'s conversation are still stored")
    wait_until(lambda: not rows(assistant.db_url, "select id from sms_messages where "
                                "direction = 'in' and status in ('received', 'processing')"),
               what="an SMS is still being processed")
    wait_until(lambda: not rows(assistant.db_url, "select id from channel_updates where "
                                "status in ('received', 'processing')"),
               what="a Telegram update is still being processed")
    time.sleep(1)


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("channel", ["sms", "telegram", "web", "rest"])
def test_supprimer_is_confirmed_on_every_channel(scene, channel):
    reply = scene.erased[channel].reply
    assert ERASED in reply, reply


def test_the_values_were_stored_before_supprimer(scene):
    """The search finds things: before SUPPRIMER each person's number, chat id, session, sender
    and the first names they gave were in the databases. Looked for in case they were written,
    but not expected: the national form of the number, and the Telegram profile's first name
    (only in an update's JSON, blanked once the update is processed)."""
    missing = [label for label, where in scene.before.items()
               if not where and label not in NOT_NECESSARILY_STORED]
    assert missing == [], missing


@pytest.mark.parametrize("channel", ["sms", "telegram", "web", "rest"])
def test_after_supprimer_no_cell_of_either_database_holds_the_person(assistant, scene, channel):
    person = scene.erased[channel]
    left = {f"{label} {value!r}": where for label, value in person.needles.items()
            if (where := everywhere(assistant, value))}
    assert left == {}, ("still stored after SUPPRIMER, as {label: {database: [(table, column, "
                        f"rows)]}}: {left}")


@pytest.mark.parametrize("channel", ["sms", "telegram", "web", "rest"])
def test_after_supprimer_the_person_has_no_diagnostic_and_no_conversation(assistant, scene,
                                                                         channel):
    person = scene.erased[channel]
    assert diagnostics_of(assistant, person.key) == []
    assert conversation_events(assistant, person.conversation) == 0
    # Their bookings stay (the structure's funding rests on them), with no contact data.
    for reference, status, first_name, sender_id in bookings_of(assistant, person.key):
        assert reference in person.references and status == "booked"
        assert not first_name and not sender_id


def test_the_bystanders_keep_their_diagnostic_booking_and_conversation(assistant, scene):
    for channel, person in scene.bystanders.items():
        assert diagnostics_of(assistant, person.key), channel
        assert conversation_events(assistant, person.conversation) > 0, channel
        for label, value in person.needles.items():
            assert everywhere(assistant, value), (channel, label)
    expected = {"sms": (SMS_BYSTANDER_NAME, f"sms:{phone_of(scene.bystanders['sms'])}"),
                "rest": (REST_BYSTANDER_NAME, scene.bystanders["rest"].conversation)}
    for channel, (first_name, sender_id) in expected.items():
        person = scene.bystanders[channel]
        assert bookings_of(assistant, person.key) == [
            (person.references[0], "booked", first_name, sender_id)], channel
    # The bystander's number still has its SMS.
    phone = phone_of(scene.bystanders["sms"])
    assert rows(assistant.db_url, "select count(*) from sms_messages where phone = ?",
                phone)[0][0] > 0
