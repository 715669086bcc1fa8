"""The trained assistant, served for real: REST channel, token, languages, bad input."""

from __future__ import annotations

import uuid

import pytest
import requests

from scripts.stack import Stack
from tests.conftest import texts

pytestmark = pytest.mark.rasa


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex}"


def test_hello_gets_an_english_greeting(stack: Stack) -> None:
    reply = stack.send(new_sender(), "hello")
    assert "I'm Ellis" in texts(reply)


def test_hola_gets_a_spanish_greeting(stack: Stack) -> None:
    reply = stack.send(new_sender(), "hola")
    assert "Soy Ellis" in texts(reply)


def test_metadata_language_overrides_the_text(stack: Stack) -> None:
    reply = stack.send(new_sender(), "hello", metadata={"language": "es"})
    assert "Soy Ellis" in texts(reply)


def test_language_sticks_for_short_replies(stack: Stack) -> None:
    sender = new_sender()
    stack.send(sender, "hola, necesito ayuda")
    reply = stack.send(sender, "ok")
    assert reply and all("Okay" not in message.get("text", "") for message in reply)
    assert "De acuerdo" in texts(reply)


def test_a_button_keeps_the_visitors_language(stack: Stack) -> None:
    # A payload is not text: "/check_case_status" must not read as English.
    sender = new_sender()
    stack.send(sender, "hola")
    assert "número de recibo" in texts(stack.send(sender, "/check_case_status"))


def test_the_page_language_is_only_a_first_hint(stack: Stack) -> None:
    sender = new_sender()
    spanish_page = {"page_language": "es"}
    assert "Soy Ellis" in texts(stack.send(sender, "/greet", metadata=spanish_page))
    assert "I'm Ellis" in texts(stack.send(sender, "hello"))
    assert "I'm Ellis" in texts(stack.send(sender, "/greet", metadata=spanish_page))


def test_asking_to_switch_without_naming_a_language_switches(stack: Stack) -> None:
    sender = new_sender()
    stack.send(sender, "hola")
    assert "in English from now on" in texts(stack.send(sender, "change language"))
    assert "en español" in texts(stack.send(sender, "cambiar idioma"))


def test_what_can_you_do_lists_abilities_as_buttons(stack: Stack) -> None:
    reply = stack.send(new_sender(), "what can you do")
    titles = [button["title"] for message in reply for button in message.get("buttons", [])]
    assert "Check my case status" in titles
    assert "Talk to a person" in titles


def test_asking_for_a_person_gives_the_contact_center(stack: Stack) -> None:
    reply = stack.send(new_sender(), "i want to talk to a person")
    assert "800-375-5283" in texts(reply)


def test_rest_channel_refuses_callers_without_the_token(stack: Stack) -> None:
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    response = requests.post(url, json={"sender": "x", "message": "hi"}, timeout=10)
    assert response.status_code == 401
    wrong = requests.post(
        url,
        json={"sender": "x", "message": "hi"},
        headers={"Authorization": "Bearer wrong"},
        timeout=10,
    )
    assert wrong.status_code == 401


def test_http_api_refuses_callers_without_the_token(stack: Stack) -> None:
    response = requests.get(f"{stack.rasa_url}/conversations/x/tracker", timeout=10)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "?!?!...",
        "😀😀😀",
        "hola hello 你好 مرحبا",
        "x" * 100_000,
        "<img src=x onerror=alert(1)>",
    ],
    ids=["empty", "whitespace", "punctuation", "emoji", "mixed-scripts", "100KB", "html"],
)
def test_odd_messages_get_a_reply_not_an_error(stack: Stack, message: str) -> None:
    reply = stack.send(new_sender(), message)
    assert reply, "the visitor must always get an answer"
    assert all(isinstance(item.get("text", ""), str) for item in reply)


def _titles(messages: list[dict]) -> list[str]:
    return [button["title"] for message in messages for button in message.get("buttons", [])]


def test_gibberish_gets_no_guessed_answer(stack: Stack) -> None:
    # Either the fallback ("did you mean …?") or the polite out-of-scope answer: never a topic.
    first = texts(stack.send(new_sender(), "blorf quantum zebra"))
    assert any(
        cue in first for cue in ("Did you mean", "say it another way", "outside what I can help")
    ), first


def test_two_stage_fallback_confirms_then_rephrases_then_offers_routes(stack: Stack) -> None:
    # Payloads pin the NLU result, so this checks the dialogue whatever the model's scores.
    sender = new_sender()
    first = texts(stack.send(sender, "/nlu_fallback"))
    assert "Did you mean" in first or "say it another way" in first
    # The visitor rejects the suggestion ("No, something else"): the bot asks to rephrase.
    assert "say it another way" in texts(stack.send(sender, "/out_of_scope"))
    # The rephrased message is unclear too: one more confirmation, then a second "no" ...
    stack.send(sender, "/nlu_fallback")
    last = stack.send(sender, "/out_of_scope")
    # ... ends in a final answer with the other routes, never a dead end.
    assert "still can't help" in texts(last)
    assert "Talk to a person" in _titles(last)


def test_two_unclear_messages_in_a_row_offer_the_routes_in_spanish(stack: Stack) -> None:
    sender = new_sender()
    stack.send(sender, "/nlu_fallback", metadata={"language": "es"})
    last = stack.send(sender, "/nlu_fallback", metadata={"language": "es"})
    assert "todavía no puedo ayudarle" in texts(last)
    assert "Hablar con una persona" in _titles(last)


def test_after_the_fallback_the_bot_answers_normally(stack: Stack) -> None:
    sender = new_sender()
    stack.send(sender, "/nlu_fallback")
    stack.send(sender, "/nlu_fallback")
    assert "I'm Ellis" in texts(stack.send(sender, "hello"))


def test_receipt_numbers_are_masked_in_the_stored_tracker(stack: Stack) -> None:
    sender = new_sender()
    stack.send(sender, "my receipt number is EAC9999103403")
    stack.send(sender, "thanks")
    events = stack.tracker(sender)["events"]
    stored = str([event for event in events if event.get("event") == "user"])
    assert "EAC9999103403" not in stored
    assert "EAC******3403" in stored


def test_a_resent_message_id_is_answered_again_without_a_second_turn(stack: Stack) -> None:
    # What nginx does in production mode when a Rasa replica dies: it sends the message again,
    # perhaps after the first replica had handled it. The visitor must get one turn, not two.
    sender = f"once-{uuid.uuid4().hex}"
    metadata = {"message_id": "hub-entry-1"}
    first = stack.send(sender, "what can you do", metadata)
    again = stack.send(sender, "what can you do", metadata)
    assert texts(again) == texts(first) and texts(first)
    assert again[0].get("buttons") == first[0].get("buttons")
    turns = [e for e in stack.tracker(sender)["events"] if e.get("event") == "user"]
    assert len(turns) == 1 and turns[0]["message_id"] == "hub-entry-1"
    # A new message id is a new turn.
    stack.send(sender, "thanks", {"message_id": "hub-entry-2"})
    turns = [e for e in stack.tracker(sender)["events"] if e.get("event") == "user"]
    assert [turn["message_id"] for turn in turns] == ["hub-entry-1", "hub-entry-2"]
