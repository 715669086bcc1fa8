"""Action-server responses are still checked against Rasa's schema after the speed-up
(addons/action_validation.py): a valid response passes, an invalid one is refused with Rasa's
message, and the schema itself is checked once rather than on every call."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import addons  # noqa: F401  (importing the package installs the check)
from addons import action_validation

VALID = {
    "events": [{"event": "slot", "name": "language", "value": "es"}],
    "responses": [{"text": "Hola"}],
}


def action() -> RemoteAction:
    return RemoteAction("action_check_case_status", None)


def test_rasa_uses_the_prebuilt_validator() -> None:
    assert RemoteAction._validate_action_result is action_validation.validate_action_result


def test_a_valid_response_passes() -> None:
    assert action()._validate_action_result(VALID) is True


@pytest.mark.parametrize(
    "invalid",
    [
        {"events": [{"event": "no_such_event"}]},
        {"events": "not a list"},
        {"responses": [42]},
    ],
)
def test_an_invalid_response_is_refused_with_rasas_message(invalid: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action()._validate_action_result(invalid)


def test_the_schema_is_checked_once_not_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    checks: list[int] = []
    validator_class = type(action_validation.response_validator())
    original = validator_class.check_schema.__func__  # type: ignore[attr-defined]

    def counting(cls: type, schema: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        checks.append(1)
        original(cls, schema, *args, **kwargs)

    action_validation.response_validator.cache_clear()
    monkeypatch.setattr(validator_class, "check_schema", classmethod(counting))
    for _ in range(5):
        action()._validate_action_result(VALID)
    assert len(checks) == 1
