"""SMS through Twilio, our own Rasa channel (`twilio_sms`; ENGINEERING.md traps 1-2).

POST /webhooks/twilio_sms/webhook
  1. the X-Twilio-Signature is checked against the public URL (NPT_PUBLIC_URL, else the proxy's
     X-Forwarded-Proto/Host, else the request's own): forged or unsigned -> 403, nothing stored;
  2. the message is stored (bot.channels.sms_store) before anything else; the same MessageSid
     again is acknowledged and not processed twice;
  3. Twilio gets its answer at once (empty TwiML); the message is processed in the background:
     STOP / ARRET / STOP SMS opt the number out before anything else (one confirmation),
     START lets it in again; nothing else is sent to an opted-out number; a reply "1", "2"...
     or a choice's words become that choice's payload; empty bodies and MMS without text get a
     kind answer; the rest goes to Rasa.
POST /webhooks/twilio_sms/status: Twilio's delivery report (signature-checked too).

A turn's replies leave once Rasa has saved the turn: a server stopped before that has sent
nothing, and the SMS processed again is answered once. A server stopped after the save leaves
the SMS to be taken up again: the conversation then holds the turn, which is not run again;
its answers not confirmed by Twilio yet are sent from the conversation.

Replies leave through `TwilioSmsOutput`: one SMS per response, buttons as a numbered list (no
payload ever shown), GSM-7 where possible (bot.channels.sms_text), segments counted and stored,
sent off the event loop with the real `twilio` client, retried with backoff, failures stored and
logged. Without TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER the channel is off
(its webhook answers 503) and a log line says so.
"""
from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from urllib.parse import parse_qs
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.sms_store import (claim_inbound, last_choices_for_key, mark_failed, mark_sent,
                                    next_inbound, record_inbound, record_outbound_for_key, scrub,
                                    sent_bodies_after, set_status, unprocessed_inbound,
                                    update_delivery)
from bot.channels.sms_text import choice_payload, render_with_choices, sms_variant
from bot import metrics
from bot.messages import text as say
from bot.people.privacy import is_opted_out
from bot.pseudonyms import (channel_identity, conversation_id, person_key,
                                   split_conversation_id)
from connectors.background import BackgroundTasks, patiently, retry_delays_from_env
from connectors.gate import (as_words, count_start, counted, last_question, opt_gate,
                             saved_answers)

log = logging.getLogger(__name__)
# The twilio library logs every request's headers at INFO: keep the log for what matters.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

CHANNEL = "twilio_sms"
MAX_BODY = 1000  # characters read from one SMS (a long concatenated SMS is ~1 600)
# A stored SMS left `processing` this long ago belongs to a process that stopped; recovery
# looks for such messages every SWEEP_SECONDS.
STALE_SECONDS = 120
SWEEP_SECONDS = 60
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@dataclass(frozen=True)
class SmsSettings:
    account_sid: str
    auth_token: str
    from_number: str
    api_base_url: str
    public_url: str
    retry_delays: tuple[float, ...]
    inbound_retry_delays: tuple[float, ...] = (2.0, 10.0)
    # Turns this process runs at once; the other stored SMS wait (in the database) for theirs,
    # so that a burst of webhooks is still acknowledged at once.
    concurrency: int = 16

    @classmethod
    def from_env(cls) -> "SmsSettings":
        def env(name: str) -> str:
            return os.environ.get(name, "").strip()

        try:
            delays = tuple(float(part) for part in
                           (env("NPT_SMS_RETRY_SECONDS") or "2,10").split(",") if part.strip())
        except ValueError:
            delays = (2.0, 10.0)
        concurrency = env("NPT_SMS_CONCURRENCY")
        return cls(env("TWILIO_ACCOUNT_SID"), env("TWILIO_AUTH_TOKEN"), env("TWILIO_FROM_NUMBER"),
                   env("TWILIO_API_BASE_URL"), env("NPT_PUBLIC_URL").rstrip("/"), delays,
                   retry_delays_from_env(),
                   int(concurrency) if concurrency.isdigit() and int(concurrency) > 0 else 16)

    @property
    def enabled(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.from_number)


def key_of(phone: str) -> str:
    return person_key(channel_identity(CHANNEL, phone))


def phone_of(recipient_id: str) -> str | None:
    """The number of an SMS conversation (`sms:+33...`); None for any other conversation."""
    channel, raw = split_conversation_id(recipient_id)
    return raw if channel == CHANNEL else None


