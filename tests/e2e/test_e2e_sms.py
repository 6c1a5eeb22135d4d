"""SMS end to end: signed Twilio webhooks into the running assistant; our connector answers
through the real `twilio` client, which talks to a fake Twilio API on loopback that records what
we send (scripts/fake_twilio.py). Checked in what the person would receive and in the database."""
from __future__ import annotations

import re
import time
import uuid

import pytest
import requests

from bot.pseudonyms import channel_identity, person_key
from scripts.fake_twilio import ACCOUNT_SID, FROM_NUMBER
from scripts.sms_driver import CHOICE, STATUS, WEBHOOK, SmsDriver, new_phone
from tests.support.conversation import HAPPY_PATH
from tests.support.databases import rows

pytestmark = pytest.mark.e2e


def driver(assistant) -> SmsDriver:
    return SmsDriver(assistant.rasa_url, assistant.twilio)


def post(assistant, params: dict, **options) -> requests.Response:
    return driver(assistant).post(params, **options)


def sms(assistant, phone: str, body: str, sid: str | None = None, **options) -> requests.Response:
    return driver(assistant).send(phone, body, sid, **options)


def exchange(assistant, phone: str, body: str, expected: str) -> list[str]:
    return driver(assistant).exchange(phone, body, expected)


def stored(assistant, phone: str, direction: str):
    """The SMS rows of a number: received ones hold the number, sent ones only the person's
    pseudonym (an erasure can then never leave the number behind)."""
    key = person_key(channel_identity("twilio_sms", phone), assistant.secret)
    return rows(assistant.db_url, "select body, encoding, segments, status, attempts, "
                "message_sid from sms_messages where (phone = ? or person_key = ?) and "
                "direction = ? order by id", phone, key, direction)


def test_a_person_does_the_diagnostic_and_books_by_sms(assistant):
    phone = new_phone()
    text = driver(assistant).diagnostic_and_booking(phone, HAPPY_PATH)
    assert "C'est réservé, Fatou" in text
    reference = re.search(r"Votre référence : ([A-Z0-9]{6})", text).group(1)
    [(status,)] = rows(assistant.db_url, "select status from bookings where reference = ?", reference)
    assert status == "booked"
    # The reminder goes out by SMS too, through the same channel.
    from bot.notifications.rasa_push import push_intent

    count = len(assistant.twilio.to(phone))
    push_intent(f"sms:{phone}", "twilio_sms", "EXTERNAL_reminder", {"reference": reference},
                url=assistant.rasa_url, token=assistant.env["NPT_RASA_TOKEN"])
    reminder = assistant.twilio.wait_for(phone, count + 1)[-1]["body"]
    assert "rappel de votre rendez-vous" in reminder and reference in reminder
    # Everything sent is stored with its segments; no payload was ever shown to the person.
    sent = stored(assistant, phone, "out")
    assert len(sent) == len(assistant.twilio.to(phone))
    assert all(segments >= 1 and status in ("queued", "sent") for _, _, segments, status, _, _ in sent)
    assert not any(re.search(r"(^|\s)/[a-z_]+", body, re.MULTILINE) for body, *_ in sent), sent
    assert all("\n\n" not in body for body, *_ in sent)


def test_forged_or_unsigned_webhooks_are_refused_and_change_nothing(assistant):
    phone = new_phone()
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": phone, "To": FROM_NUMBER,
              "Body": "bonjour"}
    unsigned = requests.post(assistant.rasa_url + WEBHOOK, data=params, timeout=30)
    forged = post(assistant, params, token="not-the-auth-token")
    other_url = post(assistant, params, sign_url="http://attacker.example" + WEBHOOK)
    assert (unsigned.status_code, forged.status_code, other_url.status_code) == (403, 403, 403)
    time.sleep(1)
    assert stored(assistant, phone, "in") == [] and assistant.twilio.to(phone) == []


def test_behind_a_proxy_the_public_url_is_what_is_signed(assistant):
    phone = new_phone()
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": phone, "To": FROM_NUMBER,
              "Body": "bonjour"}
    answer = post(assistant, params, sign_url="https://npt.example.org" + WEBHOOK,
                  headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "npt.example.org"})
    assert answer.status_code == 200
    assistant.twilio.wait_for(phone, 1)


def test_a_webhook_retried_with_the_same_message_sid_is_processed_once(assistant):
    phone = new_phone()
    sid = "SM" + uuid.uuid4().hex
    first = sms(assistant, phone, "bonjour", sid=sid)
    again = sms(assistant, phone, "bonjour", sid=sid)
    assert first.status_code == again.status_code == 200
    assistant.twilio.wait_for(phone, 1)
    time.sleep(2)
    answers = assistant.twilio.to(phone)
    assert sum("On commence ?" in m["body"] for m in answers) == 1, answers
    assert len(stored(assistant, phone, "in")) == 1


