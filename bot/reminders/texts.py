"""The reminder message, in short French (template in data/booking.yml, `reminder_text`)."""
from __future__ import annotations

from bot.booking.calendar import say_date, say_time
from bot.booking.rules import booking_rules
from bot.reminders.store import ReminderJob


def say_when(job: ReminderJob) -> str:
    """"demain mardi 1er décembre à 10 h 30", said from the day the reminder is sent."""
    days = (job.start.date() - job.claimed_at.date()).days
    when = f"{say_date(job.start.date())} à {say_time(job.start)}"
    if days == 0:
        return f"aujourd'hui {when}"
    if days == 1:
        return f"demain {when}"
    return f"le {when}"


def reminder_text(job: ReminderJob) -> str:
    first_name = (job.first_name or "").strip()
    return booking_rules().reminder_text.format(
        greeting=f"Bonjour {first_name}" if first_name else "Bonjour", when=say_when(job),
        place=job.place_name, address=job.address, reference=job.reference)
