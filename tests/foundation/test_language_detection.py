"""The assistant answers in the visitor's language."""

import pytest
from rasa.shared.core.events import SlotSet
from rasa.shared.core.slots import CategoricalSlot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from addons.language import LanguageTagger, choose_language, detect_language


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


def _tag(text: str, current: str | None, intent: str = "greet", **metadata: str) -> Message:
    slot = CategoricalSlot("language", mappings=[], values=["en", "es"])
    events = [] if current is None else [SlotSet("language", current)]
    tracker = DialogueStateTracker.from_events("someone", events, slots=[slot])
    message = Message(
        data={"text": text, "intent": {"name": intent, "confidence": 0.9}, "metadata": metadata}
    )
    tagger = LanguageTagger.create({}, None, None, None)  # type: ignore[arg-type]
    return tagger.process([message], tracker)[0]


def _entities(message: Message) -> list[tuple[str, str]]:
    return [(entity["entity"], entity["value"]) for entity in message.get("entities", [])]


def test_the_tagger_adds_a_language_entity_only_when_the_language_changes() -> None:
    assert _entities(_tag("hola", "en")) == [("language", "es")]
    assert _entities(_tag("hola", "es")) == []
    assert _entities(_tag("ok", "es")) == []


def test_the_first_message_always_sets_the_language() -> None:
    assert _entities(_tag("ok", None)) == [("language", "en")]
    assert _entities(_tag("ok", None, page_language="es")) == [("language", "es")]


def test_a_payload_gets_the_language_inside_it_and_is_not_read_as_text() -> None:
    # "/check_case_status" has English words; the visitor clicked a button, wrote nothing.
    assert _tag("/check_case_status", "es").get("text") == "/check_case_status"
    tagged = _tag("/check_case_status", "en", language="es")
    assert tagged.get("text") == '/check_case_status{"language": "es"}'
    tagged = _tag('/account_choose_type{"account_type": "csol"}', None, page_language="es")
    assert tagged.get("text") == '/account_choose_type{"account_type": "csol", "language": "es"}'


def test_typed_text_starting_with_a_slash_is_read_as_text() -> None:
    tagged = _tag("/ hola, necesito ayuda", "en")
    assert tagged.get("text") == "/ hola, necesito ayuda"
    assert _entities(tagged) == [("language", "es")]


def test_a_switch_request_without_a_language_toggles() -> None:
    assert _entities(_tag("change language", "es", intent="change_language")) == [
        ("language", "en")
    ]
    assert _tag("/change_language", "en").get("text") == '/change_language{"language": "es"}'
