"""The assistant's metrics for Prometheus, with the official client (`prometheus_client`).

Each process counts what it does: messages received and sent per channel, SMS segments per
encoding, the time a turn takes per channel, errors by where they happened, and the tracker
store's failures. The starters (scripts/servers.py, scripts/production.py) give every process
of a run one folder, PROMETHEUS_MULTIPROC_DIR, emptied at start: the client's multiprocess mode
then adds up every process's counts where /metrics is read (the web app, bot/web/app.py).

What the database knows is read when /metrics is asked, so that it is right whichever process
did it: bookings and referrals made (per channel), and inbound SMS not processed yet.

No label holds anything about a person: only channels, encodings and places in the code.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Iterator

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram,
                               generate_latest)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

MESSAGES_IN = Counter("npt_messages_received", "Messages received from people, per channel.",
                      ["channel"])
MESSAGES_OUT = Counter("npt_messages_sent", "Messages sent to people, per channel.",
                       ["channel"])
SMS_SEGMENTS = Counter("npt_sms_segments", "SMS segments sent (what Twilio bills), per encoding.",
                       ["encoding"])
TURN_SECONDS = Histogram("npt_turn_seconds",
                         "Time from a message reaching Rasa to its last answer, per channel.",
                         ["channel"],
                         buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
ERRORS = Counter("npt_errors", "Errors, by where they happened.", ["where"])
TRACKER_STORE_ERRORS = Counter(
    "npt_tracker_store_errors",
    "Conversations the tracker store could not read or save (never a silent new conversation).",
    ["operation"])


def message_in(channel: str) -> None:
    MESSAGES_IN.labels(channel).inc()


def message_out(channel: str, count: int = 1) -> None:
    if count:
        MESSAGES_OUT.labels(channel).inc(count)


def sms_segments(encoding: str, segments: int) -> None:
    SMS_SEGMENTS.labels(encoding).inc(segments)


def error(where: str) -> None:
    ERRORS.labels(where).inc()


@contextmanager
def turn(channel: str) -> Iterator[None]:
    """Times one turn of `channel`; a turn that raises counts as an error ("turn")."""
    started = time.perf_counter()
    try:
        yield
    except Exception:
        error("turn")
        raise
    finally:
        TURN_SECONDS.labels(channel).observe(time.perf_counter() - started)


class DatabaseCollector:
    """Bookings and referrals made, and inbound SMS waiting, read when /metrics is asked."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url

    def collect(self):
        from sqlalchemy import func, select

        from bot.db.models import Booking, Referral, SmsMessage
        from bot.db.session import session_scope

        bookings = CounterMetricFamily("npt_bookings", "Bookings made, per channel.",
                                       labels=["channel"])
        referrals = CounterMetricFamily("npt_referrals", "Referrals recorded, per channel.",
                                        labels=["channel"])
        waiting = GaugeMetricFamily("npt_inbound_unprocessed",
                                    "Inbound SMS stored and not processed yet.")
        with session_scope(self.url) as session:
            for channel, count in session.execute(
                    select(Booking.channel, func.count()).group_by(Booking.channel)):
                bookings.add_metric([channel], count)
            for channel, count in session.execute(
                    select(Referral.channel, func.count()).group_by(Referral.channel)):
                referrals.add_metric([channel], count)
            waiting.add_metric([], session.execute(
                select(func.count()).select_from(SmsMessage).where(
                    SmsMessage.direction == "in",
                    SmsMessage.status.in_(("received", "processing")))).scalar_one())
        yield from (bookings, referrals, waiting)


def exposition(url: str | None = None) -> bytes:
    """The text /metrics answers: every process's counts (multiprocess mode when the folder is
    set, this process's otherwise) and the database's figures."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    text = generate_latest(registry)
    database = CollectorRegistry()
    database.register(DatabaseCollector(url))
    return text + generate_latest(database)

