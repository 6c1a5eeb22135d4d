"""Webinars of the Métropole for commune staff and elected officials: the sessions
(`sessions.py`) and the registrations to them, with capacity held under a lock and a waiting
list (`registrations.py`); the attendee lists the organisers export (`attendees.py`)."""
