"""A small fake of Telegram's Bot API on loopback: python-telegram-bot talks to it (through
TELEGRAM_API_BASE_URL) and it records every call the assistant makes; it can be told to fail
the next calls, to test retries. It also builds the update JSON Telegram would post."""
from __future__ import annotations

import itertools
import json
import threading
import time
from urllib.parse import parse_qs

from scripts.fake_api import JsonHandler, LoopbackServer

BOT_TOKEN = "123456:fake-telegram-token"
SECRET_TOKEN = "fake-telegram-secret"


class FakeTelegram(LoopbackServer):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.failures_left = 0
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        fake = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                prefix = f"/bot{BOT_TOKEN}/"
                if not self.path.startswith(prefix):
                    return self._answer(404, {"ok": False, "error_code": 404,
                                              "description": "Not Found"})
                method = self.path[len(prefix):]
                with fake._lock:
                    failing = fake.failures_left > 0 and method == "sendMessage"
                    if failing:
                        fake.failures_left -= 1
                    else:
                        fake.calls.append((method, params))
                if failing:
                    return self._answer(500, {"ok": False, "error_code": 500,
                                              "description": "Internal Server Error"})
                if method == "sendMessage":
                    result = {"message_id": next(fake._ids), "date": int(time.time()),
                              "chat": {"id": int(params["chat_id"]), "type": "private"},
                              "text": params.get("text", "")}
                elif method == "getMe":
                    result = {"id": 123456, "is_bot": True, "first_name": "NPT",
                              "username": "npt_bot"}
                else:  # setWebhook, answerCallbackQuery...
                    result = True
                self._answer(200, {"ok": True, "result": result})

        self._serve(Handler)

    def env(self) -> dict[str, str]:
        return {"TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_SECRET_TOKEN": SECRET_TOKEN,
                "TELEGRAM_API_BASE_URL": self.url}

    def sent_to(self, chat_id: int) -> list[dict]:
        with self._lock:
            return [params for method, params in self.calls
                    if method == "sendMessage" and int(params.get("chat_id", 0)) == chat_id]

    def called(self, method: str) -> list[dict]:
        with self._lock:
            return [params for name, params in self.calls if name == method]


_update_ids = itertools.count(int(time.time()))


def user(chat_id: int) -> dict:
    return {"id": chat_id, "is_bot": False, "first_name": "Awa", "language_code": "fr"}


def message_update(chat_id: int, text: str | None = None, update_id: int | None = None,
                   **extra) -> dict:
    """The JSON Telegram posts for a message (text, location, voice...)."""
    message = {"message_id": next(_update_ids) % 100000, "date": int(time.time()),
               "chat": {"id": chat_id, "type": "private", "first_name": "Awa"},
               "from": user(chat_id), **extra}
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
    return {"update_id": update_id or next(_update_ids), "message": message}


def callback_update(chat_id: int, data: str) -> dict:
    return {"update_id": next(_update_ids), "callback_query": {
        "id": str(next(_update_ids)), "from": user(chat_id), "chat_instance": "1", "data": data,
        "message": {"message_id": 1, "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"}, "text": "..."}}}


def edited_update(chat_id: int, text: str) -> dict:
    update = message_update(chat_id, text)
    update["edited_message"] = update.pop("message")
    update["edited_message"]["edit_date"] = int(time.time())
    return update
