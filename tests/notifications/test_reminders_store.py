"""Reminders: due the evening before, claimed once, retried on failure, never sent after STOP,
after a cancellation or once the appointment has begun; a restart loses none."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bot.booking.bookings import cancel, forget_contact, move
from bot.people.privacy import record_opt_out
from bot.people.privacy import clear_opt_out
from bot.notifications.outbox import (NotificationStatus, claim_due, counts_by_status, mark_failed,
                                     mark_sent, mark_uncertain, notifications_of_booking)
from bot.notifications.registry import compose_for
from tests.support.booking import BOBIGNY, NOW, PARIS_12, at, book_for, place_pk

# GSM 03.38 basic character set: an SMS made only of these stays at 160 characters a segment.
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
EVENING_BEFORE = at(2, 18)  # the reminder of an appointment on Thursday 3 December


def status_of(booking_id: int) -> list[NotificationStatus]:
    return [r.status for r in notifications_of_booking(booking_id)]


def test_a_reminder_is_claimed_when_due_once_and_marked_sent(demo):
    booking = book_for("p1", place_pk(PARIS_12), at(3, 10), first_name="Awa", sender_id="+33612345678")
    assert claim_due(EVENING_BEFORE - timedelta(minutes=1)) == []
    [job] = claim_due(EVENING_BEFORE)
    assert (job.reference, job.first_name, job.channel, job.sender_id, job.person_key) == (
        booking.reference, "Awa", "twilio_sms", "+33612345678", "p1")
    assert (job.place_name, job.address, job.start, job.attempt) == (
        booking.place_name, "181 Avenue Daumesnil, 75012 Paris 12e", at(3, 10), 1)
    assert claim_due(EVENING_BEFORE + timedelta(minutes=5)) == []  # claimed: not handed out again
    assert job.id == job.reminder_id
    assert mark_sent(job.reminder_id, EVENING_BEFORE)
    assert not mark_sent(job.reminder_id, EVENING_BEFORE)  # once
    assert claim_due(at(3, 9)) == []
    assert status_of(booking.id) == [NotificationStatus.SENT]


def test_the_reminder_text_is_short_french_in_gsm7(demo):
    book_for("p2", place_pk(PARIS_12), at(3, 10), first_name="Awa")
    [job] = claim_due(EVENING_BEFORE)
    message = compose_for(job)
    assert message.startswith("Bonjour Awa, rappel de votre rendez-vous demain jeudi 3 décembre à 10 h :")
    assert "France services Pimms Médiation Paris 12ème - Sud-Est, 181 Avenue Daumesnil, 75012 Paris 12e" in message
    assert f"Référence {job.reference}." in message and "répondez à ce message" in message
    assert set(message) <= GSM7, set(message) - GSM7
    assert len(message) <= 2 * 153
    late = replace(job, claimed_at=at(3, 8), first_name="")
    assert compose_for(late).startswith("Bonjour, rappel de votre rendez-vous aujourd'hui jeudi 3 décembre à 10 h")


def test_concurrent_senders_never_get_the_same_reminder(demo):
    bobigny, paris_12 = place_pk(BOBIGNY), place_pk(PARIS_12)
    appointments = ([(bobigny, at(3, hour)) for hour in (9, 10, 11, 13, 14, 15, 16)]
                    + [(paris_12, at(3, 10, minute)) for minute in (0, 45)] + [(paris_12, at(3, 11, 30))])
    for n, (pk, start) in enumerate(appointments):
        book_for(f"crowd-{n}", pk, start)
    claimed: list = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def sender() -> None:
        barrier.wait()
        for _ in range(3):
            jobs = claim_due(EVENING_BEFORE + timedelta(minutes=30), limit=3)
            with lock:
                claimed.extend(job.reminder_id for job in jobs)

    threads = [threading.Thread(target=sender) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(claimed) == len(set(claimed)) == 10
    assert counts_by_status() == {"sending": 10}


def test_no_reminder_after_stop_and_none_for_a_cancelled_booking(demo):
    pk = place_pk(PARIS_12)
    stopped = book_for("stopper", pk, at(3, 10))
    cancelled = book_for("canceller", pk, at(3, 10, 45))
    record_opt_out("stopper")
    cancel(cancelled.id, person_key="canceller", now=NOW)
    assert claim_due(EVENING_BEFORE) == []
    assert status_of(stopped.id) == [NotificationStatus.SKIPPED_OPT_OUT]
    assert status_of(cancelled.id) == [NotificationStatus.CANCELLED]
    clear_opt_out("stopper")  # START later: the skipped reminder stays skipped
    assert claim_due(EVENING_BEFORE + timedelta(hours=1)) == []


def test_a_failed_send_is_retried_then_given_up_after_three_attempts(demo):
    booking = book_for("unlucky", place_pk(PARIS_12), at(3, 10))
    now = EVENING_BEFORE
    for attempt in (1, 2, 3):
        [job] = claim_due(now)
        assert job.attempt == attempt
        status = mark_failed(job.reminder_id, f"provider error {attempt}", now)
        assert status == (NotificationStatus.PENDING if attempt < 3 else NotificationStatus.FAILED)
        assert claim_due(now + timedelta(minutes=1)) == []  # not before the retry delay
        now += timedelta(minutes=15)
    assert claim_due(now + timedelta(hours=1)) == []
    [record] = notifications_of_booking(booking.id)
    assert (record.status, record.attempts, record.last_error) == (NotificationStatus.FAILED, 3, "provider error 3")
    assert mark_failed(record.id, "again", now) is None and not mark_sent(record.id, now)


def test_a_reminder_that_may_have_gone_out_is_never_handed_out_again(demo):
    booking = book_for("maybe", place_pk(PARIS_12), at(3, 10))
    [job] = claim_due(EVENING_BEFORE)
    assert mark_uncertain(job.reminder_id, "no answer within 30 s", EVENING_BEFORE)
    assert not mark_uncertain(job.reminder_id, "again", EVENING_BEFORE)
    for later in (timedelta(minutes=16), timedelta(minutes=45), timedelta(hours=3)):
        assert claim_due(EVENING_BEFORE + later) == []
    assert mark_failed(job.reminder_id, "late", EVENING_BEFORE) is None
    assert not mark_sent(job.reminder_id, EVENING_BEFORE)
    [record] = notifications_of_booking(booking.id)
    assert (record.status, record.attempts, record.last_error) == (
        NotificationStatus.UNCERTAIN, 1, "no answer within 30 s")
    assert counts_by_status() == {"uncertain": 1}


def test_a_claim_abandoned_by_a_dead_sender_is_handed_out_again(demo):
    booking = book_for("orphan", place_pk(PARIS_12), at(3, 10))
    [job] = claim_due(EVENING_BEFORE)
    assert claim_due(EVENING_BEFORE + timedelta(minutes=9)) == []
    [again] = claim_due(EVENING_BEFORE + timedelta(minutes=11))
    assert (again.reminder_id, again.attempt) == (job.reminder_id, 2)
    assert mark_sent(again.reminder_id, EVENING_BEFORE + timedelta(minutes=12))
    assert status_of(booking.id) == [NotificationStatus.SENT]


def test_a_reminder_is_not_sent_once_the_appointment_has_begun(demo):
    booking = book_for("asleep", place_pk(PARIS_12), at(3, 10))
    assert claim_due(at(3, 10, 1)) == []  # the sender was down all night
    assert status_of(booking.id) == [NotificationStatus.EXPIRED]


def test_moving_reschedules_and_erasure_cancels_the_reminder(demo):
    pk = place_pk(PARIS_12)
    booking = book_for("mover", pk, at(3, 10))
    move(booking.id, person_key="mover", new_start=at(8, 10), now=NOW)
    assert claim_due(EVENING_BEFORE) == []
    [job] = claim_due(at(7, 18))
    assert job.start == at(8, 10) and job.reference == booking.reference
    other = book_for("forgotten", pk, at(3, 10))
    forget_contact("forgotten")
    assert claim_due(EVENING_BEFORE) == [] and status_of(other.id) == [NotificationStatus.CANCELLED]


def test_a_restart_loses_no_reminder(demo):
    """Reminders are rows: another process, started later, finds and claims them."""
    booking = book_for("durable", place_pk(PARIS_12), at(3, 10))
    script = ("from datetime import datetime; from zoneinfo import ZoneInfo; "
              "from bot.notifications.outbox import claim_due; "
              "jobs = claim_due(datetime(2026, 12, 2, 18, 0, tzinfo=ZoneInfo('Europe/Paris'))); "
              "print([job.reference for job in jobs])")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NPT_DATABASE_URL": demo}, cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"['{booking.reference}']"
    assert status_of(booking.id) == [NotificationStatus.SENDING]


def test_a_structure_cancelling_queues_one_message_to_the_person_not_after_stop(demo):
    from bot.booking.staff import cancel_by_staff
    from bot.notifications.structure_cancelled import NOTIFIER as STRUCTURE_CANCELLED

    told = book_for("p-told", place_pk(PARIS_12), at(3, 10), first_name="Awa",
                    sender_id="+33612345678")
    stopped = book_for("p-stopped", place_pk(BOBIGNY), at(3, 10), first_name="Ali",
                       sender_id="+33612345679")
    record_opt_out("p-stopped")
    cancel_by_staff(told.id, by="structure", actor="agent@paris12.example", now=at(1, 10))
    cancel_by_staff(stopped.id, by="admin", actor="admin@metropole.example", now=at(1, 10))
    # The day-before reminders are cancelled; the message about the cancellation is due at once.
    jobs = claim_due(at(1, 10, 1))
    assert [(job.reference, job.kind, job.first_name) for job in jobs] == [
        (told.reference, "structure_cancelled", "Awa")]
    assert sorted(status_of(told.id)) == [NotificationStatus.CANCELLED, NotificationStatus.SENDING]
    assert sorted(status_of(stopped.id)) == [NotificationStatus.CANCELLED,
                                             NotificationStatus.SKIPPED_OPT_OUT]
    assert claim_due(at(1, 10, 5)) == []  # claimed once
    text = STRUCTURE_CANCELLED.compose("Awa", at(3, 10), told.place_name, told.address,
                                told.reference, at(1, 10).date())
    assert text.startswith("Bonjour Awa, ") and "a annulé votre rendez-vous le jeudi 3 décembre" in text
    assert set(text) <= GSM7, set(text) - GSM7
    # A person cancelling themselves gets no such message.
    own = book_for("p-own", place_pk(PARIS_12), at(3, 11, 30), sender_id="+33612345670")
    cancel(own.id, person_key="p-own", now=at(1, 10))
    assert claim_due(at(1, 10, 6)) == []
