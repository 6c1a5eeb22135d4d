"""SUPPRIMER erases the Rasa conversation itself, not only our own tables."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from connectors.tracker_store import ErasingSQLTrackerStore
from tests.support.databases import rows

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


def statements(store) -> list[str]:
    """The SQL statements the store sends from now on."""
    from sqlalchemy import event

    sent: list[str] = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: sent.append(statement))
    return sent


async def test_turn_after_turn_every_event_is_stored_once_without_counting_them(store):
    """A conversation read, answered and saved, turn after turn: each event is stored once,
    and a save after a read sends no query counting the stored events (Rasa's did, over the
    whole session, on every save)."""
    await store.save(conversation("dora"))
    sent = statements(store)
    for turn in range(3):
        tracker = await store.retrieve("dora")
        tracker.update(UserUttered(f"message {turn}", {"name": "affirm"}))
        tracker.update(ActionExecuted("utter_ok"))
        await store.save(tracker)
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)  # the same tracker saved twice in a turn
    stored = await store.retrieve("dora")
    assert [e.text for e in stored.events if isinstance(e, UserUttered)] == [
        "bonjour", "message 0", "message 1", "message 2"]
    assert len(stored.events) == len(conversation("dora").events) + 3 * 3
    assert rows(store.engine.url.render_as_string(hide_password=False),
                "SELECT count(*) FROM events WHERE sender_id = 'dora'") == [(len(stored.events),)]
    assert sent and not [s for s in sent if "count(" in s.lower()]


async def test_a_save_retried_after_a_failure_counts_what_is_stored(store, monkeypatch):
    """A save whose first try failed after its events were written counts the stored events
    before trying again: none is stored twice."""
    import sqlite3

    await store.save(conversation("emma"))
    tracker = await store.retrieve("emma")
    tracker.update(UserUttered("oui", {"name": "affirm"}))
    session_class = store.sessionmaker.class_
    commit = session_class.commit
    failures = []

    def commit_then_lose_the_connection(self):
        commit(self)
        if not failures:
            failures.append(1)
            raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("connectors.tracker_store.connection_lost", lambda error: True)
    monkeypatch.setattr("connectors.tracker_store.RETRY_DELAYS", (0.01,))
    monkeypatch.setattr(session_class, "commit", commit_then_lose_the_connection)
    await store.save(tracker)
    assert failures
    stored = await store.retrieve("emma")
    assert [e.text for e in stored.events if isinstance(e, UserUttered)] == ["bonjour", "oui"]


def texts(tracker) -> list[str]:
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


async def a_turn(store, sender: str, text: str):
    tracker = await store.retrieve(sender)
    tracker.update(UserUttered(text, {"name": "affirm"}))
    tracker.update(ActionExecuted("utter_ok"))
    await store.save(tracker)
    return tracker


async def as_read_fresh(tmp_path, sender: str):
    """The conversation as Rasa's own store reads it from the database."""
    from rasa.core.tracker_store import SQLTrackerStore

    fresh = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    return await fresh.retrieve(sender)


async def test_the_next_turn_gets_the_conversation_as_saved_without_reading_it(store, tmp_path):
    await store.save(conversation("fanny"))
    await a_turn(store, "fanny", "un")
    saved = await a_turn(store, "fanny", "deux")
    sent = statements(store)
    again = await store.retrieve("fanny")
    assert again is saved and texts(again) == ["bonjour", "un", "deux"]
    assert list(again.events) == list((await as_read_fresh(tmp_path, "fanny")).events)
    # One query, for the latest event; no event's data read again.
    assert len(sent) == 1 and "limit" in sent[0].lower() and "data" not in sent[0].lower()


async def test_a_turn_on_another_server_is_read_again(store, tmp_path):
    other_server = ErasingSQLTrackerStore(domain=DOMAIN, url=f"sqlite:///{tmp_path / 'tracker.db'}")
    await store.save(conversation("gaby"))
    await a_turn(store, "gaby", "ici")
    await a_turn(other_server, "gaby", "là-bas")
    assert texts(await store.retrieve("gaby")) == ["bonjour", "ici", "là-bas"]
    await a_turn(store, "gaby", "encore ici")
    assert texts(await as_read_fresh(tmp_path, "gaby")) == ["bonjour", "ici", "là-bas",
                                                           "encore ici"]


