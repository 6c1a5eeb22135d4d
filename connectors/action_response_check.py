"""Rasa checks every action server response against a JSON schema before it uses it
(`RemoteAction._validate_action_result`, rasa 3.6.21). It calls `jsonschema.validate`, which
first checks the *schema itself* against its meta-schema and builds a new validator: on every
action call, about 20 ms of CPU that measured as 61 % of Rasa's busy time under a diagnostic
load (issue 14). The response is checked exactly as before, by the same schema and the same
jsonschema rules (`best_match` of the errors, the same message added), with a validator built
once per process.

The schema's events are a `oneOf` over 23 event types, each told by a distinct constant
`event` name: jsonschema tries all 23 on every event (the rest of the check's cost, 7 % of
Rasa's busy time in the bench's profile). An event matches `oneOf` exactly when it matches the
one subschema of its own name, so `EventwiseCheck` checks each event against that subschema
only, with validators built from the same schema. Only a response it finds valid passes without
the full check; any other is judged by the full validator, which gives the error. When the
schema is not shaped that way (another Rasa), only the full validator is used.

`install()` is called by scripts/rasa_server.py before Rasa starts; it replaces the one method,
and refuses to run when the method it replaces is not the one it was written for (a Rasa
upgrade must look at this again), so nothing changes silently."""
from __future__ import annotations

from typing import Any, Dict

from connectors.rasa_checked import to_replace

# The source of the method replaced, as in rasa 3.6.21: checked at install.
_EXPECTED = ("validate(result, self.action_response_format_spec())", "except ValidationError")


def compiled_validator():
    """A validator of Rasa's action response schema, built (and its schema checked) once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


class EventwiseCheck:
    """True/False as the full schema decides, checking each event against its own type only."""

    def __init__(self, schema: dict, validator_class) -> None:
        items = schema["properties"]["events"]["items"]
        names = [sub["properties"]["event"]["const"] for sub in items["oneOf"]]
        if len(set(names)) != len(names) or set(items) - {"type", "properties", "required",
                                                          "oneOf"}:
            raise ValueError("the events' oneOf is not one subschema per event name")
        without_one_of = {key: value for key, value in items.items() if key != "oneOf"}
        outer = {**schema, "properties": {**schema["properties"], "events": {
            **schema["properties"]["events"], "items": without_one_of}}}
        self.outer = validator_class(outer)
        self.by_name = {name: validator_class(sub) for name, sub in zip(names, items["oneOf"])}

    def is_valid(self, result: Any) -> bool:
        if not self.outer.is_valid(result):
            return False
        events = result.get("events")
        if not isinstance(events, list):
            return True  # absent: the outer schema said the rest
        for event in events:  # each an object with a string `event` (the outer schema)
            validator = self.by_name.get(event["event"])
            if validator is None or not validator.is_valid(event):
                return False
        return True


def eventwise_check(validator=None):
    """The fast check for Rasa's schema; None when the schema is not one subschema per event."""
    from rasa.core.actions.action import RemoteAction

    validator = validator or compiled_validator()
    try:
        return EventwiseCheck(RemoteAction.action_response_format_spec(), type(validator))
    except (KeyError, TypeError, ValueError):
        return None


def install() -> None:
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    if to_replace(RemoteAction, "_validate_action_result", _EXPECTED,
                  "connectors/action_response_check.py", "npt_compiled") is None:
        return
    validator = compiled_validator()
    fast = eventwise_check(validator)

    def _validate_action_result(self, result: Dict[str, Any]) -> bool:
        if fast is not None and fast.is_valid(result):
            return True
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions")
        raise error

    _validate_action_result.npt_compiled = True
    RemoteAction._validate_action_result = _validate_action_result
