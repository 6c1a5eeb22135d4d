"""A Telegram chat with the running assistant: updates posted to its webhook with the secret
token, and the messages it sent back, read from the fake Bot API (tests/support/fake_telegram.py)."""
from __future__ import annotations

import json
import random
import time

import requests

from tests.support.fake_telegram import SECRET_TOKEN

WEBHOOK = "/webhooks/telegram/webhook"


def new_chat() -> int:
    return random.randint(10**8, 10**9)


def post(assistant, update: dict, secret: str = SECRET_TOKEN) -> requests.Response:
    return requests.post(assistant.rasa_url + WEBHOOK, json=update, timeout=30,
                         headers={"X-Telegram-Bot-Api-Secret-Token": secret})


def markup(message: dict) -> dict:
    raw = message.get("reply_markup")
    return json.loads(raw) if isinstance(raw, str) else (raw or {})


def send(assistant, chat: int, update: dict, expected: str, timeout: float = 60) -> list[dict]:
    """Post `update`; the messages sent to the chat since, once one holds `expected`."""
    fake = assistant.telegram
    before = len(fake.sent_to(chat))
    answer = post(assistant, update)
    assert answer.status_code == 200, answer.text
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = fake.sent_to(chat)[before:]
        if any(expected in m.get("text", "") for m in new):
            time.sleep(0.3)  # the rest of this turn's messages
            return fake.sent_to(chat)[before:]
        time.sleep(0.1)
    raise AssertionError(f"after {update} no Telegram message with {expected!r}: "
                         f"{[m.get('text') for m in fake.sent_to(chat)[before:]]}")


def button_data(messages: list[dict], title: str) -> str:
    """The callback data of the inline button whose text holds `title`, in the last message that
    has buttons."""
    keyboard = next(markup(m)["inline_keyboard"] for m in reversed(messages)
                    if "inline_keyboard" in markup(m))
    return next(button["callback_data"] for row in keyboard for button in row
                if title in button["text"])
