"""The prescripteur who booked an appointment for a person cancelled it (at the counter, by
"annuler"): the person is told at once (its text is `cancelled_by_prescripteur_text` in
data/notifications.yml). The cancellation's transaction adds it to the outbox
(bot/booking/bookings.py)."""
from __future__ import annotations

from bot.notifications.notifier import Notifier

NOTIFIER = Notifier(kind="prescripteur_cancelled", intent="EXTERNAL_prescripteur_cancelled",
                    action="action_tell_prescripteur_cancelled", booking_status="cancelled",
                    template="cancelled_by_prescripteur_text")