def test_stop_is_honoured_before_anything_else_until_start(assistant):
    from bot.notifications.rasa_push import PushError, push_intent

    phone = new_phone()
    exchange(assistant, phone, "bonjour", "On commence ?")
    stopped = exchange(assistant, phone, "Arrêt", "vous ne recevrez plus de SMS")
    assert len(stopped) == 1  # one confirmation
    count = len(assistant.twilio.to(phone))
    sms(assistant, phone, "bonjour")
    sms(assistant, phone, "STOP SMS")
    try:  # a reminder (or any proactive message) pushed through Rasa to this number
        push_intent(f"sms:{phone}", "twilio_sms", "EXTERNAL_reminder", {"reference": "ABCDEF"},
                    url=assistant.rasa_url, token=assistant.env["NPT_RASA_TOKEN"])
    except PushError:
        pass
    time.sleep(3)
    assert len(assistant.twilio.to(phone)) == count, assistant.twilio.to(phone)[count:]
    resumed = exchange(assistant, phone, "start", "1 - Oui")
    # START reopens where the person was: the question they had been asked, said again.
    assert "de nouveau recevoir nos SMS" in resumed[0] and "Reprenons" in resumed[0], resumed
    exchange(assistant, phone, "1", "Quel appareil avez-vous ?")


def test_numbered_choices_replace_buttons_and_a_number_picks_one(assistant):
    phone = new_phone()
    [question] = [t for t in exchange(assistant, phone, "bonjour", "On commence ?")
                  if "On commence ?" in t]
    assert CHOICE.findall(question), question  # "1 - Oui" ...
    assert "Répondez par le numéro." in question or "numéro" in question
    first_choice = CHOICE.findall(question)[0][1]
    assert first_choice.lower().startswith("oui")
    exchange(assistant, phone, "1", "Quel appareil avez-vous ?")


def test_empty_and_media_only_messages_get_a_kind_answer(assistant):
    phone = new_phone()
    received = exchange(assistant, phone, "", "Je ne peux lire que du texte")
    assert len(received) == 1
    exchange(assistant, phone, "   ", "Je ne peux lire que du texte")


def test_a_failed_send_is_retried_and_the_attempts_are_stored(assistant):
    phone = new_phone()
    assistant.twilio.failures_left = 1
    exchange(assistant, phone, "bonjour", "On commence ?")
    attempts = [a for *_, a, _ in stored(assistant, phone, "out")]
    assert 2 in attempts, attempts


def test_the_delivery_status_is_stored_from_a_signed_callback_only(assistant):
    phone = new_phone()
    exchange(assistant, phone, "bonjour", "On commence ?")
    sid = assistant.twilio.to(phone)[0]["sid"]
    forged = requests.post(assistant.rasa_url + STATUS, timeout=30,
                           data={"MessageSid": sid, "MessageStatus": "failed"})
    assert forged.status_code == 403
    answer = post(assistant, {"MessageSid": sid, "MessageStatus": "delivered",
                              "AccountSid": ACCOUNT_SID}, path=STATUS)
    assert answer.status_code == 204
    [(status,)] = rows(assistant.db_url, "select status from sms_messages where message_sid = ?", sid)
    assert status == "delivered"


def test_aide_says_what_the_service_is_and_how_to_reach_a_human(assistant):
    phone = new_phone()
    received = exchange(assistant, phone, "AIDE", "quelques questions")
    text = "\n".join(received)
    assert "aide gratuite" in text and "01 70 772 372" in text, received


@pytest.mark.parametrize("body", ["👍👍", "مرحبا، أحتاج مساعدة", "Здравствуйте", "x" * 3000])
def test_emoji_other_alphabets_and_very_long_texts_get_an_answer(assistant, body):
    phone = new_phone()
    before = len(assistant.twilio.to(phone))
    assert sms(assistant, phone, body).status_code == 200
    answers = assistant.twilio.wait_for(phone, before + 1)
    assert answers and all(m["body"].strip() for m in answers)
    if len(body) > 1000:
        assert any("très long" in m["body"] for m in answers)
    [(status,)] = rows(assistant.db_url, "select status from sms_messages where phone = ? and "
                       "direction = 'in'", phone)
    deadline = time.monotonic() + 30
    while status != "processed" and time.monotonic() < deadline:
        time.sleep(0.2)
        [(status,)] = rows(assistant.db_url, "select status from sms_messages where phone = ? "
                           "and direction = 'in'", phone)
    assert status == "processed"
