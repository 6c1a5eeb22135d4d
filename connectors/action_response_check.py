"""Rasa checks every action server response against a JSON schema before it uses it
(`RemoteAction._validate_action_result`, rasa 3.6.21). It calls `jsonschema.validate`, which
first checks the *schema itself* against its meta-schema and builds a new validator: on every
action call, about 20 ms of CPU that measured as 61 % of Rasa's busy time under a diagnostic
load (issue 14). The response is checked exactly as before, by the same schema and the same
jsonschema rules (`best_match` of the errors, the same message added), with a validator built
once per process.

`install()` is called by scripts/rasa_server.py before Rasa starts; it replaces the one method,
and refuses to run when the method it replaces is not the one it was written for (a Rasa
upgrade must look at this again), so nothing changes silently."""
from __future__ import annotations

import inspect
from typing import Any, Dict

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


def install() -> None:
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    original = RemoteAction._validate_action_result
    if getattr(original, "npt_compiled", False):
        return
    source = inspect.getsource(original)
    if not all(part in source for part in _EXPECTED):
        raise RuntimeError("RemoteAction._validate_action_result is not the one of rasa 3.6.21: "
                           "check connectors/action_response_check.py against the new Rasa")
    validator = compiled_validator()

    def _validate_action_result(self, result: Dict[str, Any]) -> bool:
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
