"""Rasa's lookup of an event's class by name, kept once found: every name gives the class
Rasa's own walk gives, an unknown name is refused as before (or gives the default), and the
events of a conversation read back the same."""
from __future__ import annotations

import pytest
from rasa.shared.core.events import Event, SlotSet, UserUttered, deserialise_events
from rasa.shared.utils.common import all_subclasses

from connectors.event_types import install


def test_every_event_name_gives_the_class_rasa_gives():
    install()
    install()  # twice: the second does nothing
    original = Event.resolve_by_type.npt_original
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"slot", "user", "action", "bot", "session_started"} <= names
    for name in sorted(names):
        assert Event.resolve_by_type(name) is original(name)
        assert Event.resolve_by_type(name) is original(name)  # from what was kept


def test_an_unknown_name_is_refused_or_gives_the_default_every_time():
    install()
    for _ in range(2):
        with pytest.raises(ValueError):
            Event.resolve_by_type("no_such_event")
        assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    # The default given for an unknown name is not kept as that name's class.
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")


def test_events_read_back_the_same():
    install()
    events = [SlotSet("commune", "Ivry-sur-Seine"), UserUttered("bonjour", {"name": "greet"})]
    assert deserialise_events([event.as_dict() for event in events]) == events
