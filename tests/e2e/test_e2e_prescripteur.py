"""The prescripteur path end to end: a counter agent opens the mode with their organisation's
code (Telegram deep link, or typed in a chat), runs the diagnostic for the person, types the
person's mobile and books; the person gets the SMS (fake Twilio API), answers OUI, the
prescripteur is told on Telegram and sees it in "mes orientations"."""
from __future__ import annotations

import sqlite3
import uuid

import pytest

from bot.pseudonyms import channel_identity, person_key
from scripts.sms_driver import SmsDriver, new_phone
from tests.support.conversation import buttons, say, texts
from tests.support.databases import rows
from tests.support.fake_telegram import callback_update, message_update
from tests.support.prescripteurs import THIRD_PERSON_PATH, new_organisation, revoke, send_due
from tests.support.telegram import button_data, new_chat, send

pytestmark = pytest.mark.e2e

def sms_key(assistant, phone: str) -> str:
    return person_key(channel_identity("twilio_sms", phone), assistant.secret)


def press(assistant, chat: int, messages: list[dict], title: str, expected: str) -> list[dict]:
    return send(assistant, chat, callback_update(chat, button_data(messages, title)), expected)


def telegram_text(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def test_a_prescripteur_books_for_a_person_on_telegram_and_the_person_confirms_by_sms(assistant):
    organisation_id, organisation, code = new_organisation(assistant)
    chat, phone = new_chat(), new_phone()
    # The deep link t.me/<bot>?start=<code>.
    opened = send(assistant, chat, message_update(chat, f"/start {code}"), "Quel est votre prénom ?")
    assert organisation in telegram_text(opened)
    send(assistant, chat, message_update(chat, "Karim"), "La personne est-elle d'accord")
    answer, expected = THIRD_PERSON_PATH[0]
    send(assistant, chat, message_update(chat, answer), expected)
    asked = send(assistant, chat, message_update(chat, phone.replace("+33", "0")),
                 "Quel appareil la personne a-t-elle ?")
    assert "recevra un SMS" in telegram_text(asked)
    for answer, expected in THIRD_PERSON_PATH[1:]:
        send(assistant, chat, message_update(chat, answer), expected)
    places = send(assistant, chat, message_update(chat, "93200"), "Quel lieu choisissez-vous ?")
    slots = press(assistant, chat, places, "Saint-Denis", "rendez-vous libres")
    press(assistant, chat, slots, "", "Quel est le prénom de la personne ?")  # the first slot
    booked = send(assistant, chat, message_update(chat, "Fatou"), "C'est réservé pour Fatou")
    assert "reçoit un SMS" in telegram_text(booked)

    # The booking, its referral and the consent are the person's own (their SMS identity).
    key = sms_key(assistant, phone)
    [(booking_id, sender, channel)] = rows(
        assistant.db_url, "select id, sender_id, channel from bookings where person_key = ?", key)
    assert (sender, channel) == (f"sms:{phone}", "twilio_sms")
    [(oriented_by, org_id, prescripteur)] = rows(
        assistant.db_url, "select oriented_by, organisation_id, prescripteur_first_name "
        "from referrals where booking_id = ?", booking_id)
    assert (oriented_by, org_id, prescripteur) == ("prescripteur", organisation_id, "Karim")
    [(method,)] = rows(assistant.db_url, "select consent_method from people where person_key = ?", key)
    assert method == f"prescripteur:{organisation_id}"
    # No code in any conversation's history.
    with sqlite3.connect(assistant.tracker_url.removeprefix("sqlite:///")) as connection:
        assert connection.execute("select count(*) from events where data like ?",
                                  (f"%{code}%",)).fetchone()[0] == 0

    # The person's SMS, at once (the scheduler's next turn).
    assert send_due(assistant).sent >= 1
    [sms] = assistant.twilio.wait_for(phone, 1)
    assert organisation in sms["body"] and "Répondez OUI" in sms["body"], sms["body"]
    # Their OUI is recorded as their own confirmation; the prescripteur is told on Telegram.
    SmsDriver(assistant.rasa_url, assistant.twilio).exchange(phone, "OUI", "confirmé")
    [(confirmed_at, confirmed_channel)] = rows(
        assistant.db_url, "select person_confirmed_at, person_confirmed_channel from referrals "
        "where booking_id = ?", booking_id)
    assert confirmed_at is not None and confirmed_channel == "twilio_sms"
    before = len(assistant.telegram.sent_to(chat))
    assert send_due(assistant).sent >= 1
    told = assistant.telegram.sent_to(chat)[before:]
    assert any("Fatou a confirmé par SMS" in m.get("text", "") for m in told), told
    listed = send(assistant, chat, message_update(chat, "mes orientations"), "Fatou")
    assert "confirmé par la personne" in telegram_text(listed)
    assert "Karim" in telegram_text(listed)

    # The person cancels by SMS, as if they had booked themselves.
    driver = SmsDriver(assistant.rasa_url, assistant.twilio)
    driver.exchange(phone, "ANNULER", "Que voulez-vous faire ?")
    driver.exchange(phone, "1", "C'est annulé")
    [(status,)] = rows(assistant.db_url, "select status from referrals where booking_id = ?", booking_id)
    assert status == "cancelled"
    listed = send(assistant, chat, message_update(chat, "mes orientations"), "Fatou")
    assert "annulé" in telegram_text(listed)


def test_wrong_and_revoked_codes_open_nothing_and_tries_are_limited(assistant):
    _, _, code = new_organisation(assistant, kind="CCAS", commune="Bondy")
    sender = f"e2e-{uuid.uuid4()}"
    assert "n'est pas reconnu" in texts(say(assistant, sender, "ABCDEFGH23"))
    opened = say(assistant, sender, code)
    assert "mode professionnel" in texts(opened) and "Quel est votre prénom ?" in texts(opened)
    revoke(assistant, code)
    assert "n'est pas reconnu" in texts(say(assistant, sender, code))
    # The session opened by a revoked code is over at the next answer.
    assert "session professionnelle est terminée" in texts(say(assistant, sender, "Karim"))

    guesser = f"e2e-{uuid.uuid4()}"
    _, _, good = new_organisation(assistant, kind="Mairie", commune="Montreuil")
    for _ in range(5):
        assert "n'est pas reconnu" in texts(say(assistant, guesser, "ZZZZZZZZ22"))
    # Past five wrong codes, even the right one is not checked for a while.
    assert "Trop de codes erronés" in texts(say(assistant, guesser, good))


def test_a_landline_gets_a_clear_answer_and_the_booking_can_go_on_without_sms(assistant):
    _, _, code = new_organisation(assistant, kind="Bailleur social", commune="Saint-Denis")
    sender = f"e2e-{uuid.uuid4()}"
    say(assistant, sender, code)
    say(assistant, sender, "Nadia")
    assert "numéro de mobile" in texts(say(assistant, sender, "oui"))
    landline = say(assistant, sender, "01 42 76 40 40")
    assert "n'est pas un mobile français" in texts(landline)
    assert [b["title"] for b in buttons(landline)] == ["Sans SMS"]
    assert "Quel appareil la personne a-t-elle ?" in texts(say(assistant, sender, "sans sms"))
    [(method,)] = rows(assistant.db_url, "select consent_method from people where consent_method "
                       "like 'prescripteur:%' order by consent_at desc limit 1")
    assert method.startswith("prescripteur:")


def test_mes_orientations_is_for_prescripteurs_only(assistant):
    sender = f"e2e-{uuid.uuid4()}"
    assert "réservée aux professionnels" in texts(say(assistant, sender, "mes orientations"))
