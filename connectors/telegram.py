"""Telegram, our own Rasa channel (`telegram`) on python-telegram-bot (ENGINEERING.md trap 3).

POST /webhooks/telegram/webhook
  - the X-Telegram-Bot-Api-Secret-Token header must be TELEGRAM_SECRET_TOKEN (403 otherwise);
  - an update_id already seen is acknowledged and not processed again;
  - text goes to Rasa; "/start" starts the conversation; "/start <code>" (a deep link
    t.me/<bot>?start=<code>) or a message that is only an organisation's code opens the
    prescripteur mode (connectors/gate.py: the code never reaches Rasa); a button
    press (callback query) is answered and becomes that choice's payload; a shared location
    becomes `/inform_location{...}` for the place search; STOP / START are honoured before
    anything else, as on SMS; voice notes, photos, stickers, files and edited messages get a
    kind answer instead of an error.
A turn's answers leave once Rasa has saved the turn, which keeps the stored update's id: an
update taken up again after a crash is processed again when its turn was not saved (nothing was
sent), and otherwise gets that turn's answers from the conversation without a second turn
(answers are not stored one by one as SMS are, so a crash in the middle of sending them sends
the first ones again).
The bot is created inside the server's event loop, and start-up never calls Telegram (no
`getMe`, no `setWebhook`): the assistant starts offline. Registering the webhook is a command:
`npt telegram set-webhook`. Without TELEGRAM_BOT_TOKEN and TELEGRAM_SECRET_TOKEN the channel is
off (its webhook answers 503) and a log line says so.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import metrics
from bot.channels import telegram_store
from bot.channels.channel_store import offered_choices, remember_choices
from bot.messages import text as say
from bot.people.privacy import is_opted_out
from bot.people.opt_words import opt_word
from bot.pseudonyms import (channel_identity, conversation_id, person_key,
                                   split_conversation_id)
from connectors.background import BackgroundTasks, patiently, retry_delays_from_env
from connectors.gate import (as_words, code_gate, count_start, counted, last_question,
                             opt_gate, saved_answers)

log = logging.getLogger(__name__)
# httpx logs every request's URL at INFO, and a Bot API URL holds the bot's token.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

CHANNEL = "telegram"
MAX_TEXT = 1000
MAX_UPDATE_BYTES = 256 * 1024
# A stored update left `processing` this long ago belongs to a process that stopped.
STALE_SECONDS = 120
SWEEP_SECONDS = 60
TELEGRAM_LIMIT = 4096  # characters of one Telegram message


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    secret: str
    api_base_url: str  # e.g. https://api.telegram.org/bot (the token is appended)
    public_url: str

    @classmethod
    def from_env(cls) -> "TelegramSettings":
        def env(name: str) -> str:
            return os.environ.get(name, "").strip()

        return cls(env("TELEGRAM_BOT_TOKEN"), env("TELEGRAM_SECRET_TOKEN"),
                   env("TELEGRAM_API_BASE_URL"), env("NPT_PUBLIC_URL").rstrip("/"))

    @property
    def enabled(self) -> bool:
        return bool(self.token and self.secret)

    def make_bot(self):
        from telegram import Bot

        if self.api_base_url:
            return Bot(self.token, base_url=self.api_base_url.rstrip("/") + "/bot",
                       base_file_url=self.api_base_url.rstrip("/") + "/file/bot")
        return Bot(self.token)


def _turn_id(row_id: int | None) -> str | None:
    """The id the conversation keeps for a stored update (Rasa's message_id of the turn)."""
    return f"tg-{row_id}" if row_id is not None else None


def key_of(chat_id: str) -> str:
    return person_key(channel_identity(CHANNEL, str(chat_id)))


def chat_of(recipient_id: str) -> str | None:
    """The chat id of a Telegram conversation (`tg:123`); None for any other conversation."""
    channel, raw = split_conversation_id(recipient_id)
    return raw if channel == CHANNEL and raw.lstrip("-").isdigit() else None


def _keyboard(buttons: list[dict]):
    """Inline buttons carrying only their number (Telegram allows 64 bytes of callback data)."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    rows = [[InlineKeyboardButton(str(button.get("title") or f"Choix {number}")[:64],
                                  callback_data=str(number))]
            for number, button in enumerate(buttons, start=1)]
    return InlineKeyboardMarkup(rows)


class TelegramOutput(OutputChannel):
    """Replies in the chat: text, inline buttons, the "share my location" button."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def __init__(self, bot, retry_delays: tuple[float, ...] = (1.0, 4.0), in_turn: bool = False,
                 held: bool = False):
        self.bot = bot
        self.retry_delays = retry_delays
        self.in_turn = in_turn  # a reply: the person was checked when their message came in
        # With `held`, the answers wait in `self.held` until `send_held()`: a turn's answers
        # leave once Rasa has saved the turn (TelegramInput._handle).
        self.held: list[tuple[Text, Dict[Text, Any]]] | None = [] if held else None

    async def send_held(self) -> None:
        """Send the answers held, in order; later answers go out at once."""
        held, self.held = self.held or [], None
        for recipient_id, message in held:
            await self.send_response(recipient_id, message)

    async def _send(self, chat_id: str, text: str, reply_markup=None, force: bool = False) -> bool:
        chat_id = chat_of(chat_id) if ":" in str(chat_id) else str(chat_id)
        if chat_id is None:
            log.error("Telegram message not sent: not a Telegram conversation")
            return False
        force = force or self.in_turn
        if not force and await patiently(is_opted_out, key_of(chat_id)):
            log.info("Telegram message to an opted-out chat not sent")
            return False
        text = (text or "").strip()[:TELEGRAM_LIMIT] or "…"
        for attempt in range(1 + len(self.retry_delays)):
            try:
                await self.bot.send_message(chat_id=int(chat_id), text=text,
                                            reply_markup=reply_markup)
                metrics.message_out(CHANNEL)
                return True
            except Exception as error:  # telegram.error.* and network errors: retried, logged
                if attempt < len(self.retry_delays):
                    log.warning("Telegram send failed (%s); retrying", error)
                    await asyncio.sleep(self.retry_delays[attempt])
                else:
                    log.error("Telegram message not sent after %d attempts: %s", attempt + 1, error)
                    metrics.error("telegram_send")
        return False

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        if self.held is not None:
            self.held.append((recipient_id, message))
            return
        text = (message.get("text") or "").strip()
        buttons = message.get("buttons") or message.get("quick_replies") or []
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("data"), dict):
            custom = custom["data"]  # actions send {"data": {...}} (what the web chat receives)
        if isinstance(custom, dict) and custom.get("ask_location"):
            from telegram import KeyboardButton, ReplyKeyboardMarkup

            markup = ReplyKeyboardMarkup([[KeyboardButton(say("share_location"),
                                                          request_location=True)]],
                                         one_time_keyboard=True, resize_keyboard=True)
            await self._send(recipient_id, text or custom.get("text") or say("share_location"),
                             markup)
            return
        if message.get("image"):
            text = f"{text}\n{message['image']}".strip()
        if buttons:
            chat_id = chat_of(recipient_id) if ":" in str(recipient_id) else str(recipient_id)
            await patiently(remember_choices, CHANNEL, chat_id, buttons)
            await self._send(recipient_id, text, _keyboard(buttons))
        elif text:
            await self._send(recipient_id, text)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, text)


class TelegramInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(TelegramSettings.from_env())

    def __init__(self, settings: TelegramSettings):
        self.settings = settings
        self.bot = None  # made in the server's event loop (after_server_start)
        self.background = BackgroundTasks()
        self.agent = None  # Rasa's agent, to read a conversation back after START
        self.retry_delays = retry_delays_from_env()
        if settings.enabled:
            log.info("Telegram channel on")
        else:
            log.warning("Telegram channel off: set TELEGRAM_BOT_TOKEN and TELEGRAM_SECRET_TOKEN "
                        "to switch it on")

    def get_output_channel(self) -> OutputChannel:
        if self.bot is None:
            raise RuntimeError("the Telegram channel is off or not started")
        return TelegramOutput(self.bot)

    async def _handle(self, update, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      row_id: int | None = None) -> None:

        metrics.message_in(CHANNEL)
        output = TelegramOutput(self.bot, in_turn=True)

        async def turn(text: str, conversation: str) -> None:
            # The answers leave after Rasa has saved the turn, which carries the stored
            # update's id (connectors/gate.py, 6).
            answering = TelegramOutput(self.bot, in_turn=True, held=True)
            await on_new_message(UserMessage(text, answering, conversation,
                                             input_channel=CHANNEL, message_id=_turn_id(row_id)))
            await answering.send_held()
        if update.callback_query is not None:
            query = update.callback_query
            try:
                await query.answer()
            except Exception as error:  # an old query: nothing to answer, the choice still counts
                log.info("callback query not answered: %s", error)
            if query.message is None:
                return
            chat_id = str(query.message.chat.id)
            if await patiently(is_opted_out, key_of(chat_id)):
                return
            choices = await patiently(offered_choices, CHANNEL, chat_id)
            data = (query.data or "").strip()
            index = int(data) - 1 if data.isdigit() else -1
            if 0 <= index < len(choices):
                await turn(choices[index].get("payload") or choices[index].get("title", ""),
                           conversation_id(CHANNEL, chat_id))
            return
        if update.edited_message is not None:
            edited_chat = str(update.edited_message.chat.id)
            if not await patiently(is_opted_out, key_of(edited_chat)):
                await output._send(edited_chat, say("telegram_edited"))
            return
        message = update.message
        if message is None:  # channel posts, polls...: nothing a person said to us
            return
        chat_id = str(message.chat.id)
        conversation = conversation_id(CHANNEL, chat_id)
        key = key_of(chat_id)
        text = (message.text or "").strip()

        async def confirm(said: str) -> None:
            await output._send(chat_id, said, force=True)

        async def repeat(question: dict) -> None:
            await output.send_response(conversation, dict(question))

        async def resume():
            return await last_question(self.agent, conversation)

        # "/start" is Telegram's own first message, not START after a STOP.
        gate_text = "" if text.startswith("/") and opt_word(text) == "start" else text
        if await opt_gate(key, gate_text, confirm, resume, repeat,
                          stopped="telegram_stopped", started="telegram_started"):
            return
        if message.location is not None:
            payload = "/inform_location" + json.dumps(
                {"latitude": message.location.latitude, "longitude": message.location.longitude})
            await turn(payload, conversation)
            return
        if not text:
            await output._send(chat_id, say("telegram_no_text"))
            return
        if text.startswith("/start"):
            # A deep link t.me/<bot>?start=<code> opens the prescripteur mode; the code is
            # checked here and never reaches the conversation.
            parameter = text[len("/start"):].strip()[:64]
            started = await code_gate(conversation, CHANNEL, parameter, confirm) if parameter else None
            if started == "":
                return
            text = started or "/greet"
        else:
            started = await code_gate(conversation, CHANNEL, text, confirm)
            if started == "":
                return
            # A command typed by hand is read as words, never a payload.
            text = started or as_words(text)
        if started is None:
            await count_start(conversation, CHANNEL)
        await turn(text[:MAX_TEXT], conversation)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("telegram_webhook", __name__)
        on_new_message = counted(CHANNEL, on_new_message)

        @hook.listener("after_server_start")
        async def start_bot(app, loop) -> None:
            self.agent = getattr(app.ctx, "agent", None)
            if not self.settings.enabled:
                return
            self.bot = self.settings.make_bot()  # its HTTP client lives in this loop
            await self._recover(on_new_message)
            # Now and then, messages left behind by a process that stopped are taken up.
            self.background.every(SWEEP_SECONDS, lambda: self._recover(on_new_message,
                                                                       STALE_SECONDS),
                                  "Telegram recovery round")

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.bot else "off"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            from telegram import Update

            if self.bot is None:
                return response.text("Telegram channel off", status=503)
            secret = request.headers.get("x-telegram-bot-api-secret-token", "")
            if not hmac.compare_digest(secret.encode(), self.settings.secret.encode()):
                log.warning("Telegram webhook: refused a request without the secret token")
                return response.text("Forbidden", status=403)
            if len(request.body or b"") > MAX_UPDATE_BYTES:
                return response.text("Update too large", status=413)
            try:
                data = json.loads(request.body or b"")
                update = Update.de_json(data, self.bot)
            except Exception:  # not JSON, or not an update
                return response.text("Bad update", status=400)
            if update is None or not isinstance(data.get("update_id"), int):
                return response.text("Bad update", status=400)
            chat = update.effective_chat
            key = key_of(str(chat.id)) if chat is not None else None
            # Stored before Telegram hears back: a crash after the answer loses nothing.
            row_id = await patiently(telegram_store.record_update, str(update.update_id),
                                             json.dumps(data), key)
            if row_id is None:
                log.info("Telegram update %s seen again: not processed twice", update.update_id)
                return response.json({"ok": True})
            self.background.spawn(self._process(row_id, update, on_new_message))
            return response.json({"ok": True})

        return hook

    async def _recover(self, on_new_message, older_than: float = 0) -> None:
        """Updates stored but not processed (the server stopped, or another one did) are
        processed now; each is claimed first, so none is processed twice."""
        from telegram import Update

        left = await patiently(telegram_store.unprocessed, older_than)
        if left:
            log.info("Telegram: processing %d update(s) received before the restart", len(left))
        for stored in left:
            try:
                update = Update.de_json(json.loads(stored.payload), self.bot)
            except Exception as error:
                await patiently(telegram_store.finish, stored.id,
                                        f"unreadable: {type(error).__name__}")
                continue
            self.background.spawn(self._process(stored.id, update, on_new_message,
                                                stale_after=STALE_SECONDS))

    async def _process(self, row_id: int, update, on_new_message,
                       stale_after: float | None = None) -> None:
        """Claim the stored update, handle it; on an error try again, then keep it as failed."""
        for attempt_delay in (*self.retry_delays, None):
            attempt = await patiently(telegram_store.claim, row_id, None, stale_after)
            if attempt is None:
                return  # processed, or in the hands of another process
            try:
                chat = update.effective_chat
                conversation = conversation_id(CHANNEL, str(chat.id)) if chat else None
                answers = None if attempt == 1 or conversation is None else await saved_answers(
                    self.agent, conversation, _turn_id(row_id))
                if answers is None:
                    await self._handle(update, on_new_message, row_id)
                else:  # the turn was saved by a process that stopped: its answers, not again
                    output = TelegramOutput(self.bot, in_turn=True)
                    for answer in answers:
                        await output.send_response(conversation, answer)
            except Exception as error:
                reason = f"{type(error).__name__}: {str(error)[:300]}"
                if attempt_delay is None or attempt > len(self.retry_delays):
                    log.error("Telegram update %s not processed after %d attempts: %s",
                              update.update_id, attempt, reason)
                    await patiently(telegram_store.finish, row_id, reason)
                    return
                log.warning("Telegram update %s: attempt %d failed (%s); trying again",
                            update.update_id, attempt, reason)
                await patiently(telegram_store.release, row_id, reason)
                await asyncio.sleep(attempt_delay)
                stale_after = None
                continue
            await patiently(telegram_store.finish, row_id)
            return
