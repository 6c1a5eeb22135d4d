"""A tracker's applied events, continued from its last answer (connectors/applied_events.py),
are Rasa's own answer after every event of every conversation of the rules and test stories,
and through undone turns, restarts, new sessions and forms activated late."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, BotUttered,
                                     Restarted, SessionStarted, SlotSet, UserUttered,
                                     UserUtteranceReverted)
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from connectors import applied_events

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def installed(monkeypatch):
    monkeypatch.setattr(DialogueStateTracker, "applied_events",
                        DialogueStateTracker.applied_events)  # restored after the test
    applied_events.install()
    applied_events.install()  # twice: the second does nothing
    assert DialogueStateTracker.applied_events.npt_kept
    return DialogueStateTracker.applied_events.npt_original


def same_events(ours, theirs) -> bool:
    return len(ours) == len(theirs) and all(a is b for a, b in zip(ours, theirs))


def grown_one_event_at_a_time(original, events, slots):
    """Adds the events one by one, comparing with Rasa's answer after each; the number of
    answers continued from the kept one."""
    tracker = DialogueStateTracker("grown", slots)
    continued = 0
    for event in events:
        tracker.update(event)
        kept = tracker.__dict__.get(applied_events.KEPT)
        ours = tracker.applied_events()
        assert same_events(ours, original(tracker)), (event, len(tracker.events))
        continued += kept is not None and tracker.__dict__[applied_events.KEPT] is not kept \
            and kept.applied is tracker.__dict__[applied_events.KEPT].applied
    return continued


def test_every_step_of_every_conversation_is_rasas(installed):
    original = installed
    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_DIR / "config.yml"), str(PROJECT_DIR / "domain.yml"),
        [str(PROJECT_DIR / "data" / "rules"), str(PROJECT_DIR / "tests" / "stories")])
    stories = TrainingDataGenerator(importer.get_stories(), importer.get_domain(),
                                    augmentation_factor=0).generate()
    slots = importer.get_domain().slots
    steps = continued = 0
    for story in stories:
        continued += grown_one_event_at_a_time(original, list(story.events), slots)
        steps += len(story.events)
    assert steps > 2000, steps
    # Most answers were continued, not worked out from the first event again.
    assert continued * 2 > steps, (continued, steps)


def test_undone_turns_restarts_sessions_and_a_late_form_are_rasas(installed):
    original = installed
    form = "diagnostic_form"
    events = [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        UserUttered("bonjour"), ActionExecuted("utter_greet"), BotUttered("Bonjour"),
        ActionExecuted("action_listen"), UserUttered("un rendez-vous"),
        # a form runs twice before it is activated: Rasa, reading ahead, undoes the first
        ActionExecuted(form), ActionExecuted("action_listen"), UserUttered("oui"),
        ActionExecuted(form), ActiveLoop(form), SlotSet("requested_slot", "q1"),
        ActionExecuted("action_listen"), UserUttered("oui"), ActionExecuted(form),
        SlotSet("q1", "oui"), ActionExecuted("action_listen"), UserUttered("non"),
        ActionExecuted(form), ActionExecuted("action_listen"), UserUttered("euh"),
        UserUtteranceReverted(), ActionExecuted("utter_ask_again"), ActionReverted(),
        ActionExecuted("action_listen"), UserUttered("c'est gratuit ?"),
        ActionExecuted("utter_free"), ActionExecuted(form), ActiveLoop(None),
        ActionExecuted("action_listen"), UserUttered("recommencer"), Restarted(),
        ActionExecuted("action_listen"), UserUttered("bonjour"), SessionStarted(),
        ActionExecuted("action_listen"), UserUttered("salut"), ActionExecuted("webinar_form"),
        ActiveLoop("webinar_form"), ActionExecuted("action_listen"), UserUttered("oui"),
        ActionExecuted("webinar_form"), ActionExecuted("action_listen"),
    ]
    slots = Domain.load(str(PROJECT_DIR / "domain.yml")).slots
    grown_one_event_at_a_time(original, events, slots)


def test_another_list_of_events_fewer_events_or_another_last_one_start_again(installed):
    original = installed
    tracker = DialogueStateTracker("changed", [])
    for event in (ActionExecuted("action_listen"), UserUttered("bonjour"),
                  ActionExecuted("utter_greet"), ActionExecuted("action_listen")):
        tracker.update(event)
    tracker.applied_events()
    tracker.events.pop()  # fewer events
    assert same_events(tracker.applied_events(), original(tracker))
    tracker.events.pop()
    tracker.events.append(ActionExecuted("utter_other"))  # as many, another last one
    assert same_events(tracker.applied_events(), original(tracker))
    tracker._reset()  # another list
    tracker.update(ActionExecuted("action_listen"))
    assert same_events(tracker.applied_events(), original(tracker))


def test_each_call_returns_its_own_list(installed):
    tracker = DialogueStateTracker("own", [])
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("bonjour"))
    first = tracker.applied_events()
    first.clear()
    assert len(tracker.applied_events()) == 2


def test_not_installed_over_another_method(monkeypatch):
    def other(self):
        return []

    monkeypatch.setattr(DialogueStateTracker, "applied_events", other)
    with pytest.raises(RuntimeError, match="check connectors/applied_events.py"):
        applied_events.install()
    assert DialogueStateTracker.applied_events is other
