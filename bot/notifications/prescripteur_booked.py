"""A prescripteur booked an appointment for a person with a mobile: the person is told by SMS at
once who oriented them, when and where, what to bring, and that "OUI" confirms and "ANNULER"
cancels (its text is `prescripteur_booked_text` in data/notifications.yml). The booking's
transaction adds it to the outbox, due at once (bot/booking/bookings.py)."""
from __future__ import annotations

from bot.notifications.notifier import Notifier

NOTIFIER = Notifier(kind="prescripteur_booked", intent="EXTERNAL_prescripteur_booked",
                    action="action_tell_prescripteur_booked", booking_status="booked",
                    template="prescripteur_booked_text")
