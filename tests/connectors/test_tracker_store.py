"""SUPPRIMER erases the Rasa conversation itself, not only our own tables."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from connectors.tracker_store import ErasingSQLTrackerStore

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))


def conversation(sender: str, *extra) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen"), UserUttered("bonjour", {"name": "greet"}),
        ActionExecuted("utter_welcome"), BotUttered("Bonjour"), ActionExecuted("action_listen"),
        *extra,
    ], slots=DOMAIN.slots)


@pytest.fixture
def store(tmp_path):
    return ErasingSQLTrackerStore(domain=DOMAIN, url=f"sqlite:///{tmp_path / 'tracker.db'}")


async def test_conversations_are_kept(store):
    await store.save(conversation("alice"))
    tracker = await store.retrieve("alice")
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["bonjour"]


async def test_erasure_deletes_every_event_of_that_sender_only(store):
    await store.save(conversation("alice"))
    await store.save(conversation("bob"))
    erased = conversation("alice", UserUttered("supprimer", {"name": "delete_my_data"}),
                          ActionExecuted("action_delete_my_data"),
                          SlotSet("erase_conversation", True),
                          ActionExecuted("utter_data_deleted"), BotUttered("C'est fait"))
    await store.save(erased)
    assert await store.retrieve("alice") is None
    assert await store.retrieve("bob") is not None
    assert "alice" not in set(await store.keys())


async def test_an_older_erasure_does_not_erase_later_turns(store):
    tracker = conversation("carol", UserUttered("supprimer"), SlotSet("erase_conversation", True),
                           ActionExecuted("action_listen"), UserUttered("bonjour encore"))
    await store.save(tracker)
    assert await store.retrieve("carol") is not None
