"""Whole case-status conversations through Rasa, the action server and the case-status service,
each a real process, in English and Spanish: lookups, bad input, giving up, not found, outage,
limits, and receipt numbers masked in everything stored or logged."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator

import pytest

from scripts.stack import Stack, running_stack, start_case_status, stop
from tests.case_status.conftest import UNLIMITED
from tests.conftest import texts

pytestmark = pytest.mark.rasa


@pytest.fixture(scope="module")
def cs_stack() -> Iterator[Stack]:
    with running_stack(
        extra_env={
            "CASE_STATUS_MAX_PER_CONVERSATION": "3",
            "CASE_STATUS_MAX_PER_VISITOR": "4",
            "CASE_STATUS_BREAKER_COOLDOWN": "1",
        },
        case_status=True,
        case_status_env=UNLIMITED,
    ) as running:
        yield running


def new_sender() -> str:
    return f"case-status-{uuid.uuid4().hex}"


def buttons(reply: list[dict]) -> list[str]:
    return [button["title"] for message in reply for button in message.get("buttons", [])]


def test_english_lookup_with_odd_formatting(cs_stack: Stack) -> None:
    sender = new_sender()
    asked = cs_stack.send(sender, "/check_case_status")
    assert "What is your receipt number?" in texts(asked)
    assert "Never mind" in buttons(asked)
    answer = texts(cs_stack.send(sender, "my receipt # is eac-99-991-03403"))
    assert "Case Was Approved" in answer
    assert "EAC******3403" in answer and "9999103403" not in answer
    assert "Last updated: April 9, 2023." in answer
    assert "What to do next:" in answer and "approval notice" in answer


def test_spanish_lookup_uses_the_apis_spanish_text(cs_stack: Stack) -> None:
    sender = new_sender()
    asked = cs_stack.send(sender, "/check_case_status", metadata={"language": "es"})
    assert "¿Cuál es su número de recibo?" in texts(asked)
    answer = texts(cs_stack.send(sender, "mi número de recibo es LIN 99 991 06498"))
    assert "Número de Recibo" in answer or "Formulario" in answer
    assert "Última actualización:" in answer
    assert "Qué hacer ahora:" in answer
    assert "What to do next" not in answer


def test_receipt_in_the_first_message_is_looked_up_at_once(cs_stack: Stack) -> None:
    answer = texts(cs_stack.send(new_sender(), "my receipt number is EAC9999103403"))
    assert "Case Was Approved" in answer
    assert "What is your receipt number?" not in answer


def test_a_bad_receipt_is_explained_and_asked_again(cs_stack: Stack) -> None:
    sender = new_sender()
    cs_stack.send(sender, "/check_case_status")
    again = texts(cs_stack.send(sender, "EAC 123"))
    assert "doesn't look like a receipt number" in again
    assert "Form I-797C" in again
    assert "Please type your receipt number" in again
    answer = texts(cs_stack.send(sender, "SRC9999102777"))
    assert "What to do next:" in answer


def test_after_three_unreadable_receipts_the_ways_out_are_offered(cs_stack: Stack) -> None:
    sender = new_sender()
    cs_stack.send(sender, "/check_case_status")
    for _ in range(2):
        reply = cs_stack.send(sender, "EAC 123")
        assert "can't find your receipt number" not in texts(reply)
    reply = cs_stack.send(sender, "EAC 12345")
    assert "can't find your receipt number" in texts(reply)
    assert "800-375-5283" in texts(reply)
    assert "Talk to a person" in buttons(reply)
    assert "What to do next:" in texts(cs_stack.send(sender, "EAC9999103403"))


@pytest.mark.parametrize("typed", ["xqzt vbnm", "???", "hola"])
def test_anything_else_while_asked_keeps_the_form_going(cs_stack: Stack, typed: str) -> None:
    """Low-confidence or unrelated text neither breaks the form nor ends in the fallback."""
    sender = new_sender()
    cs_stack.send(sender, "/check_case_status")
    reply = texts(cs_stack.send(sender, typed))
    assert "receipt number" in reply or "número de recibo" in reply
    assert "Did you mean" not in reply and "Quiso decir" not in reply
    assert (cs_stack.tracker(sender).get("active_loop") or {}).get("name") == "receipt_form"


def test_a_question_while_asked_is_answered_and_the_form_goes_on(cs_stack: Stack) -> None:
    sender = new_sender()
    cs_stack.send(sender, "/check_case_status")
    reply = texts(cs_stack.send(sender, "where do i find my receipt number"))
    assert "Please type your receipt number" in reply
    answer = texts(cs_stack.send(sender, "EAC9999103403"))
    assert "Case Was Approved" in answer


@pytest.mark.parametrize(
    ("metadata", "give_up", "expected"),
    [
        ({}, "/stop", "I won't look up a case"),
        ({}, "never mind", "I won't look up a case"),
        ({"language": "es"}, "/deny", "no consultaré ningún caso"),
    ],
)
def test_the_visitor_can_give_up(
    cs_stack: Stack, metadata: dict, give_up: str, expected: str
) -> None:
    sender = new_sender()
    cs_stack.send(sender, "/check_case_status", metadata=metadata)
    reply = texts(cs_stack.send(sender, give_up, metadata=metadata))
    assert expected in reply
    assert not (cs_stack.tracker(sender).get("active_loop") or {}).get("name")


def test_not_found_is_one_neutral_message(cs_stack: Stack) -> None:
    replies = []
    for receipt in ("ZZZ0000000001", "EAC1234567890"):
        sender = new_sender()
        cs_stack.send(sender, "/check_case_status")
        replies.append(texts(cs_stack.send(sender, receipt)))
    first, second = replies
    assert "I couldn't find a case with the receipt number ZZZ******0001" in first
    assert first.replace("ZZZ******0001", "X") == second.replace("EAC******7890", "X")
    for word in ("protect", "confidential", "VAWA", "asylum", "victim"):
        assert word.lower() not in first.lower()


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [({}, "can't reach the case status system"), ({"language": "es"}, "no puedo comunicarme")],
)
def test_an_outage_is_said_plainly_with_a_person_offered(
    cs_stack: Stack, metadata: dict, expected: str
) -> None:
    assert cs_stack.case_status is not None
    sender = new_sender()
    cs_stack.send(sender, "/check_case_status", metadata=metadata)
    cs_stack.case_status.set_down(True)
    try:
        reply = cs_stack.send(sender, "EAC9999103403", metadata=metadata)
    finally:
        cs_stack.case_status.set_down(False)
    assert expected in texts(reply)
    assert "800-375-5283" in texts(reply)
    assert any(
        button["payload"] == "/request_human"
        for message in reply
        for button in message.get("buttons", [])
    )


def _restart_service(stack: Stack, extra_env: dict[str, str]) -> None:
    """Start the case-status service again on its port, with its credentials and cases, plus
    `extra_env` (its tokens are signed, so the action server's cached token stays valid)."""
    old = stack.case_status
    assert old is not None
    stop(old.process)
    settings = {
        **UNLIMITED,
        "CASE_STATUS_CLIENT_ID": old.client_id,
        "CASE_STATUS_CLIENT_SECRET": old.client_secret,
        "CASE_STATUS_DB_URL": old.db_url,
        "CASE_STATUS_MAINTENANCE_FILE": str(old.maintenance_file),
        **extra_env,
    }
    new = start_case_status(stack.workdir, settings, port=old.port)
    new = dataclasses.replace(new, client_id=old.client_id, client_secret=old.client_secret)
    stack.processes[stack.processes.index(old.process)] = new.process
    stack.case_status = new


def test_a_service_too_slow_to_answer_is_an_outage_for_the_visitor(cs_stack: Stack) -> None:
    sender = new_sender()
    cs_stack.send(sender, "/check_case_status")
    _restart_service(cs_stack, {"CASE_STATUS_DELAY_SECONDS": "30"})
    try:
        reply = texts(cs_stack.send(sender, "EAC9999103403"))
    finally:
        _restart_service(cs_stack, {})
    assert "can't reach the case status system" in reply
    assert "800-375-5283" in reply
    # Back to normal: lookups work again (once the circuit breaker, if open, lets one through).
    deadline = time.monotonic() + 30
    while "Case Was Approved" not in _lookup(cs_stack, new_sender()):
        assert time.monotonic() < deadline, "lookups never worked again"


def _lookup(stack: Stack, sender: str, metadata: dict | None = None) -> str:
    stack.send(sender, "/check_case_status", metadata=metadata)
    return texts(stack.send(sender, "EAC9999103403", metadata=metadata))


def test_lookups_per_conversation_are_limited(cs_stack: Stack) -> None:
    sender = new_sender()
    for _ in range(3):
        assert "Case Was Approved" in _lookup(cs_stack, sender)
    refused = texts(cs_stack.send(sender, "/check_case_status"))
    assert "reached that limit" in refused
    assert "What is your receipt number?" not in refused


def test_lookups_per_visitor_are_limited_across_conversations(cs_stack: Stack) -> None:
    visitor = {"visitor_id": f"visitor-{uuid.uuid4().hex}"}
    first, second = new_sender(), new_sender()
    for _ in range(3):
        assert "Case Was Approved" in _lookup(cs_stack, first, visitor)
    assert "Case Was Approved" in _lookup(cs_stack, second, visitor)
    refused = texts(cs_stack.send(second, "/check_case_status", metadata=visitor))
    assert "reached that limit" in refused


def test_receipt_numbers_are_masked_in_the_stored_tracker_and_logs(cs_stack: Stack) -> None:
    sender = new_sender()
    cs_stack.send(sender, "/check_case_status")
    cs_stack.send(sender, "my receipt # is eac-99-991-03403")
    cs_stack.send(sender, "thanks")
    tracker = json.dumps(cs_stack.tracker(sender), ensure_ascii=False)
    assert "EAC******3403" in tracker
    user_texts = [
        event.get("text")
        for event in cs_stack.tracker(sender)["events"]
        if event["event"] == "user"
    ]
    assert "my receipt # is EAC******3403" in user_texts
    with sqlite3.connect(cs_stack.workdir / "tracker.db") as database:
        stored = json.dumps(database.execute("SELECT * FROM events").fetchall())
    assert "EAC******3403" in stored
    logs = "".join(path.read_text(errors="replace") for path in cs_stack.workdir.glob("*.log"))
    for text in (tracker, stored, logs):
        for needle in ("9999103403", "99-991-03403"):
            assert needle not in text
