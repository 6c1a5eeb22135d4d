"""Work a channel starts after answering its webhook (Twilio and Telegram want a fast answer)."""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Awaitable, Callable, Coroutine

log = logging.getLogger(__name__)


def retry_delays_from_env() -> tuple[float, ...]:
    """Waits before processing a failed inbound message again (NPT_INBOUND_RETRY_SECONDS,
    "2,10": two more attempts, 2 s then 10 s later)."""
    try:
        return tuple(float(part) for part in
                     (os.environ.get("NPT_INBOUND_RETRY_SECONDS") or "2,10").split(",")
                     if part.strip())
    except ValueError:
        return (2.0, 10.0)


# Waits before trying a database call again when the database could not be reached: about 8 s
# in all, within the 15 s Twilio waits for a webhook's answer.
DB_RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0)


async def patiently(function: Callable, *args, **kwargs):
    """`function(*args, **kwargs)` off the event loop; when the database cannot be reached (a
    restart), tried again for a few seconds before the error is raised."""
    from bot.db.session import connection_lost

    for delay in (*DB_RETRY_DELAYS, None):
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except Exception as error:
            if delay is None or not connection_lost(error):
                raise
            log.warning("database unreachable in %s (%s); trying again in %.2f s",
                        getattr(function, "__name__", "a call"), type(error).__name__, delay)
            await asyncio.sleep(delay)


class BackgroundTasks:
    """Tasks on the server's loop, referenced until they end (the loop keeps only weak ones)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, work: Coroutine) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def every(self, seconds: float, work: Callable[[], Awaitable[object]], what: str) -> None:
        """Run `work` every `seconds` for as long as the server runs; a failed round is
        logged and the next one comes all the same."""
        async def loop() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    await work()
                except Exception:
                    log.exception("%s failed", what)

        self.spawn(loop())
