"""The person confirmed, by their own "OUI", the appointment a prescripteur booked for them: the
prescripteur is told in the conversation of their session (its text is
`person_confirmed_text` in data/notifications.yml). The confirmation's transaction adds it to
the outbox, due at once (bot/referrals/core.py)."""
from __future__ import annotations

from bot.notifications.notifier import Notifier

NOTIFIER = Notifier(kind="person_confirmed", intent="EXTERNAL_person_confirmed",
                    action="action_tell_person_confirmed", booking_status="booked",
                    template="person_confirmed_text", recipient="prescripteur")
