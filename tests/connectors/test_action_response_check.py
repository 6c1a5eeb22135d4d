"""Rasa's check of action server responses, with the schema compiled once: a well-formed
response passes, a malformed one is refused with Rasa's own message, exactly as `jsonschema.
validate` on Rasa's schema decides, and installing twice changes nothing."""
from __future__ import annotations

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
