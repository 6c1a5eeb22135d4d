"""The reminder message, in short French (template in data/booking.yml, `reminder_text`)."""
from __future__ import annotations

from datetime import date, datetime

from bot.booking.rules import booking_rules
from bot.clock import say_slot
from bot.reminders.store import ReminderJob


def say_when(start: datetime, today: date) -> str:
    """"demain mardi 1er décembre à 10 h 30", said from the day the reminder is sent."""
    days = (start.date() - today).days
    when = say_slot(start)
    if days == 0:
        return f"aujourd'hui {when}"
    if days == 1:
        return f"demain {when}"
    return f"le {when}"


def _compose(template: str, first_name: str | None, start: datetime, place: str, address: str,
             reference: str, today: date) -> str:
    first_name = (first_name or "").strip()
    return template.format(greeting=f"Bonjour {first_name}" if first_name else "Bonjour",
                           when=say_when(start, today), place=place, address=address,
                           reference=reference)


def compose_reminder(first_name: str | None, start: datetime, place: str, address: str,
                     reference: str, today: date) -> str:
    """The reminder of an appointment at `start`, as said on `today`."""
    return _compose(booking_rules().reminder_text, first_name, start, place, address,
                    reference, today)


def compose_cancellation(first_name: str | None, start: datetime, place: str, address: str,
                         reference: str, today: date) -> str:
    """What the person reads when the structure cancelled their appointment at `start`."""
    return _compose(booking_rules().cancelled_by_structure_text, first_name, start, place,
                    address, reference, today)


def reminder_text(job: ReminderJob) -> str:
    return compose_reminder(job.first_name, job.start, job.place_name, job.address,
                            job.reference, job.claimed_at.date())
