"""What a notifier is: one event the assistant tells a person about on its own.

A notifier names its kind (stored on the outbox row), the external intent and the Rasa action
that say it in the person's conversation (actions/notifications.py), the status the booking must
still have for it to be said, and the template of its text (a field of data/notifications.yml).
Adding an event is one small module defining a `Notifier`, one text in the data, one line in
bot/notifications/registry.py, its intent and action in domain.yml, and an `outbox.add` in the
transaction of the event that causes it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import say_slot
from bot.notifications.rules import notification_rules


def say_when(start: datetime, today: date) -> str:
    """"demain mardi 1er décembre à 10 h 30", said from the day the message is sent."""
    days = (start.date() - today).days
    when = say_slot(start)
    if days == 0:
        return f"aujourd'hui {when}"
    if days == 1:
        return f"demain {when}"
    return f"le {when}"


@dataclass(frozen=True)
class Notifier:
    kind: str  # stored in the outbox row
    intent: str  # the external intent pushed into the person's conversation
    action: str  # the action that says it (actions/notifications.py)
    booking_status: str  # said only while the booking has this status
    template: str  # the field of data/notifications.yml holding its text
    # Who is told: the person of the booking (its conversation), or the prescripteur who made
    # it (the conversation of their session, bot/prescripteurs/sessions.py).
    recipient: str = "person"
    # Said even once the appointment has begun (an outcome is recorded after it).
    after_start: bool = False

    def compose(self, first_name: str | None, start: datetime, place: str, address: str,
                reference: str, today: date, organisation: str = "", bring: str = "",
                outcome: str = "") -> str:
        """The text about an appointment at `start`, as said on `today`."""
        first_name = (first_name or "").strip()
        return getattr(notification_rules(), self.template).format(
            greeting=f"Bonjour {first_name}" if first_name else "Bonjour",
            first_name=first_name or "La personne",
            when=say_when(start, today), place=place, address=address, reference=reference,
            organisation=organisation, bring=bring, outcome=outcome)
