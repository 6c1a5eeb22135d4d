"""The end-to-end set against the production mode (scripts/production.py): PostgreSQL, the Redis
lock store, two Rasa and two action servers behind nginx. Every message comes in through nginx's
public port, as Twilio, Telegram and a browser would reach it: a booking by SMS with its
reminder sent by the scheduler's own code, a booking on Telegram, a booking in the web chat in
headless Chromium. What was booked is read in PostgreSQL."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import requests

from scripts.sms_driver import CHOICE, SmsDriver, new_phone
from tests.support.browser import book_in_the_web_chat
from tests.support.conversation import HAPPY_PATH, a_weekday_next_week
from tests.support.databases import rows
from tests.support.fake_telegram import callback_update, message_update
from tests.support.telegram import button_data, new_chat, send

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"Votre référence : ([A-Z0-9]{6})")


def redis_commands(production) -> dict:
    """How many times each command was called on the Redis server, by name."""
    import redis

    stats = redis.Redis(host="127.0.0.1", port=production.redis.port).info("commandstats")
    return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}


def metrics(url: str) -> dict[tuple[str, tuple], float]:
    """The samples /metrics gives: (name, labels) -> value."""
    from prometheus_client.parser import text_string_to_metric_families

    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200, answer.text[:200]
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.text)
            for sample in family.samples}


def served_by(production) -> set[str]:
    """The Rasa servers nginx sent public requests to (its log names the upstream only)."""
    log = (production.nginx.base / "access.log").read_text()
    return {port for port in map(str, production.rasa_ports) if f":{port}" in log}


def test_a_person_books_by_sms_through_nginx_and_the_scheduler_reminds_them(production):
    from bot.notifications.sender import send_due

    driver = SmsDriver(production.public_url, production.twilio)
    phone = new_phone()
    for body, expected in HAPPY_PATH:
        driver.exchange(phone, body, expected)
    listing = "\n".join(driver.exchange(phone, "93200", "Quel lieu choisissez-vous ?"))
    number = next(n for n, title in CHOICE.findall(listing) if "Saint-Denis" in title)
    driver.exchange(phone, number, "rendez-vous libres")
    # A day next week, so that the booking gets its reminder the day before.
    driver.exchange(phone, a_weekday_next_week(), "rendez-vous libres")
    driver.exchange(phone, "1", "Quel est votre prénom ?")
    text = "\n".join(driver.exchange(phone, "Fatou", "Votre référence"))
    assert "C'est réservé, Fatou" in text
    reference = REFERENCE.search(text).group(1)
    [(status, channel)] = rows(production.db_url, "select status, channel from bookings "
                               "where reference = ?", reference)
    assert (status, channel) == ("booked", "twilio_sms")
    # The conversation is in PostgreSQL's tracker store, whichever Rasa server took each turn.
    [(events,)] = rows(production.tracker_url, "select count(*) from events where sender_id = ?",
                       f"sms:{phone}")
    assert events > 40
    # Both Rasa servers took webhooks; their turns were serialised by the Redis lock store.
    assert served_by(production) == set(map(str, production.rasa_ports))
    assert redis_commands(production).get("set", 0) >= len(HAPPY_PATH), redis_commands(production)
    # The reminder, sent by the scheduler's own code once it is due, through Rasa's HTTP API
    # behind nginx; sent once.
    [(due_at,)] = rows(production.db_url, "select max(r.due_at) from reminders r join bookings b "
                       "on b.id = r.booking_id where b.reference = ?", reference)
    assert due_at is not None
    later = (due_at if isinstance(due_at, datetime) else datetime.fromisoformat(str(due_at))
             ).replace(tzinfo=timezone.utc) + timedelta(minutes=1)
    before = len(production.twilio.to(phone))
    token = production.env["NPT_RASA_TOKEN"]
    first = send_due(now=later, url=production.db_url, rasa=production.rasa_url, token=token)
    again = send_due(now=later, url=production.db_url, rasa=production.rasa_url, token=token)
    assert first.sent >= 1 and again.sent == 0, (first, again)
    reminder = production.twilio.wait_for(phone, before + 1)[-1]["body"]
    assert "rappel de votre rendez-vous" in reminder and reference in reminder
    # Prometheus sees it all, added up over every process; nginx does not show it.
    seen = metrics(production.metrics_url)
    sms = (("channel", "twilio_sms"),)
    assert seen[("npt_messages_received_total", sms)] >= len(HAPPY_PATH) + 5
    assert seen[("npt_messages_sent_total", sms)] >= len(production.twilio.to(phone))
    assert seen[("npt_turn_seconds_count", sms)] >= len(HAPPY_PATH) + 5
    assert sum(value for (name, _), value in seen.items()
               if name == "npt_sms_segments_total") >= len(production.twilio.to(phone))
    assert seen[("npt_bookings_total", sms)] >= 1
    assert seen[("npt_inbound_unprocessed", ())] == 0
    assert requests.get(production.public_url + "/metrics", timeout=10).status_code == 404
    # No log of any process holds the number or the first name.
    for log in production.log_dir.glob("*.log"):
        text = log.read_text(errors="replace")
        assert phone[1:] not in text and "Fatou" not in text, log.name


def test_a_forged_sms_webhook_is_refused_at_the_public_address(production):
    phone = new_phone()
    forged = SmsDriver(production.public_url, production.twilio).send(
        phone, "bonjour", token="not-the-auth-token")
    assert forged.status_code == 403
    time.sleep(1)
    assert production.twilio.to(phone) == []


def test_a_person_books_on_telegram_through_nginx(production):
    through = SimpleNamespace(rasa_url=production.public_url, telegram=production.telegram)
    chat = new_chat()
    messages = send(through, chat, message_update(chat, "/start"), "On commence ?")
    messages = send(through, chat, callback_update(chat, button_data(messages, "Oui")),
                    "Quel appareil avez-vous ?")
    for text, expected in HAPPY_PATH[2:]:
        messages = send(through, chat, message_update(chat, text), expected)
    places = send(through, chat, message_update(chat, "93200"), "Quel lieu choisissez-vous ?")
    slots = send(through, chat, callback_update(chat, button_data(places, "Saint-Denis")),
                 "rendez-vous libres")
    send(through, chat, callback_update(chat, button_data(slots, "")), "Quel est votre prénom ?")
    done = "\n".join(m["text"] for m in send(through, chat, message_update(chat, "Mariam"),
                                              "Votre référence"))
    reference = REFERENCE.search(done).group(1)
    [(status, channel)] = rows(production.db_url, "select status, channel from bookings "
                               "where reference = ?", reference)
    assert (status, channel) == ("booked", "telegram")


def test_a_person_books_in_the_web_chat_through_nginx(production):
    confirmation = book_in_the_web_chat(production.web_url, "Fatima")
    reference = REFERENCE.search(confirmation).group(1)
    [(status, channel)] = rows(production.db_url, "select status, channel from bookings "
                               "where reference = ?", reference)
    assert (status, channel) == ("booked", "socketio")


def test_only_the_public_paths_are_public(production):
    """Through nginx's public port: the web chat, but not the REST channel, the web app's
    health, the SMS simulator, nor Rasa's HTTP API even with its token (it answers on the
    internal port only)."""
    public, token = production.public_url, production.env["NPT_RASA_TOKEN"]
    assert requests.get(public + "/", timeout=10).status_code == 200
    for path in ("/webhooks/rest/webhook", "/health", "/sms-simulator"):
        answer = requests.post(public + path, json={"sender": "x", "message": "bonjour"},
                               timeout=10)
        assert answer.status_code == 404, (path, answer.status_code)
    tracker = f"/conversations/x/tracker?token={token}"
    assert requests.get(production.rasa_url + tracker, timeout=10).json()["sender_id"] == "x"
    answer = requests.get(public + tracker, timeout=10)
    assert answer.status_code == 404 and "sender_id" not in answer.text
