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


async def test_a_conversation_reads_back_as_rasa_own_store_reads_it(store, tmp_path):
    """Only the events' JSON is fetched: the same events, in the same order, as Rasa's
    SQLTrackerStore gives, for the latest session and for all of them."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted

    first = conversation("carol", SlotSet("where", "Ivry-sur-Seine"),
                         UserUttered("oui", {"name": "affirm"}), ActionExecuted("utter_ok"))
    await store.save(first)
    later = first.copy()
    for event in (ActionExecuted("action_session_start"), SessionStarted(),
                  SlotSet("where", "Montreuil"), ActionExecuted("action_listen"),
                  UserUttered("bonjour", {"name": "greet"})):
        later.update(event)
    await store.save(later)
    rasa_store = SQLTrackerStore(domain=DOMAIN, dialect="sqlite",
                                 db=str(tmp_path / "tracker.db"))
    ours, theirs = await store.retrieve("carol"), await rasa_store.retrieve("carol")
    assert list(ours.events) == list(theirs.events)
    assert [e.text for e in ours.events if isinstance(e, UserUttered)] == ["bonjour"]
    assert ours.get_slot("where") == "Montreuil"
    everything = await store.retrieve_full_tracker("carol")
    assert list(everything.events) == list((await rasa_store.retrieve_full_tracker("carol")).events)
    assert [e.text for e in everything.events if isinstance(e, UserUttered)] == [
        "bonjour", "oui", "bonjour"]
    assert await store.retrieve("nobody") is None
