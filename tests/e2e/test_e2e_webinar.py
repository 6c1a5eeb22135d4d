"""Webinars end to end with the running assistant: a commune agent registers on Telegram and
gets the invitation (by email through the loopback SMTP server, and as a link whose .ics the web
app serves); an elected official on SMS joins the waiting list of the full session; the agent
cancels by chat, the seat is offered by SMS at the scheduler's next turn, OUI takes it; STOP
silences the reminders; the cancellation link of the email works and asks before cancelling."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from icalendar import Calendar

from scripts.sms_driver import SmsDriver
from tests.support.databases import rows
from tests.support.fake_telegram import callback_update, message_update
from tests.support.prescripteurs import new_mobile
from tests.support.telegram import button_data, new_chat, send
from tests.support.webinars import new_webinar, send_webinars

pytestmark = pytest.mark.e2e


def text_of(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def press(assistant, chat: int, messages: list[dict], title: str, expected: str) -> list[dict]:
    return send(assistant, chat, callback_update(chat, button_data(messages, title)), expected)


def register_on_telegram(assistant, chat: int, title: str, email: str) -> list[dict]:
    listed = send(assistant, chat, message_update(chat, "je veux m'inscrire au webinaire"),
                  "Lequel vous intéresse ?")
    press(assistant, chat, listed, title, "votre prénom et votre nom")
    send(assistant, chat, message_update(chat, "Awa Diallo"), "adresse e-mail professionnelle")
    # A wrong address is asked again, kindly; the right one goes on.
    send(assistant, chat, message_update(chat, "awa.diallo@montreuil"), "ne semble pas valide")
    send(assistant, chat, message_update(chat, email), "Dans quelle commune")
    roles = send(assistant, chat, message_update(chat, "Montreul"), "Vous êtes")  # a typo
    confirm = press(assistant, chat, roles, "Agent", "C'est bien cela ?")
    assert "Commune : Montreuil" in text_of(confirm)
    return send(assistant, chat, message_update(chat, "oui"), "C'est fait")


def test_register_wait_cancel_and_a_freed_seat_taken_by_sms(assistant):
    webinar_id, title = new_webinar(assistant, capacity=1)
    chat, email = new_chat(), f"awa.{uuid.uuid4().hex[:6]}@ville-montreuil.fr"
    done = register_on_telegram(assistant, chat, title, email)
    said = text_of(done)
    assert title in said and "invitation" in said and "par e-mail" in said
    [(reg_id, status, commune, role, sender)] = rows(
        assistant.db_url, "select id, status, commune_insee, role, sender_id from "
        "webinar_registrations where email = ?", email)
    assert (status, commune, role, sender) == ("registered", "93048", "agent", f"tg:{chat}")
    # The invitation link of the chat: the web app serves the .ics, in Paris time.
    link = re.search(r"https?://\S+/invitation\.ics", said).group(0)
    answer = requests.get(link, timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(answer.content).walk("VEVENT")[0]
    assert str(event.decoded("dtstart").tzinfo) == "Europe/Paris"
    assert str(event["location"]) == "https://visio.example.org/npt-e2e"
    # The email, at the scheduler's turn, with the same invitation attached.
    send_webinars(assistant)
    [message] = assistant.smtp.wait_for(email, 1)
    assert message["Subject"] == f"Inscription confirmée : {title}"
    assert any(p.get_content_type() == "text/calendar" for p in message.iter_attachments())

    # An elected official on SMS: the session is full, the waiting list is offered.
    phone, sms = new_mobile(), SmsDriver(assistant.rasa_url, assistant.twilio)
    listing = "\n".join(sms.exchange(phone, "webinaire", "Lequel vous intéresse ?"))
    number = next(n for n, line in re.findall(r"(\d+) - ([^\n]+)", listing) if title in line)
    sms.exchange(phone, number, "complète")
    sms.exchange(phone, "la liste d'attente", "votre prénom et votre nom")
    sms.exchange(phone, "Karim Benali", "adresse e-mail")
    sms.exchange(phone, "karim.benali@bondy.fr", "Dans quelle commune")
    sms.exchange(phone, "93140", "Vous etes")  # in GSM-7, the SMS alphabet
    sms.exchange(phone, "élu", "liste d'attente du webinaire")
    sms.exchange(phone, "OUI", "vous etes sur la liste d'attente")

    # The agent cancels by chat: the seat is offered to the official at the scheduler's next
    # turn (this one, or the running scheduler's own, whichever comes first: never both).
    before = len(assistant.twilio.to(phone))
    send(assistant, chat, message_update(chat, "annuler mon inscription"), "C'est annulé")
    assert rows(assistant.db_url, "select status from webinar_registrations where id = ?",
                reg_id) == [("cancelled",)]
    send_webinars(assistant)
    [offer] = [m["body"] for m in assistant.twilio.wait_for(phone, before + 1)[before:]]
    assert "Une place s'est libérée" in offer and "Répondez OUI avant" in offer, offer
    taken = sms.exchange(phone, "OUI", "la place est à vous")
    assert any("invitation.ics" in text for text in taken)
    assert rows(assistant.db_url, "select status from webinar_registrations where email = ?",
                "karim.benali@bondy.fr") == [("registered",)]

    # STOP by SMS: the reminder of the day before is never sent to the official.
    sms.exchange(phone, "STOP", "")
    before = len(assistant.twilio.to(phone))
    [(start,)] = rows(assistant.db_url, "select start_at from webinar_sessions where id = ?",
                      webinar_id)
    start = datetime.fromisoformat(str(start)).replace(tzinfo=timezone.utc)
    report = send_webinars(assistant, now=start - timedelta(hours=23))  # the day's is due
    assert report.failed == 0
    statuses = rows(assistant.db_url, "select n.kind, n.medium, n.status from webinar_notices n "
                    "join webinar_registrations r on r.id = n.registration_id where r.email = ? "
                    "and n.kind = 'reminder_day'", "karim.benali@bondy.fr")
    assert ("reminder_day", "chat", "skipped_opt_out") in statuses, statuses
    assert len(assistant.twilio.to(phone)) == before


def test_the_email_links_cancel_only_after_asking(assistant):
    _, title = new_webinar(assistant, capacity=5)
    chat, email = new_chat(), f"ines.{uuid.uuid4().hex[:6]}@bondy.fr"
    register_on_telegram(assistant, chat, title, email)
    send_webinars(assistant)
    [message] = assistant.smtp.wait_for(email, 1)
    link = re.search(r"https?://\S+/annuler", message.get_body(("plain",)).get_content()).group(0)
    # Opening the link (a mail client's preview does) cancels nothing.
    page = requests.get(link, timeout=10)
    assert page.status_code == 200 and "Annuler mon inscription" in page.text
    assert rows(assistant.db_url, "select status from webinar_registrations where email = ?",
                email) == [("registered",)]
    done = requests.post(link, timeout=10)
    assert done.status_code == 200 and "C'est annulé" in done.text
    assert rows(assistant.db_url, "select status from webinar_registrations where email = ?",
                email) == [("cancelled",)]
    assert "déjà annulée" in requests.post(link, timeout=10).text
    # A made-up token reaches nothing.
    forged = link.rsplit("/", 2)[0] + "/" + "A" * 43 + "/annuler"
    assert requests.get(forged, timeout=10).status_code == 404
    assert requests.get(link.replace("/annuler", "/invitation.ics"), timeout=10).status_code == 410
