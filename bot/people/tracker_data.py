"""Reading and deleting Rasa's conversations in the tracker database, without Rasa.

Rasa's SQL tracker store keeps one row per event in the table `events` (sender_id, type_name,
timestamp as a unix float, intent_name, action_name, data as JSON text). A conversation is every
event of one sender_id; it is only ever deleted whole.

Never delete the conversation in progress from here: Rasa would write it again at the end of
the turn (it appends what it thinks is missing). SUPPRIMER erases it through the tracker store
itself (connectors/tracker_store.py); these functions serve the purge and the export.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from sqlalchemy import bindparam, create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url

from bot.config import tracker_database_url

TABLE = "events"
BATCH = 500


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    # Our own engine, without the pragmas of bot.db.session: the journal mode is the tracker
    # store's (write-ahead on SQLite, connectors/tracker_store.py), kept by the file itself.
    options = {"connect_args": {"timeout": 10}} if url.startswith("sqlite") else {}
    return create_engine(url, future=True, pool_pre_ping=True, **options)


def tracker_engine(url: str | None = None) -> Engine:
    return _engine(url or tracker_database_url())


def has_events_table(url: str | None = None) -> bool:
    """False when Rasa never wrote to this database (no conversation yet). A SQLite file that
    does not exist is not made by asking."""
    url = url or tracker_database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:" \
            and not parsed.database.startswith("file:") and not Path(parsed.database).exists():
        return False
    return TABLE in inspect(tracker_engine(url)).get_table_names()


@dataclass(frozen=True)
class ConversationEvent:
    at: datetime  # UTC, aware
    kind: str  # "user" (the person) | "bot" (the assistant)
    text: str


def conversation_texts(conversation_ids: Iterable[str], url: str | None = None
                       ) -> dict[str, list[ConversationEvent]]:
    """What the person and the assistant said in each of these conversations (only those that
    exist), in order."""
    ids = [str(i) for i in dict.fromkeys(conversation_ids) if str(i)]
    if not ids or not has_events_table(url):
        return {}
    query = text(f"SELECT sender_id, type_name, timestamp, data FROM {TABLE} "
                 "WHERE sender_id IN :ids ORDER BY id").bindparams(bindparam("ids", expanding=True))
    found: dict[str, list[ConversationEvent]] = {}
    with tracker_engine(url).connect() as connection:
        for sender_id, type_name, timestamp, data in connection.execute(query, {"ids": ids}):
            found.setdefault(sender_id, [])
            if type_name not in ("user", "bot"):
                continue
            try:
                said = (json.loads(data or "{}") or {}).get("text")
            except ValueError:
                said = None
            if said:
                at = datetime.fromtimestamp(float(timestamp or 0), tz=timezone.utc)
                found[sender_id].append(ConversationEvent(at, type_name, str(said)))
    return found


@dataclass(frozen=True)
class TrackerPurge:
    conversations: int
    events: int


def purge_conversations(before: float, dry_run: bool = False, url: str | None = None
                        ) -> TrackerPurge:
    """Delete every conversation whose latest event is older than `before` (unix time), whole.

    A conversation still going on (any event at or after `before`) is left entirely: the
    condition is checked again in the DELETE itself, so a message arriving meanwhile keeps it.
    """
    if not has_events_table(url):
        return TrackerPurge(0, 0)
    old = (f"SELECT sender_id FROM {TABLE} GROUP BY sender_id "
           "HAVING MAX(timestamp) < :before")
    engine = tracker_engine(url)
    with engine.connect() as connection:
        senders = [row[0] for row in connection.execute(text(old), {"before": before})]
        if not senders:
            return TrackerPurge(0, 0)
        count = text(f"SELECT COUNT(*) FROM {TABLE} WHERE sender_id IN :ids") \
            .bindparams(bindparam("ids", expanding=True))
        events = sum(connection.execute(count, {"ids": senders[i:i + BATCH]}).scalar() or 0
                     for i in range(0, len(senders), BATCH))
    if dry_run:
        return TrackerPurge(len(senders), events)
    delete = text(f"DELETE FROM {TABLE} WHERE sender_id IN :ids AND sender_id NOT IN "
                  f"(SELECT sender_id FROM {TABLE} WHERE timestamp >= :before)") \
        .bindparams(bindparam("ids", expanding=True))
    deleted, kept = 0, 0
    with engine.begin() as connection:
        for i in range(0, len(senders), BATCH):
            deleted += connection.execute(delete, {"ids": senders[i:i + BATCH],
                                                   "before": before}).rowcount or 0
        still = text(f"SELECT COUNT(DISTINCT sender_id) FROM {TABLE} WHERE sender_id IN :ids") \
            .bindparams(bindparam("ids", expanding=True))
        kept = sum(connection.execute(still, {"ids": senders[i:i + BATCH]}).scalar() or 0
                   for i in range(0, len(senders), BATCH))
    return TrackerPurge(len(senders) - kept, deleted)


def erase_conversations(conversation_ids: Iterable[str], url: str | None = None) -> int:
    """Delete every event of these conversations (not the one in progress: see the module's
    docstring); the number of events deleted."""
    ids = [str(i) for i in dict.fromkeys(conversation_ids) if str(i)]
    if not ids or not has_events_table(url):
        return 0
    delete = text(f"DELETE FROM {TABLE} WHERE sender_id IN :ids") \
        .bindparams(bindparam("ids", expanding=True))
    with tracker_engine(url).begin() as connection:
        return connection.execute(delete, {"ids": ids}).rowcount or 0
