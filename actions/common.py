"""What every action needs: who is talking, on which channel, and off-loop database calls."""
from __future__ import annotations

import asyncio
from typing import Any, Callable, TypeVar

from rasa_sdk import Tracker

from bot.diagnostic import load_grid
from bot.pseudonyms import person_key
from bot.pseudonyms import conversation_identity, split_conversation_id

T = TypeVar("T")

DIAGNOSTIC_SLOTS = ["consent", *load_grid().question_ids]


def channel_of(tracker: Tracker) -> str:
    """The channel that proved the conversation's id (its prefix, set by our connectors), never
    the `input_channel` a client may have sent."""
    return split_conversation_id(tracker.sender_id)[0]


def person_key_of(tracker: Tracker) -> str:
    """The pseudonym of the person behind the conversation; the raw id is never stored."""
    return person_key(conversation_identity(tracker.sender_id))


async def off_loop(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking work (database) in a thread, never on the event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


def answers_of(tracker: Tracker) -> dict[str, int]:
    """The diagnostic answers given so far, as option numbers."""
    answers = {}
    for question_id in load_grid().question_ids:
        value = tracker.get_slot(question_id)
        if value is not None:
            try:
                answers[question_id] = int(value)
            except (TypeError, ValueError):
                continue
    return answers