def _public_url(request: Request, settings: SmsSettings) -> str:
    """The URL Twilio called, as it signed it (behind a proxy: the proxy's scheme and host)."""
    path = request.path + (f"?{request.query_string}" if request.query_string else "")
    if settings.public_url:
        return settings.public_url + path
    scheme = (request.headers.get("x-forwarded-proto") or request.scheme or "http").split(",")[0]
    host = (request.headers.get("x-forwarded-host") or request.host or "").split(",")[0]
    return f"{scheme.strip()}://{host.strip()}{path}"


def _form(request: Request) -> dict[str, str]:
    """The posted fields, blank ones included (Twilio signs `Body=` of an MMS without text too;
    Sanic's own form parser drops blank fields)."""
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        return {}
    fields = parse_qs((request.body or b"").decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


class SmsSender:
    """Sends one SMS with the real Twilio client, off the event loop, retried with backoff."""

    def __init__(self, settings: SmsSettings):
        from twilio.rest import Client

        self.settings = settings
        self.client = Client(settings.account_sid, settings.auth_token)
        if settings.api_base_url:  # a fake API on loopback (tests) or a regional edge
            self.client.api.base_url = settings.api_base_url.rstrip("/")

    async def send(self, phone: str, body: str, buttons: list[dict] | None = None,
                   force: bool = False) -> bool:
        """Send `body` (and its choices) to `phone`; False when nothing was sent (STOP, or every
        attempt failed: then the failure is stored and logged)."""

        key = key_of(phone)
        if not force and await patiently(is_opted_out, key):
            log.info("SMS to an opted-out number not sent")
            return False
        message, cost = self.rendered(body, buttons)
        if not message.strip():
            return False
        message_id = await patiently(record_outbound_for_key, key, message, buttons,
                                             cost.encoding, cost.segments)
        callback = (f"{self.settings.public_url}/webhooks/{CHANNEL}/status"
                    if self.settings.public_url else None)
        attempts = 1 + len(self.settings.retry_delays)
        for attempt in range(1, attempts + 1):
            try:
                sent = await asyncio.to_thread(self._create, phone, message, callback)
            except Exception as error:  # the twilio library raises TwilioRestException, and
                # network errors come as requests' exceptions: every one is retried, then stored
                reason = scrub(f"{type(error).__name__}: {str(error)[:300]}", phone)
                if attempt < attempts:
                    log.warning("SMS %s: attempt %d failed (%s); retrying", message_id, attempt,
                                reason)
                    await asyncio.sleep(self.settings.retry_delays[attempt - 1])
                    continue
                log.error("SMS %s not sent after %d attempts: %s", message_id, attempt, reason)
                metrics.error("sms_send")
                await self._record(mark_failed, message_id, reason, attempt, phone=phone)
                return False
            metrics.message_out(CHANNEL)
            metrics.sms_segments(cost.encoding, cost.segments)
            await self._record(mark_sent, message_id, getattr(sent, "sid", None),
                               str(getattr(sent, "status", "") or "sent"), attempt)
            return True
        return False

    @staticmethod
    def rendered(body: str, buttons: list[dict] | None = None):
        """The SMS text sent for `body` and its choices, and its cost."""
        return sms_variant(render_with_choices(body, buttons or []) if buttons else body)

    @staticmethod
    async def _record(function, *args, **kwargs) -> None:
        """Record a send's outcome; a failure to record it (the database is busy or down) is
        logged and does not stop the rest of the turn: the SMS itself went out or not."""
        try:
            await patiently(function, *args, **kwargs)
        except Exception:
            log.exception("SMS outcome not recorded (%s)", getattr(function, "__name__", "?"))

    def _create(self, phone: str, body: str, callback: str | None):
        options = {"to": phone, "from_": self.settings.from_number, "body": body}
        if callback:
            options["status_callback"] = callback
        return self.client.messages.create(**options)


def _turn_id(message_id: int | None) -> str | None:
    """The id the conversation keeps for a stored SMS (Rasa's message_id of the turn)."""
    return f"sms-{message_id}" if message_id is not None else None


class TwilioSmsOutput(OutputChannel):
    """Each response of the assistant as one SMS (texts joined, choices numbered)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def __init__(self, sender: SmsSender, in_turn: bool = False, held: bool = False):
        self.sender = sender
        self.in_turn = in_turn  # a reply: the person was checked when their message came in
        # With `held`, the answers wait in `self.held` until `send_held()`: a turn's answers
        # leave once Rasa has saved the turn (TwilioSmsInput._handle).
        self.held: list[tuple[str, str, list | None]] | None = [] if held else None

    async def _send(self, recipient_id: Text, text: str, buttons: list | None = None) -> None:
        phone = phone_of(recipient_id)
        if phone is None:
            log.error("SMS not sent: %r is not an SMS conversation", recipient_id[:8])
            return
        if self.held is not None:
            self.held.append((phone, text, buttons))
            return
        await self.sender.send(phone, text, buttons, force=self.in_turn)

    async def send_held(self, already_stored: list[str] | None = None) -> None:
        """Send the answers held, in order, but those among `already_stored` (texts of SMS
        stored for sending, each standing for one answer); later answers go out at once."""
        held, self.held = self.held or [], None
        left = list(already_stored or [])
        for phone, text, buttons in held:
            rendered, _ = self.sender.rendered(text, buttons)
            if rendered in left:
                left.remove(rendered)
                continue
            await self.sender.send(phone, text, buttons, force=self.in_turn)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        text = (message.get("text") or "").replace("\n\n", "\n").strip()
        buttons = message.get("buttons") or message.get("quick_replies") or []
        if message.get("image"):
            text = f"{text}\n{message['image']}".strip()
        if message.get("attachment") and isinstance(message["attachment"], str):
            text = f"{text}\n{message['attachment']}".strip()
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("text"), str):
            text = f"{text}\n{custom['text']}".strip()
        if text or buttons:
            await self._send(recipient_id, text, buttons)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, text)


class TwilioSmsInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(SmsSettings.from_env())

    def __init__(self, settings: SmsSettings):
        self.settings = settings
        self.sender = SmsSender(settings) if settings.enabled else None
        self.background = BackgroundTasks()
        self.agent = None  # Rasa's agent, to read a conversation back after START
        self.retry_delays = settings.inbound_retry_delays
        self.turns = asyncio.Semaphore(settings.concurrency)
        self.queued: set[int] = set()  # stored SMS with a task of this process
        if settings.enabled:
            log.info("SMS channel on (Twilio, from %s)", settings.from_number)
        else:
            log.warning("SMS channel off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                        "TWILIO_FROM_NUMBER to switch it on")

    def get_output_channel(self) -> OutputChannel:
        if self.sender is None:
            raise RuntimeError("the SMS channel is off (no Twilio credentials)")
        return TwilioSmsOutput(self.sender)

    def _signed(self, request: Request) -> bool:
        from twilio.request_validator import RequestValidator

        signature = request.headers.get("x-twilio-signature", "")
        if not signature:
            return False
        return RequestValidator(self.settings.auth_token).validate(
            _public_url(request, self.settings), _form(request), signature)

    async def _process(self, message_id: int, phone: str, body: str,
                       on_new_message: Callable[[UserMessage], Awaitable[Any]],
                       stale_after: float | None = None) -> None:
        """Process the stored SMS, then the same number's next ones that came meanwhile, in
        the order they came (an SMS whose number has an earlier one waiting is left to
        whoever processes that one). At most `concurrency` turns run at once in this process."""
        self.queued.add(message_id)
        try:
            while True:
                async with self.turns:
                    done = await self._process_one(message_id, phone, body, on_new_message,
                                                   stale_after)
                if not done:
                    return
                following = await patiently(next_inbound, phone, message_id)
                if following is None:
                    return
                self.queued.discard(message_id)
                message_id, body, stale_after = following.id, following.body or "", None
                self.queued.add(message_id)
        finally:
            self.queued.discard(message_id)

    async def _process_one(self, message_id: int, phone: str, body: str,
                           on_new_message: Callable[[UserMessage], Awaitable[Any]],
                           stale_after: float | None = None) -> bool:
        """Claim the stored SMS, handle it; on an error try again, then keep it as failed
        (with its error, for the operator), never silently left. False when it was not this
        task's to process (processed, in another's hands, or an earlier one waiting)."""

        for delay in (*self.retry_delays, None):
            attempt = await patiently(claim_inbound, message_id, stale_after)
            if attempt is None:
                return False
            try:
                answers = None if attempt == 1 else await saved_answers(
                    self.agent, conversation_id(CHANNEL, phone), _turn_id(message_id))
                if answers is None:
                    await self._handle(phone, body, on_new_message, message_id)
                else:
                    await self._send_saved_answers(phone, message_id, answers)
            except Exception as error:
                reason = f"{type(error).__name__}: {error}"
                if delay is None or attempt > len(self.retry_delays):
                    log.exception("SMS %s not processed after %d attempts", message_id, attempt)
                    metrics.error("sms_inbound")
                    await patiently(set_status, message_id, "failed", reason)
                    return True
                log.warning("SMS %s: attempt %d failed; trying again", message_id, attempt)
                await patiently(set_status, message_id, "received", reason)
                await asyncio.sleep(delay)
                stale_after = None
                continue
            await patiently(set_status, message_id, "processed")
            return True
        return True

    async def _send_saved_answers(self, phone: str, message_id: int, answers: list[dict]
                                  ) -> None:
        """The answers of a turn saved by a process that stopped: those not sent yet go out
        (each SMS is stored just before it is sent, and marked when Twilio has it). An answer
        stored but not confirmed (the process stopped during that send) is sent again: a
        missing answer would leave the person without the question."""
        stored = await patiently(sent_bodies_after, key_of(phone), message_id)
        output = TwilioSmsOutput(self.sender, in_turn=True, held=True)
        conversation = conversation_id(CHANNEL, phone)
        for answer in answers:
            await output.send_response(conversation, answer)
        await output.send_held(already_stored=stored)

    async def _handle(self, phone: str, body: str,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      message_id: int | None = None) -> None:

        metrics.message_in(CHANNEL)
        key = key_of(phone)
        conversation = conversation_id(CHANNEL, phone)
        output = TwilioSmsOutput(self.sender, in_turn=True)

        async def confirm(said: str) -> None:
            await self.sender.send(phone, said, force=True)

        async def repeat(question: dict) -> None:
            await output.send_response(conversation, dict(question))

        async def resume():
            return await last_question(self.agent, conversation)

        if await opt_gate(key, body, confirm, resume, repeat, stopped="sms_stopped",
                          started="sms_started", resumed="sms_resumed"):
            return
        if not body.strip():
            await self.sender.send(phone, say("sms_no_text"))
            return
        if len(body) > MAX_BODY:
            await self.sender.send(phone, say("sms_too_long"))
            body = body[:MAX_BODY]
        choices = await patiently(last_choices_for_key, key)
        payload = choice_payload(body, choices) if choices else None
        await count_start(conversation, CHANNEL)
        # The answers leave after Rasa has saved the turn: a process stopped before that has
        # sent nothing, and the SMS processed again is answered once.
        answering = TwilioSmsOutput(self.sender, in_turn=True, held=True)
        await on_new_message(UserMessage(payload or as_words(body), answering, conversation,
                                         input_channel=CHANNEL,
                                         message_id=_turn_id(message_id)))
        await answering.send_held()

    async def _recover(self, on_new_message, older_than: float) -> None:
        """Messages stored but not processed (the server stopped, or another one did) are
        processed now; each is claimed first, so none is processed twice."""

        left = await patiently(unprocessed_inbound, older_than)
        if left:
            log.info("SMS: processing %d stored message(s) not processed yet", len(left))
        for record in left:
            if record.phone is None or record.id in self.queued:  # erased since, or waiting here
                continue
            self.background.spawn(self._process(record.id, record.phone, record.body or "",
                                                on_new_message, stale_after=STALE_SECONDS))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:

        hook = Blueprint("twilio_sms_webhook", __name__)
        on_new_message = counted(CHANNEL, on_new_message)

        @hook.listener("after_server_start")
        async def recover(app, loop) -> None:
            """Messages stored but not processed when the server last stopped are processed
            now: a restart loses none."""

            self.agent = getattr(app.ctx, "agent", None)
            if self.sender is None:
                return
            await self._recover(on_new_message, 0)
            # Now and then, messages left behind by a process that stopped are taken up.
            self.background.every(SWEEP_SECONDS, lambda: self._recover(on_new_message,
                                                                       STALE_SECONDS),
                                  "SMS recovery round")

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.sender else "off"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.sender is None:
                return response.text("SMS channel off", status=503)
            if not self._signed(request):
                log.warning("SMS webhook: refused a request with a missing or wrong signature")
                return response.text("Forbidden", status=403)
            form = _form(request)
            sid, phone = form.get("MessageSid", "").strip(), form.get("From", "").strip()[:32]
            if not sid or not phone:
                return response.text("MessageSid and From are required", status=400)
            body = form.get("Body", "")  # empty for an MMS without text: a kind answer
            message_id = await patiently(record_inbound, sid, phone, key_of(phone), body)
            if message_id is None:
                log.info("SMS %s received again: already stored, not processed twice", sid)
            else:
                self.background.spawn(self._process(message_id, phone, body, on_new_message))
            return response.text(EMPTY_TWIML, content_type="text/xml")

        @hook.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            if self.sender is None:
                return response.text("SMS channel off", status=503)
            if not self._signed(request):
                return response.text("Forbidden", status=403)
            form = _form(request)
            sid = form.get("MessageSid", "").strip()
            state = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
            if sid and state:
                await patiently(update_delivery, sid, state, form.get("ErrorCode"))
            return response.text("", status=204)

        return hook
