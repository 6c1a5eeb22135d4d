"""Rasa finds the class of every event it reads by its name (`Event.resolve_by_type`, rasa
3.6.21) by walking *all* the subclasses of `Event` and asking `inspect.isabstract` of each: for
every event of a conversation read from the tracker store, and for every event an action
returns. On a 200-turn conversation that walk measured as 19 % of Rasa's busy time (issue 14).

`install()` keeps the classes it has found by name, so that each name is walked once per
process. The answer is the same: event classes are never removed, a name not found yet is
looked up the original way (and so raises for an unknown name as before, or gives `default`),
and the original is kept for it. Called by scripts/rasa_server.py before Rasa starts; it refuses
to run against a `resolve_by_type` that is not the one it was written for."""
from __future__ import annotations

from typing import Dict, Optional, Type

from connectors.rasa_checked import to_replace

# The source of the method replaced, as in rasa 3.6.21: checked at install.
_EXPECTED = ("all_subclasses(Event)", "cls.type_name == type_name")


def install() -> None:
    from rasa.shared.core.events import Event

    original = to_replace(Event, "resolve_by_type", _EXPECTED, "connectors/event_types.py",
                          "npt_cached")
    if original is None:
        return
    found: Dict[str, Type[Event]] = {}

    def resolve_by_type(type_name: str,
                        default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
        cls = found.get(type_name)
        if cls is not None:
            return cls
        cls = original(type_name, default)
        # Only a class that really has this name is kept (not the caller's default).
        if cls is not None and getattr(cls, "type_name", None) == type_name:
            found[type_name] = cls
        return cls

    resolve_by_type.npt_cached = True
    resolve_by_type.npt_original = original
    Event.resolve_by_type = staticmethod(resolve_by_type)
