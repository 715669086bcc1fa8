"""Passwords and codes: recognised, answered by rule, and never stored (unit level)."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from addons.secret_guard import SECRET_INTENT, SecretGuard
from privacy import redact_text, redact_value
from privacy.secrets import SECRET_PLACEHOLDER, looks_like_secret

SECRETS = [
    "my password is Sunshine2024!",
    "the one time code they sent me is 120394",
    "the code 482913 didn't work",
    "password: 12345678",
    "esta es mi clave Azul$5566",
    "mi contraseña es Mariposa#2024",
    "el código es 663 018",
]
NOT_SECRETS = [
    "my password isn't working",
    "the code wasn't sent",
    "the text message with the code doesn't arrive",
    "call 800 375 5283 for a code",
    "me equivoqué con la contraseña 3 veces",
    "reset my password please",
    "my receipt number is EAC9999103403 and I forgot my password",
    "I got a code on 2024-05-01",
]


@pytest.mark.parametrize("text", SECRETS)
def test_passwords_and_codes_are_hidden_whole(text: str) -> None:
    assert looks_like_secret(text)
    assert redact_text(text) == SECRET_PLACEHOLDER


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_talk_about_passwords_and_codes_is_kept(text: str) -> None:
    assert not looks_like_secret(text)
    assert "EAC9999103403" not in redact_text(text)
    assert redact_text(text).split()[0] == text.split()[0]


def test_a_stored_user_event_keeps_no_trace_of_the_secret() -> None:
    event = {
        "event": "user",
        "text": "my password is Tr0ub4dor&3",
        "parse_data": {
            "text": "my password is Tr0ub4dor&3",
            "intent": {"name": SECRET_INTENT, "confidence": 1.0},
            "entities": [],
        },
        "metadata": {"language": "en"},
    }
    stored = redact_value(event)
    assert "Tr0ub4dor" not in str(stored)
    assert stored["text"] == SECRET_PLACEHOLDER
    assert stored["parse_data"]["intent"]["name"] == SECRET_INTENT
    assert stored["metadata"] == {"language": "en"}


def classified(text: str, intent: str, confidence: float, ranking: list[tuple]) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking])
    return SecretGuard().process([message])[0]


def test_the_guard_sets_share_secret_whatever_the_classifier_said() -> None:
    message = classified("Xk9#mPq2wL", "greet", 0.97, [("greet", 0.97), ("faq", 0.02)])
    assert message.get("intent") == {"name": SECRET_INTENT, "confidence": 1.0}
    assert [entry["name"] for entry in message.get("intent_ranking")] == [SECRET_INTENT]


def test_the_guard_takes_share_secret_away_from_ordinary_sign_in_talk() -> None:
    ranking = [(SECRET_INTENT, 0.6), ("account_forgot_password", 0.3), ("affirm", 0.1)]
    message = classified("my password is not working", SECRET_INTENT, 0.6, ranking)
    assert message.get("intent")["name"] == "account_forgot_password"
    assert SECRET_INTENT not in [entry["name"] for entry in message.get("intent_ranking")]
