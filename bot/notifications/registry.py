"""Every notifier, by kind: the outbox, the sender and the actions look a row's kind up here."""
from __future__ import annotations

from bot.notifications import (booking_reminder, person_confirmed, prescripteur_booked,
                               prescripteur_cancelled, referral_outcome, structure_cancelled)
from bot.notifications.notifier import Notifier

NOTIFIERS: dict[str, Notifier] = {module.NOTIFIER.kind: module.NOTIFIER
                                  for module in (booking_reminder, structure_cancelled,
                                              prescripteur_booked, person_confirmed,
                                              referral_outcome, prescripteur_cancelled)}


def notifier(kind: str) -> Notifier:
    """The notifier of `kind`; KeyError for a kind nobody defined (a programming error)."""
    return NOTIFIERS[kind]


def compose_for(job) -> str:
    """The text of a claimed outbox row (`outbox.NotificationJob`), said from its claim's day."""
    return notifier(job.kind).compose(job.first_name, job.start, job.place_name, job.address,
                                      job.reference, job.claimed_at.date())
