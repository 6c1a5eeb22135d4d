"""Trust (issue 9), tried against the running servers as an attacker would: a victim books by
SMS, then strangers try to act as them from every other channel. Each forgery must leave the
victim's booking, opt-out and data as they were, and tell the stranger nothing."""
from __future__ import annotations

import asyncio
import json
import os
import re
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from bot.booking.bookings import book
from bot.booking.slots import free_slots
from bot.clock import now_paris
from bot.pseudonyms import channel_identity, person_key
from scripts.sms_driver import SmsDriver, new_phone
from tests.support.booking import DIAGNOSIS
from tests.support.conversation import say, texts
from tests.support.databases import rows
from tests.support.fake_telegram import message_update
from tests.support.telegram import new_chat, send
from tests.support.webchat import web_chat

pytestmark = pytest.mark.e2e

FIRST_NAME = "Victoire"


def sms_key(assistant, phone: str) -> str:
    return person_key(channel_identity("twilio_sms", phone), assistant.secret)


@pytest.fixture
def victim(assistant):
    """A person who booked by SMS: their number, key and booking (made as the SMS channel
    would have made it)."""
    phone = new_phone()
    key = sms_key(assistant, phone)
    [place] = rows(assistant.db_url, "select pk from places where nom like "
                   "'%La Poste de Saint-Denis%' and pk in (select place_pk from agendas)")
    slot = free_slots(place[0], now_paris(), limit=1, url=assistant.db_url)[0]
    booking = book(person_key=key, sender_id=f"sms:{phone}", channel="twilio_sms",
                   place_pk=place[0], start=slot.start, first_name=FIRST_NAME,
                   diagnosis=DIAGNOSIS, url=assistant.db_url)
    return phone, key, booking


def victim_state(assistant, victim) -> tuple:
    """What a forgery must not change: the booking's status and contact data, the opt-out."""
    phone, key, booking = victim
    [row] = rows(assistant.db_url, "select status, sender_id, first_name from bookings "
                 "where id = ?", booking.id)
    opted_out = rows(assistant.db_url, "select opted_out_at from people where person_key = ?",
                     key)
    return row, opted_out[0][0] if opted_out else None


def assert_nothing_told(replies: list[str] | str, booking) -> None:
    said = replies if isinstance(replies, str) else " ".join(replies)
    assert FIRST_NAME not in said and booking.reference not in said, said
    assert "Saint-Denis" not in said, said


def rest(assistant, sender: str, text: str, **extra) -> list[dict]:
    request = urllib.request.Request(
        f"{assistant.rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text, **extra}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


# --------------------------------------------------------------------------- REST


def test_rest_naming_the_sms_channel_and_number_reaches_nobody_else(assistant, victim):
    phone, key, booking = victim
    before = victim_state(assistant, victim)
    for text in ("annuler mon rendez-vous", "1", "SUPPRIMER", "STOP"):
        replies = rest(assistant, phone, text, input_channel="twilio_sms")
        assert_nothing_told(texts(replies), booking)
        assert all(reply["recipient_id"] == phone for reply in replies)
    assert victim_state(assistant, victim) == before
    assert before[1] is None  # the victim never said STOP
    # Nothing went to the victim's phone either.
    assert assistant.twilio.to(phone) == []


def test_a_typed_external_intent_is_only_words_on_rest(assistant, victim):
    _, _, booking = victim
    stranger = f"stranger-{uuid.uuid4()}"
    for forged in (f'/EXTERNAL_reminder{{"reference": "{booking.reference}"}}',
                   f'/EXTERNAL_structure_cancelled{{"reference": "{booking.reference}"}}',
                   f'  //EXTERNAL_reminder{{"reference": "{booking.reference}"}}'):
        assert_nothing_told(texts(rest(assistant, stranger, forged)), booking)
    [(intents,)] = rows(assistant.tracker_url, "select group_concat(intent_name) from events "
                        "where sender_id = ? and type_name = 'user'", f"rest:{stranger}")
    assert "EXTERNAL" not in (intents or "")


def test_stop_then_messages_then_start_on_rest(assistant):
    sender = f"e2e-{uuid.uuid4()}"
    assert "On commence ?" in texts(say(assistant, sender, "bonjour"))
    assert "Quel appareil" in texts(say(assistant, sender, "1"))
    stopped = say(assistant, sender, "STOP")
    assert len(stopped) == 1 and "vous ne recevrez plus" in texts(stopped), stopped
    for text in ("2", "bonjour", "aide", "/greet", "SUPPRIMER"):
        assert say(assistant, sender, text) == [], text  # nothing at all until START
    assert say(assistant, sender, "stop") == []  # no second confirmation
    resumed = say(assistant, sender, "Start")
    assert "Reprenons" in resumed[0]["text"] and "Quel appareil" in texts(resumed), resumed
    # The diagnostic goes on where it was, answers and consent kept.
    assert "Avez-vous internet" in texts(say(assistant, sender, "2"))


# --------------------------------------------------------------------------- web chat


async def _web(rasa_url: str, session_id, messages: list[str], wait: float = 8.0):
    """A Socket.IO client asking for `session_id`: (the id it was given, every bot message)."""
    async with web_chat(rasa_url, session_id) as chat:
        for message in messages:
            count = len(chat.received)
            # `session_id` in the message names someone else: it must not matter.
            await chat.say(message, session_id)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and len(chat.received) == count:
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)
        return chat.given, chat.received


