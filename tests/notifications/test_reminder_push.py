"""A reminder is sent at most once: a push that may have reached Rasa (no answer in time) is
never tried again; only pushes Rasa certainly did not take (refused connection, error status)
are retried. Played against a small real HTTP server on 127.0.0.1 standing for Rasa's
`POST /conversations/<id>/trigger_intent`."""
from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.notifications.rasa_push import PushError, PushUncertain, push_intent
from bot.notifications.sender import send_due
from bot.notifications.outbox import NotificationStatus, counts_by_status, notifications_of_booking
from tests.support.booking import PARIS_12, at, book_for, place_pk

EVENING_BEFORE = at(2, 18)  # the reminder of an appointment on Thursday 3 December
RETRY = timedelta(minutes=16)  # data/booking.yml: a failed send is tried again after 15 minutes
SHORT_TIMEOUT = 0.5


class FakeRasa:
    """Rasa's trigger_intent, answering `status` after `delay` seconds; it records every push."""

    def __init__(self, status: int | None = 200, delay: float = 0.0) -> None:
        self.status, self.delay = status, delay
        self.pushes: list[tuple[str, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.pushes.append((self.path, body))
                time.sleep(fake.delay)
                if fake.status is None:  # the connection breaks before any answer
                    self.close_connection = True
                    return
                answer = json.dumps({"messages": []}).encode()
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:  # the sender gave up waiting
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeRasa":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def refused_url() -> str:
    """An address on loopback where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def statuses(booking_id: int) -> list[NotificationStatus]:
    return [r.status for r in notifications_of_booking(booking_id)]


def send(now, rasa: str):
    return send_due(now=now, rasa=rasa, token="t0ken", timeout=SHORT_TIMEOUT)


def test_a_push_answered_too_late_is_sent_once_and_never_retried(demo, caplog):
    booking = book_for("slow", place_pk(PARIS_12), at(3, 10), sender_id="+33612340001")
    with FakeRasa(delay=SHORT_TIMEOUT + 1.5) as rasa:
        first = send(EVENING_BEFORE, rasa.url)
        assert (first.sent, first.failed, first.uncertain) == (0, 0, 1)
        assert statuses(booking.id) == [NotificationStatus.UNCERTAIN]
        later = send(EVENING_BEFORE + RETRY, rasa.url)
        much_later = send(EVENING_BEFORE + 3 * RETRY, rasa.url)
        assert (later.sent, later.failed, later.uncertain) == (0, 0, 0)
        assert (much_later.sent, much_later.failed, much_later.uncertain) == (0, 0, 0)
        time.sleep(SHORT_TIMEOUT + 1.5)  # the slow answer comes, too late
        assert len(rasa.pushes) == 1
    path, body = rasa.pushes[0]
    assert path.startswith("/conversations/+33612340001/trigger_intent?")
    assert "output_channel=twilio_sms" in path and "token=t0ken" in path
    assert body == {"name": "EXTERNAL_reminder", "entities": {"reference": booking.reference}}
    [record] = notifications_of_booking(booking.id)
    assert record.attempts == 1 and "may have been delivered" in record.last_error
    assert counts_by_status() == {"uncertain": 1}  # what `npt reminders list` prints
    assert any(r.levelname == "WARNING" and booking.reference in r.getMessage()
               and "uncertain" in r.getMessage() for r in caplog.records)


def test_a_push_answered_with_an_error_status_is_retried_next_round(demo):
    booking = book_for("error", place_pk(PARIS_12), at(3, 10))
    with FakeRasa(status=500) as rasa:
        first = send(EVENING_BEFORE, rasa.url)
        assert (first.sent, first.failed, first.uncertain) == (0, 1, 0)
        assert statuses(booking.id) == [NotificationStatus.PENDING]
        assert send(EVENING_BEFORE + timedelta(minutes=1), rasa.url).failed == 0  # not yet
        assert len(rasa.pushes) == 1
        rasa.status = 200
        second = send(EVENING_BEFORE + RETRY, rasa.url)
        assert (second.sent, second.failed, second.uncertain) == (1, 0, 0)
        assert len(rasa.pushes) == 2
    [record] = notifications_of_booking(booking.id)
    assert (record.status, record.attempts) == (NotificationStatus.SENT, 2)


def test_a_push_to_a_rasa_that_is_not_there_is_retried_next_round(demo):
    booking = book_for("refused", place_pk(PARIS_12), at(3, 10))
    first = send(EVENING_BEFORE, refused_url())
    assert (first.sent, first.failed, first.uncertain) == (0, 1, 0)
    assert "unreachable" in first.errors[0]
    assert statuses(booking.id) == [NotificationStatus.PENDING]
    with FakeRasa() as rasa:
        second = send(EVENING_BEFORE + RETRY, rasa.url)
        assert (second.sent, second.failed, second.uncertain) == (1, 0, 0)
        assert send(EVENING_BEFORE + 2 * RETRY, rasa.url).sent == 0
        assert len(rasa.pushes) == 1
    assert statuses(booking.id) == [NotificationStatus.SENT]


def test_push_intent_says_whether_rasa_may_have_taken_the_message():
    with FakeRasa(delay=SHORT_TIMEOUT + 1) as slow:
        with pytest.raises(PushUncertain) as late:
            push_intent("someone", "rest", "EXTERNAL_reminder", url=slow.url, timeout=SHORT_TIMEOUT)
        assert late.value.maybe_delivered
    with FakeRasa(status=None) as breaking:
        with pytest.raises(PushUncertain):
            push_intent("someone", "rest", "EXTERNAL_reminder", url=breaking.url)
    with FakeRasa(status=403) as refusing:
        with pytest.raises(PushError) as refused:
            push_intent("someone", "rest", "EXTERNAL_reminder", url=refusing.url)
        assert not refused.value.maybe_delivered and "403" in str(refused.value)
    with pytest.raises(PushError) as down:
        push_intent("someone", "rest", "EXTERNAL_reminder", url=refused_url())
    assert not down.value.maybe_delivered
    with FakeRasa() as rasa:
        assert push_intent("someone", "rest", "EXTERNAL_reminder", url=rasa.url) == []
