"""The invitation by email: a real SMTP server on loopback receives the confirmation with its
.ics, which `icalendar` reads back (Europe/Paris, the visio link); a change of time sends the
invitation again with a higher SEQUENCE; a server that is down loses nothing (the notice waits
for the next turn); without NPT_SMTP_URL email is simply off."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from icalendar import Calendar

from bot.clock import PARIS
from bot.mailer import MailError, smtp_settings
from bot.webinars.notices import notices_of_registration
from bot.webinars.registrations import register
from bot.webinars.sender import send_due
from bot.webinars.sessions import create_session, edit_session
from tests.support.smtp import SmtpInbox

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)
START = datetime(2027, 1, 14, 10, 0, tzinfo=PARIS)
LINK = "https://visio.example.org/npt?room=janvier;2"
NO_RASA = "http://127.0.0.1:9"  # nothing listens: no chat notice is involved here


@pytest.fixture
def inbox(database, monkeypatch):
    server = SmtpInbox().start()
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    yield server
    server.stop()


def invitation_of(message) -> Calendar:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_content().encode() if isinstance(part.get_content(), str)
                              else part.get_content())


def test_the_confirmation_email_carries_an_invitation_in_paris_time_with_the_link(inbox):
    webinar = create_session("Présentation aux communes", START, 90, 10, LINK, actor="t", now=NOW)
    done = register(webinar.id, "Awa Diallo", "Awa.Diallo@Ville-Montreuil.fr", "Montreuil",
                    "agent", "cli", None, now=NOW)
    report = send_due(NOW, rasa=NO_RASA)
    assert (report.sent, report.failed) == (1, 0)
    [message] = inbox.wait_for("Awa.Diallo@ville-montreuil.fr", 1)
    assert message["Subject"] == "Inscription confirmée : Présentation aux communes"
    assert message["From"] == "Numérique pour Tous <webinaires@npt.example>"
    body = message.get_body(("plain",)).get_content()
    assert "jeudi 14 janvier à 10 h" in body and LINK in body
    assert f"/webinaires/{done.token}/annuler" in body
    event = invitation_of(message).walk("VEVENT")[0]
    start = event.decoded("dtstart")
    assert start == START and str(start.tzinfo) == "Europe/Paris"
    assert event["dtstart"].params["TZID"] == "Europe/Paris"
    assert event.decoded("dtend") - start == timedelta(minutes=90)
    assert str(event["location"]) == LINK and LINK in str(event["description"])
    assert invitation_of(message).walk("VTIMEZONE")  # the zone travels with the event

    # A new time: the invitation again, same UID, SEQUENCE 1, and the reminders moved.
    _, told = edit_session(webinar.id, "t", start="2027-01-15T14:30", now=NOW)
    assert told == 1
    send_due(NOW, rasa=NO_RASA)
    _, changed = inbox.wait_for("awa.diallo@ville-montreuil.fr", 2)
    assert changed["Subject"] == "Changement : Présentation aux communes"
    moved = invitation_of(changed).walk("VEVENT")[0]
    assert moved.decoded("dtstart") == datetime(2027, 1, 15, 14, 30, tzinfo=PARIS)
    assert (moved["uid"], moved["sequence"]) == (event["uid"], 1)

    # The reminders by email, the day before and the hour before.
    send_due(datetime(2027, 1, 14, 14, 31, tzinfo=PARIS), rasa=NO_RASA)
    send_due(datetime(2027, 1, 15, 13, 31, tzinfo=PARIS), rasa=NO_RASA)
    subjects = [m["Subject"] for m in inbox.to("awa.diallo@ville-montreuil.fr")]
    assert subjects[2:] == ["Rappel : Présentation aux communes, demain",
                            "Présentation aux communes commence dans une heure"]


def test_a_server_down_loses_nothing_and_the_message_goes_at_a_later_turn(inbox):
    webinar = create_session("Atelier", START, 60, 10, LINK, actor="t", now=NOW)
    done = register(webinar.id, "Karim B", "karim@bondy.fr", "Bondy", "elu", "cli", None, now=NOW)
    inbox.stop()
    report = send_due(NOW, rasa=NO_RASA)
    assert (report.sent, report.failed) == (0, 1) and "SMTP 127.0.0.1" in report.errors[0]
    [(kind, medium, status, due)] = [n for n in notices_of_registration(done.registration_id)
                                     if n[0] == "confirmed"]
    assert (status, due) == ("pending", NOW + timedelta(minutes=15))
    inbox.start()  # the same address, back up
    assert send_due(NOW + timedelta(minutes=14), rasa=NO_RASA).sent == 0  # not yet due
    assert send_due(NOW + timedelta(minutes=15), rasa=NO_RASA).sent == 1
    assert len(inbox.wait_for("karim@bondy.fr", 1)) == 1


def test_without_smtp_email_is_off_and_a_wrong_setting_is_named_without_its_secret(
        database, monkeypatch):
    monkeypatch.delenv("NPT_SMTP_URL", raising=False)
    assert smtp_settings() is None
    webinar = create_session("Atelier", START, 60, 10, LINK, actor="t", now=NOW)
    done = register(webinar.id, "Awa", "awa@bondy.fr", "Bondy", "agent", "telegram", "tg:1",
                    now=NOW)
    # No email notice at all; the chat ones are there.
    assert {medium for _, medium, _, _ in notices_of_registration(done.registration_id)} == {"chat"}
    monkeypatch.setenv("NPT_SMTP_URL", "ftp://user:s3cret@mail.example")
    with pytest.raises(MailError) as wrong:
        smtp_settings()
    assert "s3cret" not in str(wrong.value)
    monkeypatch.setenv("NPT_SMTP_URL", "smtps://npt%40x.fr:p%40ss@mail.example")
    settings = smtp_settings()
    assert (settings.user, settings.password, settings.port, settings.tls) == (
        "npt@x.fr", "p@ss", 465, True)
    assert "p@ss" not in repr(settings)