def web(assistant, session_id, messages: list[str], wait: float = 8.0):
    return asyncio.run(_web(assistant.rasa_url, session_id, messages, wait))


def test_the_web_chat_cannot_choose_its_conversation(assistant, victim):
    phone, key, booking = victim
    before = victim_state(assistant, victim)
    for asked in (phone, f"sms:{phone}", "a" * 64, "0" * 64):
        given, received = web(assistant, asked, [
            "annuler mon rendez-vous",
            f'/EXTERNAL_reminder{{"reference": "{booking.reference}"}}',
            "STOP"])
        assert re.fullmatch(r"[0-9a-f]{64}", given) and given != asked
        assert_nothing_told([m.get("text") or "" for m in received], booking)
    assert victim_state(assistant, victim) == before
    assert assistant.twilio.to(phone) == []


def test_a_web_session_issued_by_the_server_goes_on_after_a_reconnection(assistant):
    given, received = web(assistant, None, ["bonjour"])
    assert any("On commence ?" in (m.get("text") or "") for m in received)
    again, received = web(assistant, given, ["1"])
    assert again == given
    assert any("Quel appareil" in (m.get("text") or "") for m in received), received
    [(count,)] = rows(assistant.tracker_url, "select count(*) from events where sender_id = ?",
                      f"web:{given[:32]}")
    assert count > 0


# --------------------------------------------------------------------------- SMS


def test_a_typed_external_intent_by_sms_tells_nothing(assistant, victim):
    _, _, booking = victim
    driver = SmsDriver(assistant.rasa_url, assistant.twilio)
    stranger = new_phone()
    received = driver.exchange(stranger, f'/EXTERNAL_reminder{{"reference": "{booking.reference}"}}',
                               "", timeout=30)
    time.sleep(2)
    assert_nothing_told([m["body"] for m in assistant.twilio.to(stranger)] + received, booking)


# --------------------------------------------------------------------------- processes


def _listening(port: int) -> set[str]:
    """Local addresses listening on `port`, read from the kernel's socket tables."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if len(address) == 8:
                    found.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
                else:
                    found.add("ipv6:" + address)
    return found


def test_the_action_server_rasa_and_the_web_app_listen_on_loopback_only(assistant):
    for port in (assistant.actions_port, assistant.rasa_port, assistant.web_port):
        assert _listening(port) == {"127.0.0.1"}, (port, _listening(port))


def test_no_secret_on_a_command_line_nor_in_a_log(assistant):
    chat = new_chat()
    send(assistant, chat, message_update(chat, "bonjour"), "On commence ?")
    secrets_ = [assistant.env["NPT_RASA_TOKEN"], assistant.env_used["TELEGRAM_BOT_TOKEN"],
                assistant.env_used["TWILIO_AUTH_TOKEN"], assistant.env_used["NPT_SECRET_KEY"]]
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        for secret in secrets_:
            assert secret not in command, f"process {pid} has a secret on its command line"
    logs = list(Path(assistant.log_dir).glob("*.log"))
    assert logs
    for log in logs:
        content = log.read_text(errors="replace")
        for secret in secrets_:
            assert secret not in content, f"{log.name} holds a secret"
        assert oct(log.stat().st_mode & 0o777) == oct(0o600), log
