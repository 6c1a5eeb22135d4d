"""Reminders of bookings: durable rows, claimed atomically by the sender, never sent twice.

The sender (a scheduled `npt reminders send`, or a loop) does:

    for job in claim_due(now):
        try:
            send(job.channel, job.sender_id, reminder_text(job))
        except MaybeSent as error:  # no answer after the request went out
            mark_uncertain(job.reminder_id, str(error), now)  # never retried automatically
        except Exception as error:
            mark_failed(job.reminder_id, str(error), now)  # certainly not sent: retried
        else:
            mark_sent(job.reminder_id, now)
"""
import bot.booking  # noqa: F401  (first: bot.booking writes reminders inside its transactions)
from bot.reminders.store import (ReminderJob, ReminderRecord, ReminderStatus, claim_due,
                                 due_reminders, mark_failed, mark_sent, mark_uncertain,
                                 reminder_counts, reminders_of_booking)
from bot.reminders.texts import compose_cancellation, compose_reminder, reminder_text

__all__ = ["ReminderJob", "ReminderRecord", "ReminderStatus", "claim_due", "due_reminders",
           "compose_cancellation", "compose_reminder", "mark_failed", "mark_sent", "mark_uncertain",
           "reminder_counts", "reminder_text", "reminders_of_booking"]
