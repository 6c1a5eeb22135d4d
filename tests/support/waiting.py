"""Waiting for what another process does in its own time (the scheduler, a background turn)."""
from __future__ import annotations

import time


def wait_until(condition, timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not done after {timeout} s: {what}")
        time.sleep(0.2)
