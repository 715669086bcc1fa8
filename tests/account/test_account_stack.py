"""Guided sign-in help and secret handling against the real Rasa server and action server."""

from __future__ import annotations

import json
import sqlite3
import uuid

import pytest

from actions.account.guide import HANDOFF_QUEUE, load_guide
from privacy.secrets import SECRET_PLACEHOLDER
from scripts.stack import Stack
from tests.conftest import texts

pytestmark = pytest.mark.rasa

GUIDE = load_guide()
EN = {"language": "en"}
ES = {"language": "es"}


def sender() -> str:
    return f"account-{uuid.uuid4().hex}"


def step_text(account: str, problem: str, number: int, lang: str) -> str:
    return GUIDE.paths[(account, problem)].steps[number - 1][lang]


def stored_events(stack: Stack, conversation: str) -> list[str]:
    """The raw rows the tracker store wrote to its SQLite file."""
    with sqlite3.connect(stack.workdir / "tracker.db") as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ?", (conversation,))
        return [row[0] for row in rows]


@pytest.mark.parametrize(
    ("message", "secret", "metadata", "warning"),
    [
        ("my password is Tr0ub4dor&3", "Tr0ub4dor", EN, "Please don't share passwords"),
        ("482913", "482913", EN, "Please don't share passwords"),
        ("mi código de verificación es 904 117", "904 117", ES, "no escriba aquí contraseñas"),
    ],
)
def test_a_password_or_code_is_warned_about_and_never_stored(
    stack: Stack, message: str, secret: str, metadata: dict, warning: str
) -> None:
    conversation = sender()
    assert warning in texts(stack.send(conversation, message, metadata))
    tracker = stack.tracker(conversation)
    user_events = [event for event in tracker["events"] if event["event"] == "user"]
    assert [event["text"] for event in user_events] == [SECRET_PLACEHOLDER]
    assert user_events[0]["parse_data"]["intent"]["name"] == "share_secret"
    assert secret not in json.dumps(tracker, ensure_ascii=False)
    rows = stored_events(stack, conversation)
    assert rows and not any(secret in row for row in rows)


def test_ordinary_sign_in_talk_is_stored_as_typed(stack: Stack) -> None:
    conversation = sender()
    stack.send(conversation, "I forgot my E-Verify password", EN)
    user_texts = [e["text"] for e in stack.tracker(conversation)["events"] if e["event"] == "user"]
    assert user_texts == ["I forgot my E-Verify password"]


def test_the_account_named_in_the_message_leads_straight_to_its_first_step(stack: Stack) -> None:
    reply = texts(stack.send(sender(), "I forgot my E-Verify password", EN))
    assert step_text("everify", "password", 1, "en") in reply
    assert "(step 1 of 2)" in reply


def test_spanish_path_from_the_account_question_to_the_technical_help_desk(stack: Stack) -> None:
    conversation = sender()
    asked = stack.send(conversation, "/account_locked", ES)
    assert "¿A qué cuenta intenta entrar?" in texts(asked)
    buttons = asked[-1]["buttons"]
    assert [b["title"] for b in buttons] == [
        "Cuenta en línea de USCIS",
        "Antiguo acceso a Case Status Online",
        "E-Verify",
    ]
    first = stack.send(conversation, buttons[0]["payload"], ES)
    assert step_text("uscis", "locked", 1, "es") in texts(first)
    assert [b["title"] for b in first[-1]["buttons"]] == ["Sí, funcionó", "No, sigo sin poder"]
    second = stack.send(conversation, "/deny", ES)
    assert step_text("uscis", "locked", 2, "es") in texts(second)
    end = texts(stack.send(conversation, "/deny", ES))
    assert "https://my.uscis.gov/account/v1/needhelp" in end
    assert "I need help with unlocking my account" in end
    assert stack.tracker(conversation)["slots"]["handoff_queue"] == HANDOFF_QUEUE


def test_a_code_typed_during_a_step_is_warned_about_and_the_step_comes_back(stack: Stack) -> None:
    conversation = sender()
    stack.send(conversation, "/account_two_step", EN)
    stack.send(conversation, '/account_choose_type{"account_type":"uscis"}', EN)
    again = texts(stack.send(conversation, "my code is 551234", EN))
    assert "Please don't share passwords" in again
    assert step_text("uscis", "two_step", 1, "en") in again
    following = texts(stack.send(conversation, "/deny", EN))
    assert step_text("uscis", "two_step", 2, "en") in following
    assert "551234" not in json.dumps(stack.tracker(conversation))


def test_a_step_that_worked_ends_the_path_and_a_later_yes_is_not_read_as_an_answer(
    stack: Stack,
) -> None:
    conversation = sender()
    stack.send(conversation, "/account_forgot_user_id", EN)
    first = stack.send(conversation, '/account_choose_type{"account_type":"everify"}', EN)
    assert step_text("everify", "user_id", 1, "en") in texts(first)
    assert "I'm glad that worked!" in texts(stack.send(conversation, "/affirm", EN))
    later = texts(stack.send(conversation, "/affirm", EN))
    assert "Is there anything else I can help with?" in later
    assert "glad" not in later


@pytest.mark.parametrize(
    ("typed", "account", "lang"),
    [("E-Verify", "everify", EN), ("la cuenta antigua de Case Status Online", "csol", ES)],
)
def test_an_account_name_typed_instead_of_a_button_is_recognised(
    stack: Stack, typed: str, account: str, lang: dict
) -> None:
    conversation = sender()
    stack.send(conversation, "/account_forgot_password", lang)
    reply = texts(stack.send(conversation, typed, lang))
    assert step_text(account, "password", 1, lang["language"]) in reply
