"""What chat channels (Telegram) need to remember: updates already processed, and the choices
last offered in each chat."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.db.models import ChannelUpdate, ChatChoices
from bot.db.session import session_scope


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def first_time(channel: str, update_id: str, url: str | None = None) -> bool:
    """True the first time this update is seen (it is recorded); False for a repeat."""
    try:
        with session_scope(url) as session:
            session.add(ChannelUpdate(channel=channel, update_id=str(update_id)[:64],
                                      received_at=_now()))
        return True
    except IntegrityError:
        return False


def remember_choices(channel: str, chat_id: str, buttons: list[dict] | None,
                     url: str | None = None) -> None:
    with session_scope(url) as session:
        row = session.get(ChatChoices, (channel, str(chat_id)))
        if not buttons:
            if row is not None:
                session.delete(row)
            return
        if row is None:
            session.add(ChatChoices(channel=channel, chat_id=str(chat_id), buttons=buttons,
                                    updated_at=_now()))
        else:
            row.buttons, row.updated_at = buttons, _now()


def offered_choices(channel: str, chat_id: str, url: str | None = None) -> list[dict]:
    with session_scope(url) as session:
        row = session.get(ChatChoices, (channel, str(chat_id)))
        return list(row.buttons) if row is not None else []


def forget_chat(channel: str, chat_id: str, url: str | None = None) -> None:
    with session_scope(url) as session:
        session.execute(delete(ChatChoices).where(ChatChoices.channel == channel,
                                                  ChatChoices.chat_id == str(chat_id)))
