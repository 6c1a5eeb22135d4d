"""The structure recorded the outcome of an appointment a prescripteur booked (accompanied, or
absent): the prescripteur is told in the conversation of their session (its text is
`referral_outcome_text` in data/notifications.yml, the outcome's words `outcome_words`). The
marking's transaction adds it to the outbox, due at once (bot/funding/marking.py); it is said
after the appointment, unlike the others."""
from __future__ import annotations

from bot.notifications.notifier import Notifier

NOTIFIER = Notifier(kind="referral_outcome", intent="EXTERNAL_referral_outcome",
                    action="action_tell_referral_outcome", booking_status="booked",
                    template="referral_outcome_text", recipient="prescripteur", after_start=True)
