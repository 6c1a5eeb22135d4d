"""Rasa's calls to the action server keep their connection between calls
(connectors/action_endpoint.py): the server receives the same bodies, headers and credentials as
with Rasa's own session, over one connection instead of one per call, and a server that went
away and came back is reached again."""
from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from connectors import action_endpoint


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A small HTTP server on loopback that answers with what it received, and counts the
    connections it accepted."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received = []
        self.connections = set()

    async def answer(self, request: web.Request) -> web.Response:
        self.connections.add(request.transport.get_extra_info("peername"))
        body = await request.json()
        self.received.append((dict(request.headers), body))
        if body.get("fail"):
            return web.Response(status=403, text="refused")
        return web.json_response({"events": [], "responses": [], "echo": body})

    async def __aenter__(self) -> "Server":
        app = web.Application()
        app.router.add_post("/webhook", self.answer)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.runner.cleanup()


@pytest.fixture
def installed(monkeypatch):
    monkeypatch.setattr(EndpointConfig, "session", EndpointConfig.session)  # restored after
    action_endpoint.install()
    action_endpoint.install()  # twice: the second does nothing
    assert EndpointConfig.session.npt_pooled


BODY = {"tracker": {"events": [{"event": "user", "text": "près d'Ivry / 93200 🙂"}],
                    "slots": {"score": 0.30000000000000004, "n": 10 ** 20, "none": None}},
        "next_action": "action_x"}


async def calls(port: int, count: int, endpoint_kwargs=None):
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", **(endpoint_kwargs or {}))
    return [await endpoint.request(json=BODY, method="post") for _ in range(count)]


def test_calls_share_one_connection_and_the_server_reads_the_same_body(installed):
    async def scenario():
        async with Server(free_port()) as server:
            answers = await calls(server.port, 3)
            return server, answers

    server, answers = asyncio.run(scenario())
    assert [answer["echo"] for answer in answers] == [BODY] * 3
    assert [body for _, body in server.received] == [BODY] * 3
    assert all(headers["Content-Type"] == "application/json" for headers, _ in server.received)
    assert len(server.connections) == 1


def test_rasa_own_session_opened_one_connection_per_call():
    """What the change is measured against: without it, every call is a new connection."""
    async def scenario():
        async with Server(free_port()) as server:
            await calls(server.port, 3)
            return server

    assert not getattr(EndpointConfig.session, "npt_pooled", False)
    assert len(asyncio.run(scenario()).connections) == 3


def test_headers_credentials_and_errors_are_rasas(installed):
    kwargs = {"headers": {"X-Test": "1"}, "basic_auth": {"username": "u", "password": "p"}}

    async def scenario():
        async with Server(free_port()) as server:
            endpoint = EndpointConfig(f"http://127.0.0.1:{server.port}/webhook", **kwargs)
            await endpoint.request(json=BODY, method="post")
            with pytest.raises(ClientResponseError) as refused:
                await endpoint.request(json={"fail": True}, method="post")
            return server, refused.value

    server, refused = asyncio.run(scenario())
    headers, _ = server.received[0]
    assert headers["X-Test"] == "1"
    assert headers["Authorization"] == "Basic dTpw"
    assert refused.status == 403


def test_a_server_that_went_away_and_came_back_is_reached_again(installed):
    async def scenario():
        port = free_port()
        async with Server(port) as first:
            await calls(port, 2)
        async with Server(port) as second:
            answers = await calls(port, 2)
        return first, second, answers

    first, second, answers = asyncio.run(scenario())
    assert [answer["echo"] for answer in answers] == [BODY] * 2
    assert len(first.connections) == 1 and len(second.connections) == 1


def test_an_action_server_response_is_used_by_rasa_as_before(installed):
    """A RemoteAction run through the kept connection: the tracker reaches the server and the
    events it returns come back to Rasa."""
    domain = Domain.from_dict({"actions": ["action_x"], "slots": {
        "commune": {"type": "text", "mappings": [{"type": "custom"}]}}})

    async def answer(request: web.Request) -> web.Response:
        body = await request.json()
        text = body["tracker"]["latest_message"]["text"]
        return web.json_response({"events": [{"event": "slot", "name": "commune",
                                              "value": text}], "responses": []})

    async def scenario():
        port = free_port()
        app = web.Application()
        app.router.add_post("/webhook", answer)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            action = RemoteAction("action_x", EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
            results = []
            for text in ("Ivry-sur-Seine", "Bobigny"):
                tracker = DialogueStateTracker.from_events("someone", [UserUttered(text)],
                                                           domain.slots)
                results.append(await action.run(CollectingOutputChannel(),
                                                TemplatedNaturalLanguageGenerator({}),
                                                tracker, domain))
            return results
        finally:
            await runner.cleanup()

    results = asyncio.run(scenario())
    assert results == [[SlotSet("commune", "Ivry-sur-Seine")], [SlotSet("commune", "Bobigny")]]


def test_not_installed_over_another_session(monkeypatch):
    def other(self):
        return None

    monkeypatch.setattr(EndpointConfig, "session", other)
    with pytest.raises(RuntimeError, match="check connectors/action_endpoint.py"):
        action_endpoint.install()
    assert EndpointConfig.session is other