async def test_an_erasure_elsewhere_is_never_undone_by_a_kept_conversation(store, tmp_path):
    other_server = ErasingSQLTrackerStore(domain=DOMAIN, url=f"sqlite:///{tmp_path / 'tracker.db'}")
    await store.save(conversation("hugo"))
    await a_turn(store, "hugo", "mon adresse est secrète")
    await store.save(conversation("lou"))
    await a_turn(store, "lou", "mon adresse est secrète")
    other_server.erase("hugo")
    other_server.erase("lou")
    assert await store.retrieve("hugo") is None
    # The same person starts again elsewhere, as many events as before (the database may give
    # the same ids again): only the new words are there.
    await other_server.save(conversation("lou"))
    await a_turn(other_server, "lou", "nouveau départ")
    assert texts(await store.retrieve("lou")) == ["bonjour", "nouveau départ"]


async def test_a_turn_that_failed_before_its_save_is_not_handed_back(store):
    await store.save(conversation("ines"))
    await a_turn(store, "ines", "oui")
    tracker = await store.retrieve("ines")
    tracker.update(UserUttered("jamais enregistré", {"name": "affirm"}))  # the turn then fails
    assert texts(await store.retrieve("ines")) == ["bonjour", "oui"]


async def test_a_new_session_is_read_again_as_the_latest_session_only(store, tmp_path):
    from rasa.shared.core.events import SessionStarted

    await store.save(conversation("jade"))
    tracker = await a_turn(store, "jade", "hier")
    for event in (ActionExecuted("action_session_start"), SessionStarted(),
                  ActionExecuted("action_listen"), UserUttered("aujourd'hui", {"name": "greet"})):
        tracker.update(event)
    await store.save(tracker)
    again = await store.retrieve("jade")
    assert again is not tracker and texts(again) == ["aujourd'hui"]
    assert list(again.events) == list((await as_read_fresh(tmp_path, "jade")).events)


async def test_a_conversation_read_with_all_its_sessions_is_not_kept(store, tmp_path):
    from rasa.shared.core.events import SessionStarted

    await store.save(conversation("kim", ActionExecuted("action_session_start"),
                                  SessionStarted(), ActionExecuted("action_listen"),
                                  UserUttered("plus tard", {"name": "greet"})))
    everything = await store.retrieve_full_tracker("kim")
    everything.update(ActionExecuted("utter_ok"))
    await store.save(everything)
    everything.update(ActionExecuted("action_listen"))
    await store.save(everything)
    # What a read gives (Rasa's own save of a tracker with all its sessions decides what is
    # stored), not the tracker with every session.
    latest = await store.retrieve("kim")
    assert latest is not everything
    assert list(latest.events) == list((await as_read_fresh(tmp_path, "kim")).events)


async def test_the_conversations_kept_are_capped_and_still_read_when_dropped(store, monkeypatch):
    monkeypatch.setattr("connectors.tracker_store.RECENT_CONVERSATIONS", 2)
    for sender in ("m1", "m2", "m3"):
        await store.save(conversation(sender))
        await a_turn(store, sender, f"je suis {sender}")
    assert list(store._recent) == ["m2", "m3"]
    monkeypatch.setattr("connectors.tracker_store.RECENT_EVENTS", 10)
    await a_turn(store, "m2", "encore")  # 10 events: m3 is dropped to make room
    assert list(store._recent) == ["m2"]
    for sender in ("m1", "m2", "m3"):
        assert texts(await store.retrieve(sender))[-1].startswith(("je suis", "encore"))


