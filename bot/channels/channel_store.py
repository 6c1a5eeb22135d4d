"""What chat channels (Telegram) need to remember: updates already processed, and the choices
last offered in each chat.

A chat's choices are stored with the pseudonym of its person (`person_key`), so that SUPPRIMER,
which knows only the pseudonym, finds them (`forget_person`). Retention (`purge_before`)
deletes choices and update ids older than the cut-off.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from bot.clock import now_db
from bot.db.models import ChannelUpdate, ChatChoices
from bot.db.session import session_scope, upsert_insert
from bot.pseudonyms import key_of_chat


def first_time(channel: str, update_id: str, url: str | None = None) -> bool:
    """True the first time this update is seen (it is recorded); False for a repeat."""
    try:
        with session_scope(url) as session:
            session.add(ChannelUpdate(channel=channel, update_id=str(update_id)[:64],
                                      received_at=now_db()))
        return True
    except IntegrityError:
        return False


def remember_choices(channel: str, chat_id: str, buttons: list[dict] | None,
                     url: str | None = None, person_key: str | None = None) -> None:
    """Remember the choices offered in a chat (none: forget them). `person_key` is the chat's
    person's pseudonym; without it, it is computed from the channel and the chat id (a
    namespaced id such as `tg:123` is read as its chat id)."""
    if not person_key:
        person_key = key_of_chat(channel, str(chat_id))
    where = (ChatChoices.channel == channel, ChatChoices.chat_id == str(chat_id))
    with session_scope(url) as session:
        if not buttons:
            session.execute(delete(ChatChoices).where(*where))
            return
        # One statement per turn where the database has one (SQLite, PostgreSQL).
        insert = upsert_insert(session, ChatChoices.__table__)
        if insert is not None:
            values = {"buttons": buttons, "person_key": person_key, "updated_at": now_db()}
            session.execute(insert.values(channel=channel, chat_id=str(chat_id), **values)
                            .on_conflict_do_update(index_elements=["channel", "chat_id"],
                                                   set_=values))
            return
        row = session.get(ChatChoices, (channel, str(chat_id)))
        if row is None:
            session.add(ChatChoices(channel=channel, chat_id=str(chat_id), buttons=buttons,
                                    person_key=person_key, updated_at=now_db()))
        else:
            row.buttons, row.person_key, row.updated_at = buttons, person_key, now_db()


def offered_choices(channel: str, chat_id: str, url: str | None = None) -> list[dict]:
    with session_scope(url) as session:
        buttons = session.execute(select(ChatChoices.buttons).where(
            ChatChoices.channel == channel, ChatChoices.chat_id == str(chat_id))).scalar()
        return list(buttons) if buttons else []


def forget_chat(channel: str, chat_id: str, url: str | None = None) -> None:
    with session_scope(url) as session:
        session.execute(delete(ChatChoices).where(ChatChoices.channel == channel,
                                                  ChatChoices.chat_id == str(chat_id)))


@dataclass(frozen=True)
class ChoicesExport:
    channel: str
    chat_id: str
    buttons: list
    updated_at: datetime  # naive UTC


def _rows_of(session, person_key: str) -> list[ChatChoices]:
    """The chat choices of the person: by their pseudonym, and rows stored before the
    pseudonym was (person_key NULL) whose chat's pseudonym is theirs."""

    rows = list(session.execute(select(ChatChoices).where(
        ChatChoices.person_key == person_key)).scalars())
    legacy = session.execute(select(ChatChoices).where(ChatChoices.person_key.is_(None))).scalars()
    return rows + [row for row in legacy if key_of_chat(row.channel, row.chat_id) == person_key]


def choices_for_key(person_key: str, url: str | None = None) -> list[ChoicesExport]:
    """The choices stored for the person's chats (right of access)."""
    with session_scope(url) as session:
        rows = sorted(_rows_of(session, person_key), key=lambda r: (r.updated_at, r.chat_id))
        return [ChoicesExport(r.channel, r.chat_id, list(r.buttons or []), r.updated_at)
                for r in rows]


def forget_person(person_key: str, url: str | None = None) -> int:
    """SUPPRIMER: delete the choices of every chat of the person; the number of rows deleted."""
    with session_scope(url) as session:
        rows = _rows_of(session, person_key)
        for row in rows:
            session.delete(row)
        return len(rows)


@dataclass(frozen=True)
class ChannelPurge:
    chat_choices: int
    channel_updates: int


def purge_before(cutoff: datetime, dry_run: bool = False, url: str | None = None) -> ChannelPurge:
    """Retention: delete choices last changed and update ids received before `cutoff` (naive
    UTC); the numbers of rows deleted (or that would be, with `dry_run`)."""
    choices = (ChatChoices.updated_at < cutoff,)
    updates = (ChannelUpdate.received_at < cutoff,)
    with session_scope(url) as session:
        if dry_run:
            return ChannelPurge(
                session.execute(select(func.count()).select_from(ChatChoices).where(*choices))
                .scalar() or 0,
                session.execute(select(func.count(ChannelUpdate.id)).where(*updates)).scalar() or 0)
        return ChannelPurge(
            session.execute(delete(ChatChoices).where(*choices)
                            .execution_options(synchronize_session=False)).rowcount or 0,
            session.execute(delete(ChannelUpdate).where(*updates)
                            .execution_options(synchronize_session=False)).rowcount or 0)
