"""Retrying a whole transaction on a transient database error.

A deadlock or a serialization failure (PostgreSQL) or a busy database (SQLite) is not a fault
of the work: the same transaction run again succeeds. Bookings and the funding ledger run each
of their writes through `retrying`.
"""
from __future__ import annotations

import time as _time

from sqlalchemy.exc import OperationalError

RETRIES = 5


def is_transient(error: OperationalError) -> bool:
    """A deadlock or serialization failure (PostgreSQL), or a busy database (SQLite)."""
    code = getattr(error.orig, "pgcode", None)
    return code in {"40P01", "40001"} or "database is locked" in str(error.orig)


def retrying(work):
    """Run `work()` again on a transient database error (each run is a whole transaction)."""
    for attempt in range(RETRIES):
        try:
            return work()
        except OperationalError as error:
            if attempt == RETRIES - 1 or not is_transient(error):
                raise
            _time.sleep(0.05 * (attempt + 1))
