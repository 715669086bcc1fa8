"""The assistant answers in the visitor's language."""

import pytest

from actions.language import choose_language, detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hola", "es"),
        ("gracias", "es"),
        ("hello", "en"),
        ("thanks", "en"),
        ("quiero hablar con una persona", "es"),
        ("how do I renew my green card", "en"),
        ("¿cuánto cuesta la naturalización?", "es"),
        ("necesito ayuda con mi caso", "es"),
    ],
)
def test_clear_messages_are_detected(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "   ", "?!?", "EAC9999103403", "I-90", "ok", "no"])
def test_unclear_messages_keep_the_current_language(text: str) -> None:
    assert choose_language({"text": text}, "es") == "es"


def test_explicit_client_choice_wins_over_the_text() -> None:
    assert choose_language({"text": "hello", "metadata": {"language": "es"}}, "en") == "es"


def test_page_language_is_only_a_first_hint() -> None:
    message = {"text": "ok", "metadata": {"page_language": "es"}}
    assert choose_language(message, None) == "es"
    assert choose_language(message, "en") == "en"


def test_a_request_to_switch_names_the_language() -> None:
    message = {"text": "can you answer in spanish", "intent": {"name": "change_language"}}
    assert choose_language(message, "en") == "es"
