"""The REST channel (`rest`, POST /webhooks/rest/webhook), for local use and tests.

It replaces Rasa's own REST channel (ENGINEERING.md trap 4), at the same address and with the
same answer (the list of the assistant's messages), but it cannot pretend to be another
channel: the body's `input_channel` is ignored, and every conversation it reaches is
`rest:<sender>`, which no other channel can name. STOP / START and typed intents are handled
like on every channel (connectors/gate.py). The documented deployment does not expose it.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import metrics
from bot.pseudonyms import conversation_id, conversation_identity, person_key
from connectors.gate import (code_gate, count_start, counted, last_question, opt_gate,
                             readable)

log = logging.getLogger(__name__)

CHANNEL = "rest"
MAX_SENDER = 128
MAX_TEXT = 5000


class RestInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("rest_webhook", __name__)
        on_new_message = counted(CHANNEL, on_new_message)

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # not JSON
                body = None
            if not isinstance(body, dict):
                return response.json({"error": "a JSON object with sender and message"},
                                     status=400)
            sender = str(body.get("sender") or "default").strip()[:MAX_SENDER] or "default"
            text = body.get("message")
            text = text[:MAX_TEXT] if isinstance(text, str) else ""
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            metrics.message_in(CHANNEL)
            conversation = conversation_id(CHANNEL, sender)
            key = person_key(conversation_identity(conversation))
            collector = CollectingOutputChannel()

            async def confirm(said: str) -> None:
                await collector.send_text_message(conversation, said)

            async def repeat(question: dict) -> None:
                await collector.send_response(conversation, dict(question))

            async def resume():
                return await last_question(request.app.ctx.agent, conversation)

            if not await opt_gate(key, text, confirm, resume, repeat):
                started = await code_gate(conversation, CHANNEL, text, confirm)
                try:
                    if started is None:
                        await count_start(conversation, CHANNEL)
                    if started != "":
                        await on_new_message(UserMessage(
                            started or await readable(getattr(request.app.ctx, "agent", None),
                                                      conversation, text), collector,
                            conversation, input_channel=CHANNEL, metadata=metadata))
                except Exception:
                    log.exception("REST message could not be processed")
            metrics.message_out(CHANNEL, len(collector.messages))
            # The answer names the sender as the client knows it.
            return response.json([{**message, "recipient_id": sender}
                                  for message in collector.messages])

        return hook
