"""The structure cancelled the appointment (back-office): the person is told at once (its text
is `cancelled_by_structure_text` in data/notifications.yml). The cancellation's transaction adds it to
the outbox, due at once (bot/booking/bookings.py)."""
from __future__ import annotations

from bot.notifications.notifier import Notifier

NOTIFIER = Notifier(kind="structure_cancelled", intent="EXTERNAL_structure_cancelled",
                    action="action_tell_structure_cancelled", booking_status="cancelled",
                    template="cancelled_by_structure_text")
