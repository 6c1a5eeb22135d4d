"""The web chat's Socket.IO connection to the running assistant, opened as the page opens it:
it asks for a session id, is given one by the server, and receives every bot message."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass

import socketio


@dataclass
class WebChat:
    client: socketio.AsyncClient
    given: str  # the session id the server confirmed
    received: list[dict]  # every bot message so far, in order

    async def say(self, message: str, session_id: str | None) -> None:
        """Send `message`, naming `session_id` in it (the page names the id it was given)."""
        await self.client.emit("user_uttered", {"message": message, "session_id": session_id})

    def texts(self, since: int = 0) -> list[str]:
        """The texts of the bot messages received from the `since`-th on."""
        return [(data or {}).get("text") or "" for data in self.received[since:]]


@asynccontextmanager
async def web_chat(rasa_url: str, session_id: str | None):
    """A Socket.IO client that asked for `session_id` (None: a new one) and was given a session;
    disconnected at the end of the block."""
    client = socketio.AsyncClient(reconnection=False)
    confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
    received: list[dict] = []

    @client.on("session_confirm")
    async def on_confirm(data):
        if not confirmed.done():
            confirmed.set_result(data)

    @client.on("bot_uttered")
    async def on_bot(data):
        received.append(data)

    await client.connect(rasa_url, transports=["websocket"], socketio_path="/socket.io")
    try:
        await client.emit("session_request", {"session_id": session_id})
        given = await asyncio.wait_for(confirmed, 20)
        yield WebChat(client, given, received)
    finally:
        await client.disconnect()
