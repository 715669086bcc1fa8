"""Validate action-server responses against Rasa's schema with a validator built once.

Rasa 3.6 checks every response of the action server with `jsonschema.validate(result, schema)`,
which first validates the schema itself against the JSON Schema meta-schema, on every call. Rasa
calls the action server on every message (the `language` slot's mapping) and again for forms and
lookups, and under load that meta-check was 45% of a Rasa replica's CPU (py-spy, docs/benchmark.md).
This keeps the same check of the response, with the same error, and skips only the re-checking
of Rasa's own constant schema. Applied when the `addons` package is imported, which Rasa does at
start-up for the channel, the stores and the NLU components.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def response_validator() -> Validator:
    """The validator for Rasa's action-response schema; the schema is checked once, here."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result, minus the per-call meta-schema check."""
    try:
        response_validator().validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
