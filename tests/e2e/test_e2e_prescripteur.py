"""The prescripteur path end to end: a counter agent opens the mode with their organisation's
code (Telegram deep link, or typed in a chat), runs the diagnostic for the person, types the
person's mobile and books; the person gets the SMS (fake Twilio API), answers OUI, the
prescripteur is told on Telegram and sees it in "mes orientations"."""
from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from bot.funding import mark_absent
from bot.funding.actors import Actor
from bot.notifications.sender import send_due as send_due_at
from bot.pseudonyms import channel_identity, person_key
from scripts.sms_driver import SmsDriver
from tests.support.conversation import buttons, say, texts
from tests.support.databases import rows
from tests.support.fake_telegram import callback_update, message_update
from tests.support.prescripteurs import (THIRD_PERSON_PATH, new_mobile, new_organisation, revoke,
                                         send_due)
from tests.support.telegram import button_data, new_chat, send
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

def sms_key(assistant, phone: str) -> str:
    return person_key(channel_identity("twilio_sms", phone), assistant.secret)


def press(assistant, chat: int, messages: list[dict], title: str, expected: str) -> list[dict]:
    return send(assistant, chat, callback_update(chat, button_data(messages, title)), expected)


def telegram_text(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def book_at_the_counter(assistant, chat: int, code: str, phone: str, prescripteur: str,
                        person: str, opened_with: str = "/start {code}") -> list[dict]:
    """The whole counter path on Telegram, from the code to the booking for the person; the
    messages of the last turn."""
    opened = send(assistant, chat, message_update(chat, opened_with.format(code=code)),
                  "Quel est votre prénom ?")
    assert "mode professionnel" in telegram_text(opened)
    send(assistant, chat, message_update(chat, prescripteur), "La personne est-elle d'accord")
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
    booked = send(assistant, chat, message_update(chat, person), f"C'est réservé pour {person}")
    assert "reçoit un SMS" in telegram_text(booked)
    return booked


def test_a_prescripteur_books_for_a_person_on_telegram_and_the_person_confirms_by_sms(assistant):
    organisation_id, organisation, code = new_organisation(assistant)
    chat, phone = new_chat(), new_mobile()
    # The deep link t.me/<bot>?start=<code>.
    book_at_the_counter(assistant, chat, code, phone, "Karim", "Fatou")

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

    # The person's SMS, at once (the scheduler's next turn: ours, or the running scheduler's if
    # it came first), and only once.
    send_due(assistant)
    [sms] = assistant.twilio.wait_for(phone, 1)
    assert organisation in sms["body"] and "Répondez OUI" in sms["body"], sms["body"]
    # Their OUI is recorded as their own confirmation; the prescripteur is told on Telegram.
    before = len(assistant.telegram.sent_to(chat))
    SmsDriver(assistant.rasa_url, assistant.twilio).exchange(phone, "OUI", "confirmé")
    [(confirmed_at, confirmed_channel)] = rows(
        assistant.db_url, "select person_confirmed_at, person_confirmed_channel from referrals "
        "where booking_id = ?", booking_id)
    assert confirmed_at is not None and confirmed_channel == "twilio_sms"
    send_due(assistant)
    wait_until(lambda: any("Fatou a confirmé par SMS" in m.get("text", "")
                           for m in assistant.telegram.sent_to(chat)[before:]),
               what="the prescripteur told on Telegram")
    told = [m for m in assistant.telegram.sent_to(chat)[before:]
            if "Fatou a confirmé par SMS" in m.get("text", "")]
    assert len(told) == 1, told
    listed = send(assistant, chat, message_update(chat, "mes orientations"), "Fatou")
    assert "confirmé par la personne" in telegram_text(listed)
    assert "Karim" in telegram_text(listed)

    # The structure records the outcome (absent: unlike an accompaniment, it needs no funding
    # rule for the appointment's year): the prescripteur is told on Telegram.
    [(referral_id, place, start)] = rows(assistant.db_url, "select r.id, r.place_pk, b.start from "
                                         "referrals r join bookings b on b.id = r.booking_id "
                                         "where r.booking_id = ?", booking_id)
    after = datetime.fromisoformat(str(start)).replace(tzinfo=timezone.utc) + timedelta(hours=1)
    mark_absent(referral_id, actor=Actor("agent@saint-denis.example", "structure", place),
                now=after, url=assistant.db_url)
    before = len(assistant.telegram.sent_to(chat))
    send_due_at(now=after, url=assistant.db_url, rasa=assistant.rasa_url,
                token=assistant.env["NPT_RASA_TOKEN"])
    told = assistant.telegram.sent_to(chat)[before:]
    assert any("la personne n'est pas venue" in m.get("text", "") for m in told), told
    listed = send(assistant, chat, message_update(chat, "mes orientations"), "Fatou")
    assert "absente" in telegram_text(listed)
    # The next person: the first name is known for the session; consent, mobile and first name
    # are asked anew.
    again = send(assistant, chat, message_update(chat, "bonjour"), "La personne est-elle d'accord")
    assert "Bonjour Karim. Nous commençons avec une nouvelle personne" in telegram_text(again)
    send(assistant, chat, message_update(chat, "oui"), "numéro de mobile de la personne")


def test_the_person_cancels_by_sms_as_if_they_had_booked_themselves(assistant):
    _, _, code = new_organisation(assistant, kind="Mission locale", commune="Saint-Denis")
    chat, phone = new_chat(), new_mobile()
    # The code typed as a message this time.
    book_at_the_counter(assistant, chat, code, phone, "Inès", "Mamadou", opened_with="code {code}")
    send_due(assistant)
    assistant.twilio.wait_for(phone, 1)
    driver = SmsDriver(assistant.rasa_url, assistant.twilio)
    driver.exchange(phone, "ANNULER", "Que voulez-vous faire ?")
    driver.exchange(phone, "1", "C'est annulé")
    [(status, confirmed)] = rows(assistant.db_url, "select r.status, r.person_confirmed_at from "
                                 "referrals r join bookings b on b.id = r.booking_id where "
                                 "b.person_key = ?", sms_key(assistant, phone))
    assert status == "cancelled" and confirmed is None
    listed = send(assistant, chat, message_update(chat, "mes orientations"), "Mamadou")
    assert "annulé" in telegram_text(listed)
    # STOP by SMS: nothing more is sent to the person, not even the reminder.
    driver.exchange(phone, "STOP", "ne recevrez plus")
    [(opted_out,)] = rows(assistant.db_url, "select opted_out_at from people where person_key = ?",
                          sms_key(assistant, phone))
    assert opted_out is not None


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


def test_the_funnel_counts_a_conversation_once_and_each_person_at_a_counter(assistant):
    def starts(organisation_id=None) -> int:
        if organisation_id is None:
            return rows(assistant.db_url, "select count(*) from conversation_starts "
                        "where organisation_id is null")[0][0]
        return rows(assistant.db_url, "select count(*) from conversation_starts "
                    "where organisation_id = ?", organisation_id)[0][0]

    citizen = f"e2e-{uuid.uuid4()}"
    before = starts()
    for message in ("bonjour", "oui", "un smartphone"):
        say(assistant, citizen, message)
    assert starts() == before + 1
    organisation_id, _, code = new_organisation(assistant, kind="Mairie", commune="Bondy")
    counter = f"e2e-{uuid.uuid4()}"
    before = starts()
    say(assistant, counter, code)
    say(assistant, counter, "Karim")
    assert starts(organisation_id) == 1 and starts() == before  # the prescripteur is no person
    # The code again (another agent may have taken the counter's tablet): a new session, whose
    # prescripteur says their first name, and a new person.
    assert "Quel est votre prénom ?" in texts(say(assistant, counter, code))
    assert starts(organisation_id) == 2


def test_a_prescripteur_cancels_a_booking_of_their_organisation_and_the_person_is_told(assistant):
    _, organisation, code = new_organisation(assistant, kind="CCAS", commune="Saint-Denis")
    sender, phone = f"e2e-{uuid.uuid4()}", new_mobile()
    assert "Quel est votre prénom ?" in texts(say(assistant, sender, code))
    say(assistant, sender, "Sonia")
    answer, expected = THIRD_PERSON_PATH[0]
    assert expected in texts(say(assistant, sender, answer))
    assert "Quel appareil la personne" in texts(say(assistant, sender, phone))
    for answer, expected in THIRD_PERSON_PATH[1:]:
        assert expected in texts(say(assistant, sender, answer)), answer
    places = say(assistant, sender, "93200")
    number = next(b["payload"] for b in buttons(places) if "Saint-Denis" in b["title"])
    assert "rendez-vous libres" in texts(say(assistant, sender, number))
    assert "prénom de la personne" in texts(say(assistant, sender, "1"))
    assert "C'est réservé pour Awa" in texts(say(assistant, sender, "Awa"))
    send_due(assistant)
    assistant.twilio.wait_for(phone, 1)
    # Another prescripteur's organisation cannot see it: a citizen's "annuler" neither.
    stranger = f"e2e-{uuid.uuid4()}"
    assert "pas de rendez-vous" in texts(say(assistant, stranger, "annuler mon rendez-vous"))
    asked = texts(say(assistant, sender, "annuler un rendez-vous"))
    assert "Rendez-vous de Awa" in asked and "Que voulez-vous faire ?" in asked, asked
    assert "la personne est prévenue" in texts(say(assistant, sender, "1"))
    [(status, by)] = rows(assistant.db_url, "select status, cancelled_by from bookings "
                          "where person_key = ?", sms_key(assistant, phone))
    assert (status, by) == ("cancelled", "prescripteur")
    send_due(assistant)
    [_, told] = assistant.twilio.wait_for(phone, 2)
    assert f"{organisation} a annulé le rendez-vous pris pour vous" in told["body"], told["body"]
