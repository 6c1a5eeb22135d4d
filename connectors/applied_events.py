"""Rasa works out a conversation's applied events (`DialogueStateTracker.applied_events`,
rasa 3.6.21: every event, without those undone by a revert, a restart, or a form's later turn)
from the first event on every call: several times per message (the session check twice, every
replay of the conversation, every form step), each time longer as the conversation grows,
with a form's step looking back through the events applied so far. Under `make bench`'s load
these calls measured as 6 % of Rasa's busy time, 13 % on a 200-turn conversation (issue 14).

`install()` makes each tracker keep the result of its last call, and continue it with the
events added since, the way Rasa's loop over the events would (the loop reads each event in
order, holding only the events applied so far). What Rasa's loop reads ahead is the names of
every form the conversation ever activates: when an event added since activates a form not
named before, or the events are not the ones the kept result was made from (another list,
fewer of them, a different event where the last one was), the applied events are worked out
from the first event again, as Rasa does. Each call returns a new list, as Rasa's does.

Called by scripts/rasa_server.py before Rasa starts; it refuses to run when `applied_events`
is not the one it was written for, so a Rasa upgrade looks at it again."""
from __future__ import annotations

import itertools
from typing import Any, Iterable, List

from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, Event,
                                     Restarted, SessionStarted, UserUttered,
                                     UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker

from connectors.rasa_checked import to_replace

# Where a tracker keeps its last result (in its own __dict__).
KEPT = "_npt_applied"
# The source of the method replaced, as in rasa 3.6.21: checked at install.
_EXPECTED = (
    "if isinstance(event, ActiveLoop) and event.name",
    "if isinstance(event, (Restarted, SessionStarted)):",
    "self._undo_till_previous(ActionExecuted, applied_events)",
    "self._undo_till_previous(UserUttered, applied_events)",
    "and not self._first_loop_execution_or_unhappy_path(",
    "self._undo_till_previous_loop_execution(",
)


class _Kept:
    __slots__ = ("events", "count", "last", "loop_names", "applied")

    def __init__(self, events: Any, count: int, last: Any, loop_names: frozenset,
                 applied: List[Event]) -> None:
        self.events, self.count, self.last = events, count, last
        self.loop_names, self.applied = loop_names, applied


def _loop_names(events: Iterable[Event]) -> frozenset:
    return frozenset(event.name for event in events
                     if isinstance(event, ActiveLoop) and event.name)


def _apply(tracker: DialogueStateTracker, applied: List[Event], events: Iterable[Event],
           loop_names: frozenset) -> List[Event]:
    """Rasa's loop of `applied_events` over `events`, from the events applied so far."""
    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied = []
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (isinstance(event, ActionExecuted) and event.action_name in loop_names
              and not tracker._first_loop_execution_or_unhappy_path(event.action_name,
                                                                     applied)):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
    return applied


def applied_events(self: DialogueStateTracker) -> List[Event]:
    """The events applied to the tracker, without reverted events (Rasa's answer)."""
    events = self.events
    count = len(events)
    kept = self.__dict__.get(KEPT)
    if (kept is not None and kept.events is events and kept.count <= count
            and (kept.count == 0 or events[kept.count - 1] is kept.last)):
        added = list(itertools.islice(events, kept.count, None))
        loop_names = kept.loop_names | _loop_names(added)
        if loop_names == kept.loop_names:
            applied = _apply(self, kept.applied, added, loop_names)
            self.__dict__[KEPT] = _Kept(events, count, events[-1] if count else None,
                                        loop_names, applied)
            return list(applied)
    loop_names = _loop_names(events)
    applied = _apply(self, [], events, loop_names)
    self.__dict__[KEPT] = _Kept(events, count, events[-1] if count else None, loop_names,
                                applied)
    return list(applied)


def install() -> None:
    original = to_replace(DialogueStateTracker, "applied_events", _EXPECTED,
                          "connectors/applied_events.py", "npt_kept")
    if original is None:
        return
    applied_events.npt_kept = True
    applied_events.npt_original = original
    DialogueStateTracker.applied_events = applied_events
