"""A SQL tracker store that really erases a person's conversation on SUPPRIMER.

Rasa's SQLTrackerStore only ever appends events. When the turn being saved holds
`SlotSet("erase_conversation", True)` (set by `action_delete_my_data` once the person's results
are erased), every stored event of that conversation is deleted instead, and nothing of the turn
is written: the next message starts a new, empty conversation.

A lost database connection (PostgreSQL restarting) is retried for about 15 s before a read or a
save fails. When one still fails, Rasa's FailSafeTrackerStore would go on with an empty
conversation in memory (a silent new conversation, the person's answers forgotten):
`refuse_silent_fallback()` makes it count the failure (bot/metrics.py), log it and raise
instead, so that the message fails and its channel processes it again later (SMS and Telegram
keep every inbound message until it is processed).

Reading a conversation fetches only the events' JSON (Rasa's own query, the same events in the
same order), not one ORM object per event: on a 200-turn conversation the ORM objects measured
as 7 % of Rasa's busy time (issue 14).

Saving a conversation read in this turn writes its events after the ones read, without Rasa's
query counting the stored events again (2.5 % of Rasa's busy time, growing with the
conversation): Rasa's lock store lets one turn at a time read and save a conversation, so the
number read is the number stored; after a save, the number saved is. A tracker neither read
nor saved here yet (a new conversation, one read with all its sessions), and every retry after
a failed save, count them again as Rasa does. The events are written as Rasa writes them (the
same rows and values) by one INSERT, not one ORM object each.

The conversations this process saved last are kept (RECENT_CONVERSATIONS of them) and handed
back to the next turn without reading and replaying their events (10.6 % of Rasa's busy time),
after one query has shown that the latest stored event is still the one saved here: another
server's turn, an erasure anywhere, or a turn here that failed before saving makes the
conversation read again. A turn that started a new session is read again too, so that a
conversation always holds what a read would give (the latest session only).
"""
from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import logging
from collections import OrderedDict
from typing import Any, Optional, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import bindparam, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from bot import metrics
from bot.db.session import connection_lost

from bot.config import tracker_database_url
from bot.people.identity import sibling_conversation_ids

log = logging.getLogger(__name__)

ERASE_SLOT = "erase_conversation"
# The number of this tracker's events known to be stored (set on the tracker object when read or
# saved here; used once by the next save).
STORED = "_npt_events_stored"
# Set on a tracker that holds the latest session only, as a read gives it.
LAST_SESSION = "_npt_last_session"
# Conversations kept in memory after their save, the least recently used dropped first: at
# most this many, and at most RECENT_EVENTS events in all (a long conversation weighs more).
RECENT_CONVERSATIONS = 256
RECENT_EVENTS = 40_000
# The columns of Rasa's events table (rasa 3.6.21) that a save writes, with the id.
EVENT_COLUMNS = {"id", "sender_id", "type_name", "timestamp", "intent_name", "action_name", "data"}
# Waits before trying a read or a save again when the database connection was lost.
RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


class TrackerStoreUnavailable(Exception):
    """The conversation could not be read or saved: the message is not processed now."""


async def _with_retries(operation, what: str):
    for attempt, delay in enumerate((*RETRY_DELAYS, None)):
        try:
            return await operation()
        except Exception as error:
            if delay is None or not connection_lost(error):
                raise
            log.warning("tracker store: %s failed (%s), trying again in %.2f s", what,
                        type(error).__name__, delay)
            await asyncio.sleep(delay)


def erasure_requested(tracker: DialogueStateTracker) -> bool:
    """True when the latest turn asked for the conversation to be erased."""
    for event in reversed(tracker.events):
        if isinstance(event, SlotSet) and event.key == ERASE_SLOT and event.value:
            return True
        if isinstance(event, UserUttered):
            return False
    return False


class ErasingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, host: Optional[str] = None, event_broker=None,
                 url: Optional[str] = None, **kwargs: Any) -> None:
        parsed = make_url(url or tracker_database_url())
        dialect = parsed.drivername.split("+")[0]
        super().__init__(
            domain=domain,
            dialect=dialect,
            host=parsed.host,
            port=parsed.port,
            db=parsed.database,
            username=parsed.username,
            password=parsed.password,
            event_broker=event_broker,
            login_db=kwargs.get("login_db"),
            query=dict(parsed.query) or None,
        )
        if self.engine.dialect.name == "sqlite":
            # Rasa's SQLite engine opens a new connection for every read and save, in SQLite's
            # rollback-journal mode (several fsyncs per commit): the save's commit measured as
            # 11 ms of a 45 ms turn. The assistant's own engine for the same file keeps its
            # connections and writes ahead (WAL, bot/db/session.py); it also makes the file
            # 0600, as the conversations are personal data.
            from bot.db.session import get_engine

            self.engine.dispose()
            self.engine = get_engine(parsed.render_as_string(hide_password=False))
            self.sessionmaker = sessionmaker(bind=self.engine)
        columns = set(self.SQLEvent.__table__.columns.keys())
        if columns != EVENT_COLUMNS:
            raise RuntimeError(f"Rasa's events table has the columns {sorted(columns)}, not "
                               "those of rasa 3.6.21: check connectors/tracker_store.py's save")
        # The timestamp of a conversation's latest stored event: one statement, built once (an
        # ORM query built on every turn measured as 3 % of Rasa's busy time).
        self._latest_timestamp = (select(self.SQLEvent.timestamp)
                                  .where(self.SQLEvent.sender_id == bindparam("sender_id"))
                                  .order_by(self.SQLEvent.id.desc()).limit(1))
        # conversation id -> (tracker as saved, its number of events, its last event)
        self._recent: OrderedDict[str, tuple[DialogueStateTracker, int, Any]] = OrderedDict()

    def erase(self, sender_id: str) -> int:
        self._recent.pop(sender_id, None)
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        return deleted

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        if not fetch_events_from_all_sessions:
            tracker = await _with_retries(lambda: self._recent_tracker(sender_id), "a read")
            if tracker is not None:
                return tracker
        return await _with_retries(
            lambda: self._read(sender_id, fetch_events_from_all_sessions), "a read")

    async def _recent_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker this process saved last for the conversation, when nothing has changed
        it since, here or in the database; otherwise None (and it is forgotten)."""
        entry = self._recent.get(sender_id)
        if entry is None:
            return None
        tracker, length, last = entry
        unchanged_here = len(tracker.events) == length and tracker.events[-1] is last
        if unchanged_here:
            with self.engine.connect() as connection:
                latest = connection.execute(self._latest_timestamp,
                                            {"sender_id": sender_id}).scalar()
            if latest is not None and latest == last.timestamp:
                self._recent.move_to_end(sender_id)
                setattr(tracker, STORED, length)
                return tracker
        self._recent.pop(sender_id, None)
        return None

    def _keep(self, tracker: DialogueStateTracker, known: Optional[int]) -> None:
        """Keeps a tracker just saved, when it holds what a read would give: it was read here
        with its latest session only (`known` events then) and no session started since."""
        events = tracker.events
        if (known is None or not events or not tracker.__dict__.get(LAST_SESSION)
                or getattr(events, "maxlen", None) is not None
                or any(isinstance(event, SessionStarted)
                       for event in itertools.islice(events, known, None))):
            tracker.__dict__.pop(LAST_SESSION, None)
            self._recent.pop(tracker.sender_id, None)
            return
        self._recent.pop(tracker.sender_id, None)
        self._recent[tracker.sender_id] = (tracker, len(events), events[-1])
        kept = sum(length for _, length, _ in self._recent.values())
        while len(self._recent) > RECENT_CONVERSATIONS or kept > RECENT_EVENTS:
            _, (_, length, _) = self._recent.popitem(last=False)
            kept -= length

    async def _read(self, sender_id: Text, fetch_events_from_all_sessions: bool
                    ) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            rows = (self._event_query(session, sender_id, fetch_events_from_all_sessions)
                    .with_entities(self.SQLEvent.data).all())
        events = [json.loads(data) for (data,) in rows]
        if not self.domain or not events:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        if not fetch_events_from_all_sessions and len(tracker.events) == len(events):
            # Rasa's save counts the events of the last session: the ones read here.
            setattr(tracker, STORED, len(events))
            setattr(tracker, LAST_SESSION, True)
        return tracker

    def _additional_events(self, session, tracker: DialogueStateTracker):
        # Taken, so that a retry of a save that failed counts the stored events again.
        stored = tracker.__dict__.pop(STORED, None)
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def _write(self, tracker: DialogueStateTracker) -> None:
        """Rasa's `SQLTrackerStore.save` (3.6.21), the same rows with the same values, written
        by one INSERT of all the turn's events instead of one ORM object each (the ORM's flush
        measured as 5.5 % of Rasa's busy time under the bench's load)."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = []
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                rows.append({
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get(
                        INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                })
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()

    async def save(self, tracker: DialogueStateTracker) -> None:
        if erasure_requested(tracker):
            # The conversation, and the same person's conversation under the id it had before
            # ids were namespaced by channel (`sms:+336...` and `+336...`).
            deleted = sum(self.erase(conversation)
                          for conversation in sibling_conversation_ids(tracker.sender_id))
            log.info("erased a conversation on request (%d events)", deleted)
            return
        # A save writes the events not stored yet (counted again on each try): never twice.
        known = tracker.__dict__.get(STORED)
        try:
            await _with_retries(lambda: self._write(tracker), "a save")
        except Exception:
            self._recent.pop(tracker.sender_id, None)
            raise
        if getattr(tracker.events, "maxlen", None) is None:  # a capped history loses count
            setattr(tracker, STORED, len(tracker.events))
        self._keep(tracker, known)


# The sources of the methods replaced, as in rasa 3.6.21: checked at install.
_EXPECTED = {"on_tracker_store_error": "Falling back to use",
             "on_tracker_store_retrieve_error": "Falling back to use"}


def refuse_silent_fallback() -> None:
    """Rasa's FailSafeTrackerStore: a failure to read or save a conversation is counted,
    logged (its kind, never its data) and raised, instead of going on with an empty
    conversation in memory."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    if getattr(FailSafeTrackerStore.on_tracker_store_error, "npt_refuses", False):
        return
    for name, part in _EXPECTED.items():
        if part not in inspect.getsource(getattr(FailSafeTrackerStore, name)):
            raise RuntimeError(f"FailSafeTrackerStore.{name} is not the one of rasa 3.6.21: "
                               "check connectors/tracker_store.py against the new Rasa")

    def refuse(operation: str):
        def on_error(self, error: Exception) -> None:
            metrics.TRACKER_STORE_ERRORS.labels(operation).inc()
            # The error's text can hold a conversation id (SQL parameters): its kind only.
            log.error("tracker store: could not %s a conversation (%s); the message is not "
                      "processed now, and no empty conversation is started in its place",
                      operation, type(error).__name__)
            raise TrackerStoreUnavailable(f"could not {operation} a conversation") from error

        on_error.npt_refuses = True
        return on_error

    FailSafeTrackerStore.on_tracker_store_error = refuse("save")
    FailSafeTrackerStore.on_tracker_store_retrieve_error = refuse("read")
