"""The calendar invitation of a registration: an iCalendar event (RFC 5545) made with
`icalendar`, in Europe/Paris with its VTIMEZONE, the visio link in its location, its URL and its
description. Its UID stays the same for a registration and its SEQUENCE grows with each change
of the session, so that a calendar replaces the event instead of adding a second one."""
from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event

from bot.clock import PARIS, now_paris

PRODID = "-//Métropole du Grand Paris//Numérique pour Tous//FR"


def invitation_ics(registration_id: int, title: str, start: datetime, minutes: int, link: str,
                   sequence: int = 0, description: str | None = None,
                   cancelled: bool = False, now: datetime | None = None) -> bytes:
    """The .ics file of one registration's event."""
    start = start.astimezone(PARIS)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"webinar-registration-{registration_id}@numerique-pour-tous")
    event.add("dtstamp", (now or now_paris()).astimezone(PARIS))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=minutes))
    event.add("summary", title)
    event.add("location", link)
    event.add("url", link)
    text = f"Lien de la visio : {link}"
    if description:
        text = f"{description}\n\n{text}"
    event.add("description", text)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
