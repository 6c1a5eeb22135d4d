"""From the diagnostic to a booked appointment, then cancel, move and the reminder, through the
running servers (REST channel), checked in the database."""
from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.conversation import (HAPPY_PATH, a_weekday_next_week, active,
                                        book_in_saint_denis, complete, key_of, say, texts)
from tests.support.databases import rows

pytestmark = pytest.mark.e2e


def test_a_person_goes_from_the_diagnostic_to_a_confirmed_booking(assistant):
    sender = f"e2e-{uuid.uuid4()}"
    confirmation = texts(book_in_saint_denis(assistant, sender))
    assert "C'est réservé, Fatima" in confirmation
    assert "Apportez" in confirmation and "ANNULER" in confirmation
    [(booking_id, reference, status, _)] = active(assistant, sender)
    assert status == "booked" and reference in confirmation
    [(referral_status, level, oriented_by)] = rows(
        assistant.db_url, "select status, level, oriented_by from referrals where booking_id = ?",
        booking_id)
    assert (referral_status, level, oriented_by) == ("booked", "eloigne", "assistant")


def test_outside_the_metropole_gets_the_national_helpline(assistant):
    sender = f"e2e-{uuid.uuid4()}"
    complete(assistant, sender, HAPPY_PATH)
    reply = texts(say(assistant, sender, "69001"))
    assert "n'est pas dans la Métropole du Grand Paris" in reply
    assert "01 70 772 372" in reply


def test_cancel_by_replying_frees_the_booking(assistant):
    sender = f"e2e-{uuid.uuid4()}"
    book_in_saint_denis(assistant, sender)
    asked = texts(say(assistant, sender, "je veux annuler mon rendez-vous"))
    assert "Vous avez rendez-vous le" in asked and "1 pour l'annuler" in asked, asked
    done = texts(say(assistant, sender, "1"))
    assert "C'est annulé" in done
    [(booking_id, _, status, _)] = active(assistant, sender)
    assert status == "cancelled"
    [(referral_status,)] = rows(assistant.db_url,
                                "select status from referrals where booking_id = ?", booking_id)
    assert referral_status == "cancelled"


def test_a_new_conversation_days_later_can_move_the_booking(assistant):
    sender = f"e2e-{uuid.uuid4()}"
    book_in_saint_denis(assistant, sender)
    [(_, reference, _, old_start)] = active(assistant, sender)
    # A new session: the conversation is restarted (as Rasa does after a session expires, here
    # through its HTTP API: a typed "/session_start" is only words), the person is the same.
    request = urllib.request.Request(
        f"{assistant.rasa_url}/conversations/rest:{sender}/execute?token="
        f"{assistant.env['NPT_RASA_TOKEN']}",
        data=json.dumps({"name": "action_session_start"}).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
    asked = texts(say(assistant, sender, "je voudrais déplacer mon rdv"))
    assert "rendez-vous libres" in asked or "Que voulez-vous faire" in asked, asked
    if "Que voulez-vous faire" in asked:
        asked = texts(say(assistant, sender, "2"))
    assert "Lequel vous convient" in asked, asked  # the free slots come with their question
    moved = texts(say(assistant, sender, "1"))
    assert "C'est déplacé" in moved and reference in moved, moved
    [(_, same_reference, status, new_start)] = active(assistant, sender)
    assert same_reference == reference and status == "booked" and new_start != old_start


def test_the_reminder_is_sent_once_through_the_reply_path_and_never_after_stop(assistant):
    from bot.notifications.sender import send_due

    sender, stopped = f"e2e-{uuid.uuid4()}", f"e2e-{uuid.uuid4()}"
    book_in_saint_denis(assistant, sender, "Karim", when=a_weekday_next_week())
    book_in_saint_denis(assistant, stopped, "Ines", when=a_weekday_next_week())
    say(assistant, stopped, "STOP")
    [(due_at,)] = rows(assistant.db_url, "select max(r.due_at) from reminders r join bookings b "
                       "on b.id = r.booking_id where b.person_key = ?", key_of(assistant, sender))
    later = datetime.fromisoformat(str(due_at)).replace(tzinfo=timezone.utc) + timedelta(minutes=1)
    token = assistant.env["NPT_RASA_TOKEN"]
    first = send_due(now=later, url=assistant.db_url, rasa=assistant.rasa_url,
                               token=token)
    second = send_due(now=later, url=assistant.db_url, rasa=assistant.rasa_url,
                                token=token)
    statuses = dict(rows(assistant.db_url,
                         "select b.first_name, r.status from reminders r join bookings b "
                         "on b.id = r.booking_id where b.person_key in (?, ?)",
                         key_of(assistant, sender), key_of(assistant, stopped)))
    assert statuses == {"Karim": "sent", "Ines": "skipped_opt_out"}, statuses
    assert first.sent == 1 and second.sent == 0  # Karim's once, never twice


def test_the_reminder_is_said_in_the_persons_conversation(assistant):
    """The pushed intent makes Rasa say the reminder, as a reply would be said."""
    from bot.notifications.rasa_push import push_intent

    sender = f"e2e-{uuid.uuid4()}"
    book_in_saint_denis(assistant, sender, "Lina")
    [(_, reference, _, _)] = active(assistant, sender)
    said = push_intent(f"rest:{sender}", "rest", "EXTERNAL_reminder", {"reference": reference},
                       url=assistant.rasa_url, token=assistant.env["NPT_RASA_TOKEN"])
    text = "\n".join(m.get("text", "") for m in said)
    assert "Lina" in text and "rappel" in text and reference in text, said


def test_rasa_api_refuses_a_push_without_the_token(assistant):
    request = urllib.request.Request(
        f"{assistant.rasa_url}/conversations/someone/trigger_intent?output_channel=rest",
        data=json.dumps({"name": "EXTERNAL_reminder", "entities": {}}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code in (401, 403)


def test_a_structure_cancelling_is_told_in_the_persons_conversation(assistant):
    """The structure cancels from the back-office: the seat is freed and the queued message is
    pushed through Rasa, said in the person's conversation, and sent once."""
    from bot.booking.staff import cancel_by_staff
    from bot.notifications.rasa_push import push_intent
    from bot.notifications.sender import send_due

    sender = f"e2e-{uuid.uuid4()}"
    book_in_saint_denis(assistant, sender, "Nadia")
    [(booking_id, reference, _, _)] = active(assistant, sender)
    cancel_by_staff(booking_id, by="structure", actor="agent@saint-denis.example",
                    url=assistant.db_url)
    [(status, kind)] = rows(assistant.db_url, "select status, kind from reminders where "
                            "booking_id = ? and kind = 'structure_cancelled'", booking_id)
    assert status == "pending"
    said = push_intent(f"rest:{sender}", "rest", "EXTERNAL_structure_cancelled", {"reference": reference},
                       url=assistant.rasa_url, token=assistant.env["NPT_RASA_TOKEN"])
    text = "\n".join(m.get("text", "") for m in said)
    assert "Nadia" in text and "a annulé votre rendez-vous" in text, said
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    token = assistant.env["NPT_RASA_TOKEN"]
    first = send_due(now=later, url=assistant.db_url, rasa=assistant.rasa_url, token=token)
    second = send_due(now=later, url=assistant.db_url, rasa=assistant.rasa_url, token=token)
    assert first.failed == 0 and second.sent == 0
    [(status,)] = rows(assistant.db_url, "select status from reminders where booking_id = ? "
                       "and kind = 'structure_cancelled'", booking_id)
    assert status == "sent"
    [(_, _, booking_status, _)] = active(assistant, sender)
    assert booking_status == "cancelled"
