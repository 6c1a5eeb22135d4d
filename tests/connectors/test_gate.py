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


async def test_only_an_offered_button_payload_reaches_rasa_as_an_intent(database, monkeypatch):
    """A button's payload goes on as it is only when this conversation was offered it; any
    other text starting with `/` is words. Plain text is passed on without a database query."""
    from bot.channels.channel_store import remember_choices

    remember_choices("rest", "rest:ana", [{"title": "Oui", "payload": "/affirm"}])
    assert await gate.readable("rest", "rest:ana", "/affirm") == "/affirm"
    assert await gate.readable("rest", "rest:bob", "/affirm") == "affirm"
    assert await gate.readable("rest", "rest:ana", '/EXTERNAL_reminder{"x":1}') != (
        '/EXTERNAL_reminder{"x":1}')

    def no_query(*args):
        raise AssertionError("the offered choices were read for plain text")

    monkeypatch.setattr(gate, "offered_choices", no_query)
    assert await gate.readable("rest", "rest:ana", "oui merci") == "oui merci"
    assert await gate.readable("rest", "rest:ana", None) == ""
