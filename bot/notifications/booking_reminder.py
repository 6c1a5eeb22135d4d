"""The reminder of an appointment, the day before (`reminder_days_before` days before, at
`reminder_hour`, Europe/Paris; its text is `reminder_text`: data/notifications.yml). The
booking's transaction adds it to the outbox (bot/booking/bookings.py) when `due_time` is still
ahead."""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import local
from bot.notifications.notifier import Notifier
from bot.notifications.rules import NotificationRules

NOTIFIER = Notifier(kind="reminder", intent="EXTERNAL_reminder", action="action_send_reminder",
                    booking_status="booked", template="reminder_text")


def due_time(start: datetime, rules: NotificationRules) -> datetime:
    """When the reminder of an appointment at `start` (aware) is due: `reminder_days_before`
    days before, at `reminder_hour`, Europe/Paris."""
    return local(start.date() - timedelta(days=rules.reminder_days_before), rules.reminder_hour)
