"""The web chat (`socketio`), Rasa's Socket.IO channel with identities that the server issues.

Rasa's own channel lets the browser choose its `session_id`, and so any conversation, that of
an SMS number included (ENGINEERING.md trap 13). Here:
- `session_request` gets a session id made by the server: 128 random bits and a MAC of them
  under NPT_SECRET_KEY (64 hex characters). A browser that comes back with an id we issued
  goes on with its conversation; any other id (made up, or someone's phone number) is
  refused and a new one is issued.
- A message is read for the Socket.IO connection's own session only: the `session_id` of a
  `user_uttered` event names nothing. The conversation is `web:<random part>`.
- STOP / START and typed intents as on every channel (connectors/gate.py); a button press is
  the payload of a button this conversation was offered, a shared position becomes the
  place search's location, rebuilt from its two numbers.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import math
import secrets
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot import metrics
from bot.addresses import client_address, source_of
from bot.config import secret_key
from bot.people.privacy import is_opted_out
from bot.pseudonyms import conversation_id, conversation_identity, person_key
from connectors.gate import (code_gate, count_start, counted, last_question, opt_gate,
                             readable)

log = logging.getLogger(__name__)

CHANNEL = "socketio"
MAX_TEXT = 2000
LOCATION = "/inform_location"


def _mac(random_part: str) -> str:
    return hmac.new(secret_key(), f"web-session:{random_part}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def issue_session_id() -> str:
    random_part = secrets.token_hex(16)  # 128 bits
    return random_part + _mac(random_part)


def issued(session_id: Any) -> bool:
    """True for a session id this server issued (checked in constant time)."""
    if not isinstance(session_id, str) or len(session_id) != 64:
        return False
    random_part, mac = session_id[:32], session_id[32:]
    return hmac.compare_digest(mac, _mac(random_part))


def address_of(environ: Dict) -> str:
    """Where a Socket.IO connection comes from (what wrong organisation codes count against).
    The Sanic driver of engine.io always writes 127.0.0.1 as REMOTE_ADDR: the peer is read from
    the Sanic request it keeps, and X-Forwarded-For only with NPT_TRUST_PROXY=1."""
    request = environ.get("sanic.request")
    peer = getattr(request, "ip", None) or environ.get("REMOTE_ADDR")
    forwarded = request.headers.getall("x-forwarded-for", []) if request is not None else []
    return source_of(client_address(peer, forwarded))


def location_payload(text: str) -> Optional[str]:
    """`/inform_location{"latitude": .., "longitude": ..}` rebuilt from its two numbers, or None."""
    if not text.startswith(LOCATION + "{"):
        return None
    try:
        data = json.loads(text[len(LOCATION):])
        latitude, longitude = float(data["latitude"]), float(data["longitude"])
    except (ValueError, TypeError, KeyError):
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)
            and -90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return LOCATION + json.dumps({"latitude": latitude, "longitude": longitude})


class WebChatOutput(SocketIOOutput):
    """Sends to the conversation's room; a message pushed outside a turn (a reminder) is not
    sent to an opted-out person. The buttons offered are in the conversation itself (the gate
    reads them there when a payload comes back)."""

    def __init__(self, sio: AsyncServer, bot_message_evt: Text, in_turn: bool = False) -> None:
        super().__init__(sio, bot_message_evt)
        self.in_turn = in_turn

    async def _allowed(self, recipient_id: Text) -> bool:
        if self.in_turn:  # the gate checked the person at the start of this turn
            return True
        key = person_key(conversation_identity(recipient_id))
        return not await asyncio.to_thread(is_opted_out, key)

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        if await self._allowed(socket_id):
            await super()._send_message(socket_id, response)
            metrics.message_out(CHANNEL)
        else:
            log.info("web chat message to an opted-out person not sent")

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any],
                               **kwargs: Any) -> None:
        if await self._allowed(recipient_id):
            await super().send_custom_json(recipient_id, json_message, **kwargs)
            metrics.message_out(CHANNEL)



class WebChatInput(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sessions: dict[str, str] = {}  # Socket.IO connection -> its conversation id
        self.addresses: dict[str, str] = {}  # Socket.IO connection -> the client's address
        self.agent = None

    def get_output_channel(self):
        if self.sio is None:
            return None
        return WebChatOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = counted(CHANNEL, on_new_message)
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        hook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

        @hook.listener("after_server_start")
        async def keep_agent(app, loop) -> None:
            self.agent = getattr(app.ctx, "agent", None)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            self.addresses[sid] = address_of(environ)
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            self.sessions.pop(sid, None)
            self.addresses.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict] = None) -> None:
            asked = data.get("session_id") if isinstance(data, dict) else None
            session_id = asked if issued(asked) else issue_session_id()
            conversation = conversation_id(CHANNEL, session_id[:32])
            old = self.sessions.get(sid)
            if old and old != conversation:
                sio.leave_room(sid, old)
            self.sessions[sid] = conversation
            sio.enter_room(sid, conversation)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            conversation = self.sessions.get(sid)
            if conversation is None or not isinstance(data, dict):
                log.info("web chat message before a session was confirmed: ignored")
                return
            metrics.message_in(CHANNEL)
            text = data.get("message")
            text = text[:MAX_TEXT] if isinstance(text, str) else ""
            output = WebChatOutput(sio, self.bot_message_evt, in_turn=True)
            key = person_key(conversation_identity(conversation))

            async def confirm(said: str) -> None:
                await output.send_text_message(conversation, said)

            async def repeat(question: dict) -> None:
                await output.send_response(conversation, dict(question))

            async def resume():
                return await last_question(self.agent, conversation)

            if await opt_gate(key, text, confirm, resume, repeat):
                return
            # Wrong codes count by the browser's address: a new session is free to open.
            started = await code_gate(conversation, CHANNEL, text, confirm,
                                      throttle_key="address:" + self.addresses.get(sid, ""))
            if started == "":
                return
            if started is None:
                await count_start(conversation, CHANNEL)
            location = location_payload(text.strip())
            if started:
                text = started
            elif location is None:
                text = await readable(self.agent, conversation, text)
            await on_new_message(UserMessage(location or text, output, conversation,
                                             input_channel=CHANNEL))

        return hook