async def test_a_failing_store_is_never_a_silent_new_conversation(tmp_path, monkeypatch):
    """Rasa's FailSafeTrackerStore would go on with an empty conversation in memory: the
    failure is counted and raised instead, and nothing is kept in memory."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    import connectors.tracker_store

    monkeypatch.setattr(connectors.tracker_store, "RETRY_DELAYS", ())  # no waiting here

    from bot import metrics
    from connectors.tracker_store import TrackerStoreUnavailable, refuse_silent_fallback

    refuse_silent_fallback()
    refuse_silent_fallback()  # twice: the second does nothing
    broken = ErasingSQLTrackerStore(domain=DOMAIN, url=f"sqlite:///{tmp_path / 'tracker.db'}")
    await broken.save(conversation("dora"))
    broken.engine.dispose()
    (tmp_path / "tracker.db").unlink()
    (tmp_path / "tracker.db").mkdir()  # the database is gone: every query fails
    store = FailSafeTrackerStore(broken)
    reads = metrics.TRACKER_STORE_ERRORS.labels("read")._value.get()
    saves = metrics.TRACKER_STORE_ERRORS.labels("save")._value.get()
    with pytest.raises(TrackerStoreUnavailable):
        await store.retrieve("dora")
    with pytest.raises(TrackerStoreUnavailable):
        await store.save(conversation("dora", UserUttered("oui", {"name": "affirm"})))
    assert metrics.TRACKER_STORE_ERRORS.labels("read")._value.get() == reads + 1
    assert metrics.TRACKER_STORE_ERRORS.labels("save")._value.get() == saves + 1
    assert await store.fallback_tracker_store.retrieve("dora") is None


async def restart_in(server, seconds: float) -> None:
    """Start the server again after `seconds`, from this thread (the server is bound to the
    life of the thread that starts it)."""
    import asyncio

    await asyncio.sleep(seconds)
    server.start_again()


async def test_a_database_restart_is_waited_for(tmp_path):
    """PostgreSQL stops and starts again while a conversation is read and saved: both wait
    for it, and nothing is written twice."""
    import asyncio
    import tempfile

    from scripts.services.postgres import PostgresServer, find_bindir

    server = PostgresServer(bindir=find_bindir(), base=Path(tempfile.mkdtemp(prefix="npt-pg-")))
    server.start()
    try:
        store = ErasingSQLTrackerStore(domain=DOMAIN, url=server.url())
        first = conversation("eve")
        await store.save(first)
        server.stop()
        restart = asyncio.create_task(restart_in(server, 1.5))
        tracker = await store.retrieve("eve")  # waits for the server
        await restart
        assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["bonjour"]
        server.stop()
        restart = asyncio.create_task(restart_in(server, 1.5))
        tracker.update(UserUttered("oui", {"name": "affirm"}))
        await store.save(tracker)  # waits for the server
        await restart
        await store.save(tracker)  # again: nothing new to write
        [(count,)] = rows(server.url(), "select count(*) from events where sender_id = ?", "eve")
        assert count == len(tracker.events)
    finally:
        server.stop()
        server.remove()


async def test_a_reader_never_holds_up_a_turn_and_the_file_is_private(store, tmp_path):
    """On SQLite the conversations are written ahead (WAL): the back-office or another process
    reading them does not hold up the assistant's next save. The file is the owner's only."""
    import sqlite3
    import stat

    await store.save(conversation("dan"))
    path = tmp_path / "tracker.db"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reader = sqlite3.connect(path, timeout=1)
    reader.execute("begin")
    assert reader.execute("select count(*) from events").fetchone()[0] > 0
    try:
        await store.save(conversation("dan", UserUttered("oui"), BotUttered("D'accord")))
    finally:
        reader.close()
    again = await store.retrieve("dan")
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["bonjour", "oui"]


async def test_a_save_writes_the_rows_rasa_own_store_writes(store, tmp_path):
    """Every column of every event row, in the same order, as Rasa's SQLTrackerStore writes
    them for the same conversation (the intent and action names are what its queries use)."""
    from rasa.core.tracker_store import SQLTrackerStore

    rasa_store = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    tracker = conversation("fanny", UserUttered("oui", {"name": "affirm", "confidence": 0.9}),
                           SlotSet("consent", "1"), ActionExecuted("utter_ok"), BotUttered("Bien"))
    listen = ActionExecuted("action_listen")
    for target in (store, rasa_store):
        await target.save(tracker)
        more = tracker.copy()
        more.update(listen)
        await target.save(more)
    query = ("SELECT sender_id, type_name, timestamp, intent_name, action_name, data "
             "FROM events ORDER BY id")
    ours = rows(store.engine.url.render_as_string(hide_password=False), query)
    assert len(ours) == len(tracker.events) + 1
    assert ours == rows(f"sqlite:///{tmp_path / 'rasa.db'}", query)
    assert ("fanny", "user", tracker.events[5].timestamp, "affirm", None) in [r[:5] for r in ours]
