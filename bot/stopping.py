"""Serving until asked to stop: a flag that SIGINT (Ctrl-C) or SIGTERM sets, for the loops of
the scheduler, `make run` and `make run-prod`."""
from __future__ import annotations

import signal


class StopSignal:
    """False until SIGINT or SIGTERM arrives (installed when made, in the main thread)."""

    def __init__(self) -> None:
        self.received = False
        signal.signal(signal.SIGINT, self._receive)
        signal.signal(signal.SIGTERM, self._receive)

    def _receive(self, *_) -> None:
        self.received = True

    def __bool__(self) -> bool:
        return self.received
