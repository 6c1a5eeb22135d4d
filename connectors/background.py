"""Work a channel starts after answering its webhook (Twilio and Telegram want a fast answer)."""
from __future__ import annotations

import asyncio
from typing import Coroutine


class BackgroundTasks:
    """Tasks on the server's loop, referenced until they end (the loop keeps only weak ones)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, work: Coroutine) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
