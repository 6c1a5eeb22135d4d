"""Rasa's check of action server responses, with the schema compiled once: a well-formed
response passes, a malformed one is refused with Rasa's own message, exactly as `jsonschema.
validate` on Rasa's schema decides, and installing twice changes nothing."""
from __future__ import annotations

from datetime import datetime

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from connectors.action_response_check import install

GOOD = {"events": [{"event": "slot", "name": "consent", "value": "1"}],
        "responses": [{"text": "Bonjour", "buttons": []}]}
BAD = [{"events": "not a list"}, {"events": [{"event": 3}]}, {"responses": ["text"]},
       {"events": [{"event": "slot", "timestamp": "yesterday"}]}, ["not", "an", "object"]]


def rasa_decides(response) -> str | None:
    """What rasa's own code (jsonschema.validate on its schema) says: None, or the message."""
    try:
        validate(response, RemoteAction.action_response_format_spec())
        return None
    except ValidationError as error:
        return error.message


def test_the_malformed_examples_are_malformed_for_rasa_itself():
    assert rasa_decides(GOOD) is None
    assert all(rasa_decides(response) is not None for response in BAD)


@pytest.mark.parametrize("response", [GOOD, *BAD])
def test_responses_are_judged_as_rasa_judges_them(response):
    install()
    install()  # twice: the second does nothing
    action = RemoteAction("action_test", None)
    expected = rasa_decides(response)
    if expected is None:
        assert action._validate_action_result(response) is True
        return
    with pytest.raises(ValidationError) as refused:
        action._validate_action_result(response)
    assert refused.value.message.startswith(expected)
    assert "Failed to validate Action server response from API" in refused.value.message


def event_examples() -> list[dict]:
    """One event of each kind as Rasa writes it, from a conversation's real events."""
    from rasa.shared.core import events as e

    return [event.as_dict() for event in [
        e.UserUttered("bonjour", {"name": "greet", "confidence": 0.9},
                      parse_data={"text": "bonjour", "intent": {"name": "greet"},
                                  "intent_ranking": [{"name": "greet", "confidence": 0.9}],
                                  "entities": []}),
        e.BotUttered("Bonjour", {"buttons": [{"title": "Oui", "payload": "/affirm"}]}),
        e.SlotSet("consent", "1"), e.ActionExecuted("action_listen", policy="RulePolicy",
                                                    confidence=1.0),
        e.ActiveLoop("diagnostic_form"), e.ActiveLoop(None), e.AllSlotsReset(),
        e.SessionStarted(), e.Restarted(), e.UserUtteranceReverted(), e.ActionReverted(),
        e.FollowupAction("diagnostic_form"), e.ConversationPaused(), e.ConversationResumed(),
        e.ReminderScheduled("EXTERNAL_reminder", datetime(2026, 12, 7, 9, 0), name="r1"),
        e.ReminderCancelled(name="r1"), e.LoopInterrupted(True),
        e.ActionExecutionRejected("diagnostic_form"), e.EntitiesAdded([]),
        e.AgentUttered("x"), e.DefinePrevUserUtteredFeaturization(False),
    ]]


def spoiled(event: dict) -> list:
    """The event made wrong in every way one field can be."""
    wrong = [None, 3, "text", [], {}, True, 1.5]
    variants: list = [{k: v for k, v in event.items() if k != "event"},
                      {**event, "event": "no_such_event"}, "not an object", None]
    for key in event:
        variants += [{**event, key: value} for value in wrong]
    return variants


def test_the_eventwise_check_decides_as_the_whole_schema_on_every_kind_of_event():
    from connectors.action_response_check import compiled_validator, eventwise_check

    full = compiled_validator()
    fast = eventwise_check(full)
    assert fast is not None  # rasa 3.6's schema has one subschema per event name
    responses = [GOOD, *BAD, {}, {"events": []}, {"events": None}]
    examples = event_examples()
    assert len({event["event"] for event in examples}) >= 20
    for event in examples:
        responses.append({"events": [event]})
        responses += [{"events": [event, other]} for other in spoiled(event)]
    judged = [(fast.is_valid(response), full.is_valid(response)) for response in responses]
    assert [i for i, (ours, theirs) in enumerate(judged) if ours != theirs] == []
    # Both valid and refused responses were among them, many of each.
    assert sum(theirs for _, theirs in judged) > 20
    assert sum(not theirs for _, theirs in judged) > 200
