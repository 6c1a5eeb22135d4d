"""The demo world of the booking tests: the real France Services directory and the demo partners
(data/partners/demo.yml) in a database, "now" fixed on Tuesday 1 December 2026, Europe/Paris, and
a booking made the way the assistant makes one.

Fixture: `demo` (the migrated database of conftest.py's `database`, prepared).
"""
from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.booking.bookings import book
from bot.booking.partners.load import load_partners
from bot.db.models import Place
from bot.db.session import session_scope
from bot.places import DEFAULT_SOURCE, seed_default_places

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)  # a Tuesday morning
DIAGNOSIS = {"level": "eloigne", "services": ["Aide aux démarches administratives"],
             "grid_version": "1", "diagnostic_id": None}
# Demo partners (ids of the France Services file) and what their agendas say.
PARIS_12 = "435"       # Mo-Th 10:00-13:00 and 14:00-17:45, Fr 10:00-12:15; 45 min, 1 seat
PARIS_11 = "3205"      # Mo-Fr 14:30-19:00 (45 min) and a Saturday workshop 09:30-11:30, 6 seats
SAINT_DENIS = "668"
BOBIGNY = "2883"       # Mo-Fr 09:00-12:00 and 13:00-17:00, 60 min
NOT_A_PARTNER = "436"  # Pimms Paris 15e: in the directory, not in the demo file


def at(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def place_pk(place_id: str, url: str | None = None) -> int:
    with session_scope(url) as session:
        return session.execute(select(Place.pk).where(Place.source == DEFAULT_SOURCE,
                                                      Place.id == place_id)).scalar_one()


def prepare(url: str) -> None:
    """The real directory and the demo partners, in the database of `url`."""
    seed_default_places(url)
    load_partners(url=url, now=NOW)


@pytest.fixture
def demo(database) -> str:
    prepare(database)
    return database


def book_for(person: str, place: int, start: datetime, now: datetime = NOW, **changes):
    values = dict(person_key=person, sender_id=f"+3361234{abs(hash(person)) % 10000:04d}",
                  channel="twilio_sms", place_pk=place, start=start, first_name="Awa",
                  diagnosis=DIAGNOSIS, now=now)
    values.update(changes)
    return book(**values)


def race(count: int, work) -> list:
    """Run work(i) in `count` threads released at once; the result or exception of each."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - collected for the assertions
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results
