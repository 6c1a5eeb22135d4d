"""Telegram end to end: real update JSON posted to the running assistant's webhook with the
secret token; python-telegram-bot answers through a fake Bot API on loopback that records every
call (tests/support/fake_telegram.py)."""
from __future__ import annotations

import re
import sqlite3
import time

import pytest
import requests

from tests.support.conversation import HAPPY_PATH
from tests.support.databases import rows
from tests.support.fake_telegram import SECRET_TOKEN, callback_update, edited_update, message_update
from tests.support.telegram import WEBHOOK, button_data, markup, new_chat, post, send

pytestmark = pytest.mark.e2e

SAINT_DENIS = {"latitude": 48.9362, "longitude": 2.3574}


def press(assistant, chat: int, messages: list[dict], title: str, expected: str) -> list[dict]:
    """Press the inline button whose text holds `title` in the last message that has buttons."""
    return send(assistant, chat, callback_update(chat, button_data(messages, title)), expected)


def test_a_person_does_the_diagnostic_and_books_on_telegram(assistant):
    chat = new_chat()
    messages = send(assistant, chat, message_update(chat, "/start"), "On commence ?")
    assert all(not button["callback_data"].startswith("/")
               for m in messages for row in markup(m).get("inline_keyboard", []) for button in row)
    messages = press(assistant, chat, messages, "Oui", "Quel appareil avez-vous ?")
    for text, expected in HAPPY_PATH[2:]:
        messages = send(assistant, chat, message_update(chat, text), expected)
    asked = [m for m in messages if markup(m).get("keyboard")]
    assert asked and markup(asked[-1])["keyboard"][0][0]["request_location"] is True
    places = send(assistant, chat, message_update(chat, location=SAINT_DENIS),
                  "Quel lieu choisissez-vous ?")
    slots = press(assistant, chat, places, "Saint-Denis", "rendez-vous libres")
    press(assistant, chat, slots, "", "Quel est votre prénom ?")  # the first slot
    done = send(assistant, chat, message_update(chat, "Mariam"), "Votre référence")
    text = "\n".join(m["text"] for m in done)
    assert "C'est réservé, Mariam" in text
    assert assistant.telegram.called("answerCallbackQuery"), "button presses are answered"
    [(count,)] = rows(assistant.db_url, "select count(*) from bookings where channel = 'telegram' "
                      "and first_name = 'Mariam' and status = 'booked'")
    assert count >= 1
    # The reminder comes on Telegram too, through the same channel.
    from bot.notifications.rasa_push import push_intent

    reference = re.search(r"Votre référence : ([A-Z0-9]{6})", text).group(1)
    before = len(assistant.telegram.sent_to(chat))
    push_intent(f"tg:{chat}", "telegram", "EXTERNAL_reminder", {"reference": reference},
                url=assistant.rasa_url, token=assistant.env["NPT_RASA_TOKEN"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(assistant.telegram.sent_to(chat)) == before:
        time.sleep(0.1)
    reminder = assistant.telegram.sent_to(chat)[-1]["text"]
    assert "rappel de votre rendez-vous" in reminder and reference in reminder


def test_a_request_without_the_secret_token_is_refused(assistant):
    chat = new_chat()
    for secret in ("", "wrong-secret"):
        assert post(assistant, message_update(chat, "bonjour"), secret=secret).status_code == 403
    bad = requests.post(assistant.rasa_url + WEBHOOK, data=b"not json", timeout=30,
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET_TOKEN})
    assert bad.status_code == 400
    time.sleep(1)
    assert assistant.telegram.sent_to(chat) == []


def test_an_update_seen_twice_is_processed_once(assistant):
    chat = new_chat()
    update = message_update(chat, "bonjour")
    send(assistant, chat, update, "On commence ?")
    count = len(assistant.telegram.sent_to(chat))
    assert post(assistant, update).status_code == 200
    time.sleep(2)
    assert len(assistant.telegram.sent_to(chat)) == count


@pytest.mark.parametrize("extra", [
    {"voice": {"file_id": "v1", "file_unique_id": "v1u", "duration": 3}},
    {"photo": [{"file_id": "p1", "file_unique_id": "p1u", "width": 90, "height": 90}]},
    {"sticker": {"file_id": "s1", "file_unique_id": "s1u", "width": 512, "height": 512,
                 "is_animated": False, "is_video": False, "type": "regular"}},
])
def test_voice_photos_and_stickers_get_a_kind_answer(assistant, extra):
    chat = new_chat()
    send(assistant, chat, message_update(chat, **extra), "Je ne peux lire que du texte")


def test_an_edited_message_gets_a_kind_answer(assistant):
    chat = new_chat()
    send(assistant, chat, edited_update(chat, "bonjour"), "modifié un message")


def test_a_deep_link_parameter_is_never_kept_in_the_conversation(assistant):
    chat, other = new_chat(), new_chat()
    # Not a code at all: the conversation simply starts.
    send(assistant, chat, message_update(chat, "/start PRESCR-LAPOSTE-93"), "On commence ?")
    # Shaped like a code but unknown: said so, and nothing reaches the conversation.
    send(assistant, other, message_update(other, "/start ABCDEFGH23"), "n'est pas reconnu")
    with sqlite3.connect(assistant.tracker_url.removeprefix("sqlite:///")) as connection:
        found = connection.execute("select count(*) from events where data like '%PRESCR-LAPOSTE%' "
                                   "or data like '%ABCDEFGH23%'").fetchone()[0]
    assert found == 0


def test_stop_is_honoured_before_anything_else_until_start(assistant):
    from bot.notifications.rasa_push import PushError, push_intent

    chat = new_chat()
    send(assistant, chat, message_update(chat, "bonjour"), "On commence ?")
    stopped = send(assistant, chat, message_update(chat, "STOP"), "vous ne recevrez plus")
    assert len(stopped) == 1
    count = len(assistant.telegram.sent_to(chat))
    post(assistant, message_update(chat, "bonjour"))
    try:
        push_intent(f"tg:{chat}", "telegram", "EXTERNAL_reminder", {"reference": "ABCDEF"},
                    url=assistant.rasa_url, token=assistant.env["NPT_RASA_TOKEN"])
    except PushError:
        pass
    time.sleep(3)
    assert len(assistant.telegram.sent_to(chat)) == count
    send(assistant, chat, message_update(chat, "start"), "de nouveau recevoir")


def test_a_failed_send_is_retried(assistant):
    chat = new_chat()
    assistant.telegram.failures_left = 1
    send(assistant, chat, message_update(chat, "bonjour"), "On commence ?")
