"""What every channel does with a message before Rasa: an organisation's code is checked there
(and answered there when wrong), and a conversation is counted once a month for the funnel."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from bot.prescripteurs.organisations import MAX_FAILURES, create_organisation
from connectors import gate
from connectors.gate import PRESCRIPTEUR_START, code_gate, count_start


class Said:
    def __init__(self):
        self.texts: list[str] = []

    async def __call__(self, message: str) -> None:
        self.texts.append(message)


@pytest.fixture
def code(database):
    return create_organisation("CCAS de Pantin", "ccas", "Pantin", actor="test")[1]


async def test_a_code_opens_the_mode_and_never_goes_on_as_words(code):
    said = Said()
    assert await code_gate("web:a", "socketio", f"code {code.lower()}", said) == PRESCRIPTEUR_START
    assert said.texts == []  # the assistant's welcome comes from the conversation
    assert await code_gate("web:a", "socketio", "bonjour", said) is None
    assert await code_gate("web:a", "socketio", "ABCDEFGH23", said) == ""
    assert said.texts and "n'est pas reconnu" in said.texts[-1]


async def test_wrong_codes_from_one_address_are_limited_whatever_the_session(code):
    said = Said()
    for number in range(MAX_FAILURES):
        await code_gate(f"web:{number}", "socketio", "ZZZZZZZZ22", said,
                        throttle_key="address:198.51.100.4")
    assert await code_gate("web:new", "socketio", code, said,
                           throttle_key="address:198.51.100.4") == ""
    assert "Trop de codes" in said.texts[-1]
    assert await code_gate("web:new", "socketio", code, said,
                           throttle_key="address:198.51.100.5") == PRESCRIPTEUR_START


async def test_a_conversation_counts_once_and_a_prescripteurs_not_at_all(database, code):
    gate._COUNTED.clear()
    for _ in range(3):
        await count_start("tg:1", "telegram")
    await count_start("tg:2", "telegram")
    await code_gate("tg:3", "telegram", code, Said())
    await count_start("tg:3", "telegram")  # the prescripteur's own conversation
    gate._COUNTED.clear()  # another process, or after a restart: the database keeps one row
    await count_start("tg:1", "telegram")
    with create_engine(database).connect() as connection:
        assert connection.execute(text("select count(*) from conversation_starts")).scalar() == 2


async def test_only_an_offered_button_payload_reaches_rasa_as_an_intent(tmp_path):
    """A button's payload goes on as it is only when it is one of the buttons the assistant
    offered last in this conversation (read from the conversation itself); any other text
    starting with `/` is words. Plain text is passed on without reading the conversation."""
    from pathlib import Path
    from types import SimpleNamespace

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from connectors.tracker_store import ErasingSQLTrackerStore

    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    store = ErasingSQLTrackerStore(domain=domain, url=f"sqlite:///{tmp_path / 'tracker.db'}")
    agent = SimpleNamespace(tracker_store=store)
    oui_non = [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}]
    await store.save(DialogueStateTracker.from_events("rest:ana", [
        ActionExecuted("action_listen"), UserUttered("bonjour", {"name": "greet"}),
        BotUttered("Bonjour", {"buttons": [{"title": "Commencer", "payload": "/greet_start"}]}),
        BotUttered("On commence ?", {"buttons": oui_non}), BotUttered("(sans boutons)"),
        ActionExecuted("action_listen")], slots=domain.slots))
    assert await gate.readable(agent, "rest:ana", "/affirm") == "/affirm"
    assert await gate.readable(agent, "rest:ana", " /deny ") == "/deny"
    assert await gate.readable(agent, "rest:ana", "/greet_start") == "greet_start"  # not last
    assert await gate.readable(agent, "rest:bob", "/affirm") == "affirm"  # not offered to bob
    assert await gate.readable(agent, "rest:ana", '/EXTERNAL_reminder{"x":1}') != (
        '/EXTERNAL_reminder{"x":1}')
    assert await gate.readable(SimpleNamespace(), "rest:ana", "/affirm") == "affirm"

    async def no_read(*args):
        raise AssertionError("the conversation was read for plain text")

    store.retrieve = no_read
    assert await gate.readable(agent, "rest:ana", "oui merci") == "oui merci"
    assert await gate.readable(agent, "rest:ana", None) == ""
    assert await gate.readable(agent, "rest:ana", "/affirm") == "affirm"  # unreadable: words
