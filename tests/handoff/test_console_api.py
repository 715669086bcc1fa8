"""The console's API and live channel on a real hub process (Rasa is not needed here: while
a person holds a conversation the hub does not call it)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
import websockets

from scripts.stack import HubProcess
from tests.handoff.support import (
    ConsoleClient,
    ConsoleSocket,
    Mailbox,
    create_account,
    handoff_hub,
    internal,
)
from tests.hub.support import Chat

CONSOLE_ENDPOINTS = [
    ("GET", "state"),
    ("GET", "canned"),
    ("GET", "supervisor"),
    ("GET", "chats/abc"),
    ("POST", "chats/abc/claim"),
    ("POST", "chats/abc/messages"),
    ("POST", "chats/abc/transfer"),
    ("POST", "chats/abc/end"),
    ("POST", "chats/abc/close"),
    ("POST", "service-requests/12345678/answer"),
    ("POST", "sign-out"),
]


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def hub(mailbox: Mailbox) -> Iterator[HubProcess]:
    env = {"HANDOFF_SMTP_PORT": str(mailbox.port), "HANDOFF_MAIL_FROM": "help@example.gov"}
    with handoff_hub(env) as running:
        create_account(running, "maria", "Maria")
        create_account(running, "lee", "Lee")
        create_account(running, "sam", "Sam", "supervisor")
        yield running


def signed_in(hub: HubProcess, username: str) -> ConsoleClient:
    client = ConsoleClient(hub)
    assert client.sign_in(username).status_code == 200
    return client


def test_every_console_endpoint_refuses_a_request_without_a_valid_session(
    hub: HubProcess,
) -> None:
    for token in (None, "forged-token"):
        client = ConsoleClient(hub, token)
        for method, path in CONSOLE_ENDPOINTS:
            reply = client.get(path) if method == "GET" else client.post(path, {"text": "hi"})
            assert reply.status_code == 401, (method, path, token)
            assert reply.json() == {"error": "sign in first"}


def test_the_console_page_is_served_with_a_strict_policy(hub: HubProcess) -> None:
    page = requests.get(f"{hub.url}/console/", timeout=10)
    assert page.status_code == 200 and "Sign in" in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert requests.get(f"{hub.url}/console/static/console.js", timeout=10).status_code == 200


async def test_a_session_cannot_be_used_after_sign_out(hub: HubProcess) -> None:
    assert ConsoleClient(hub).sign_in("maria", "wrong password!").status_code == 401
    client = signed_in(hub, "maria")
    assert client.get("state").json()["me"]["name"] == "Maria"
    socket = await ConsoleSocket.open(hub, client.token)  # type: ignore[arg-type]
    assert client.post("sign-out").status_code == 204
    # The open console is told and closed, and the token opens nothing any more.
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await socket.until(lambda f: False, timeout=10)
    assert closed.value.code == 4001
    assert client.get("state").status_code == 401
    assert client.post("chats/abc/claim").status_code == 401
    ws = await websockets.connect(f"ws://127.0.0.1:{hub.port}/console/ws")
    await ws.send(json.dumps({"type": "auth", "token": client.token}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "error"
    await ws.close()


def test_only_supervisors_see_the_supervisor_view(hub: HubProcess) -> None:
    assert signed_in(hub, "maria").get("supervisor").status_code == 403
    view = signed_in(hub, "sam").get("supervisor")
    assert view.status_code == 200
    assert {"agents", "waiting_by_queue", "handoff_rate", "average_wait_seconds"} <= set(
        view.json()
    )


def test_the_internal_api_needs_the_internal_token(hub: HubProcess) -> None:
    for path in ("handoff", "service_requests"):
        for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}):
            reply = requests.post(
                f"{hub.url}/internal/{path}", json={}, headers=headers, timeout=10
            )
            assert reply.status_code == 403


async def test_nobody_online_means_the_visitor_is_told_at_once(hub: HubProcess) -> None:
    chat = await Chat.open(hub)
    conversation = _conversation_id(hub, chat)
    reply = internal(hub, "handoff", {"conversation_id": conversation, "language": "en"})
    assert reply.json() == {"status": "unavailable", "why": "no_agent"}
    await chat.close()


async def test_a_live_chat_from_queue_to_claim_transfer_and_back_to_the_bot(
    hub: HubProcess,
) -> None:
    maria, lee, sam = signed_in(hub, "maria"), signed_in(hub, "lee"), signed_in(hub, "sam")
    console = await ConsoleSocket.open(hub, maria.token)  # type: ignore[arg-type]
    first, second = await Chat.open(hub), await Chat.open(hub)
    summary = {"topics": ["faq/field_office"], "tried": ["faq answer"]}
    queued = internal(
        hub,
        "handoff",
        {"conversation_id": _conversation_id(hub, first), "reason": "needs_a_person",
         "language": "en", "queue": "tier_1", "summary": summary},
    ).json()  # fmt: skip
    assert queued["status"] == "queued" and queued["position"] == 1
    await console.until(lambda f: f["type"] == "new_handoff")
    again = internal(hub, "handoff", {"conversation_id": _conversation_id(hub, first)})
    assert again.json() == {"status": "already"}
    behind = internal(
        hub, "handoff", {"conversation_id": _conversation_id(hub, second), "language": "es"}
    ).json()
    assert behind["position"] == 2

    waiting = maria.get("state").json()["waiting"]
    assert [c["id"] for c in waiting] == [queued["handoff_id"], behind["handoff_id"]]
    assert waiting[0]["reason"] == "needs_a_person" and waiting[0]["summary"] == summary
    taken = maria.post(f"chats/{queued['handoff_id']}/claim")
    assert taken.status_code == 200 and taken.json()["chat"]["agent"] == "Maria"
    assert lee.post(f"chats/{queued['handoff_id']}/claim").status_code == 409
    joined = await first.until(lambda f: f["type"] == "entry")
    assert joined["entry"]["role"] == "system" and "Maria" in joined["entry"]["text"]
    moved_up = await second.until(lambda f: f["type"] == "entry")
    assert "número 1" in moved_up["entry"]["text"]  # told in Spanish, its language

    # Messages both ways; the visitor's text stays text, and is not sent to the bot.
    sent = maria.post(f"chats/{queued['handoff_id']}/messages", {"text": "Hello, I'm Maria."})
    assert sent.status_code == 200
    seen = await first.until(lambda f: f["type"] == "entry")
    assert seen["entry"]["role"] == "agent" and seen["entry"]["agent"] == "Maria"
    turn = "<b>I need an appointment</b>"
    await first.send_frame({"type": "message", "id": "m1", "text": turn})
    forwarded = await console.until(
        lambda f: f["type"] == "entry" and f["entry"]["role"] == "visitor"
    )
    assert forwarded["entry"]["text"] == turn and forwarded["chat"] == queued["handoff_id"]
    assert lee.get(f"chats/{queued['handoff_id']}").status_code == 403
    assert lee.post(f"chats/{queued['handoff_id']}/messages", {"text": "hi"}).status_code == 403

    # Transfer to tier 2: back in a queue, told so; Lee takes it from there.
    assert maria.post(f"chats/{queued['handoff_id']}/transfer", {"queue": "tier_2"}).ok
    told = await first.until(lambda f: f["type"] == "entry" and f["entry"]["role"] == "system")
    assert "another team" in told["entry"]["text"]
    assert sam.get("supervisor").json()["waiting_by_queue"]["tier_2"] == 1
    assert lee.post(f"chats/{queued['handoff_id']}/claim").status_code == 200
    transcript = lee.get(f"chats/{queued['handoff_id']}").json()["entries"]
    assert [e["text"] for e in transcript if e["role"] == "visitor"] == [turn]
    assert all(e.get("notice") != "bot_unavailable" for e in transcript)

    assert lee.post(f"chats/{queued['handoff_id']}/end").ok
    joined = await first.until(lambda f: f["type"] == "entry")
    assert "Lee" in joined["entry"]["text"]
    back = await first.until(lambda f: f["type"] == "entry")
    assert back["entry"]["role"] == "system" and back["entry"]["notice"] == "back_to_bot"
    assert "back with the virtual assistant" in back["entry"]["text"]
    assert lee.get("state").json()["mine"] == []
    view = sam.get("supervisor").json()
    assert view["handoffs_requested"] >= 2 and view["average_wait_seconds"] is not None
    for chat in (first, second):
        await chat.close()
    await console.close()


async def test_a_supervisor_takes_a_chat_transferred_to_supervisors(hub: HubProcess) -> None:
    maria, sam = signed_in(hub, "maria"), signed_in(hub, "sam")
    console = await ConsoleSocket.open(hub, maria.token)  # type: ignore[arg-type]
    chat = await Chat.open(hub)
    queued = internal(hub, "handoff", {"conversation_id": _conversation_id(hub, chat)}).json()
    assert maria.post(f"chats/{queued['handoff_id']}/claim").ok
    assert maria.post(f"chats/{queued['handoff_id']}/transfer", {"queue": "supervisor"}).ok
    assert all(c["id"] != queued["handoff_id"] for c in maria.get("state").json()["waiting"])
    assert maria.post(f"chats/{queued['handoff_id']}/claim").status_code == 403
    assert sam.post(f"chats/{queued['handoff_id']}/claim").ok
    assert sam.post(f"chats/{queued['handoff_id']}/close").ok
    closed = await chat.until(lambda f: f["type"] == "entry" and "closed" in f["entry"]["text"])
    assert "Sam" in closed["entry"]["text"]
    await chat.close()
    await console.close()


async def test_a_visitor_who_cancels_while_waiting_goes_back_to_the_bot(hub: HubProcess) -> None:
    maria = signed_in(hub, "maria")
    console = await ConsoleSocket.open(hub, maria.token)  # type: ignore[arg-type]
    chat = await Chat.open(hub)
    queued = internal(hub, "handoff", {"conversation_id": _conversation_id(hub, chat)}).json()
    await chat.send_frame({"type": "message", "id": "c1", "text": "Cancel", "payload": "/stop"})
    # The message goes to the bot again: here Rasa is down, so the hub's own apology answers.
    answer = await chat.until(lambda f: f["type"] == "entry" and f["entry"]["role"] == "system")
    assert answer["entry"]["notice"] == "bot_unavailable"
    assert all(c["id"] != queued["handoff_id"] for c in maria.get("state").json()["waiting"])
    assert maria.post(f"chats/{queued['handoff_id']}/claim").status_code == 409
    await chat.close()
    await console.close()


def test_a_service_request_answer_is_emailed_in_the_visitors_language(
    hub: HubProcess, mailbox: Mailbox
) -> None:
    made = internal(
        hub,
        "service_requests",
        {"question": "¿Dónde está mi tarjeta?", "email": "ana@example.com", "language": "es"},
    ).json()
    assert len(made["number"]) == 8 and made["due_hours"] == 48
    maria = signed_in(hub, "maria")
    listed = maria.get("state").json()["service_requests"]
    mine = next(r for r in listed if r["number"] == made["number"])
    assert mine["email_domain"] == "example.com" and "ana@" not in json.dumps(listed)
    assert maria.post(f"service-requests/{made['number']}/answer", {"text": " "}).status_code == 400
    answered = maria.post(
        f"service-requests/{made['number']}/answer", {"text": "La enviamos el lunes."}
    )
    assert answered.status_code == 200
    message = next(m for m in mailbox.messages if made["number"] in m["Subject"])
    assert message["To"] == "ana@example.com" and message["From"] == "help@example.gov"
    body = message.get_content()
    assert "La enviamos el lunes." in body and "¿Dónde está mi tarjeta?" in body
    assert "solicitud de servicio" in message["Subject"]
    again = maria.post(f"service-requests/{made['number']}/answer", {"text": "Otra vez"})
    assert again.status_code == 409
    assert all(r["number"] != made["number"] for r in maria.get("state").json()["service_requests"])


def test_a_mail_server_outage_keeps_the_request_open(mailbox: Mailbox) -> None:
    dead_port = mailbox.port + 1 if mailbox.port < 65000 else mailbox.port - 1
    with handoff_hub({"HANDOFF_SMTP_PORT": str(dead_port)}) as hub:
        create_account(hub, "maria", "Maria")
        made = internal(
            hub, "service_requests", {"question": "Where is my card?", "email": "a@example.com"}
        ).json()
        maria = signed_in(hub, "maria")
        reply = maria.post(f"service-requests/{made['number']}/answer", {"text": "Soon."})
        assert reply.status_code == 502 and "try again" in reply.json()["error"]
        numbers = [r["number"] for r in maria.get("state").json()["service_requests"]]
        assert made["number"] in numbers


async def test_after_hours_the_visitor_is_told_live_chat_is_closed() -> None:
    today = datetime.now(ZoneInfo("America/New_York")).date()
    # Yesterday and tomorrow too, so that a run across midnight is still after hours.
    days = ",".join((today + timedelta(days=d)).isoformat() for d in (-1, 0, 1))
    with handoff_hub({"HANDOFF_HOLIDAYS": days}) as hub:
        create_account(hub, "maria", "Maria")
        console = await ConsoleSocket.open(hub, signed_in(hub, "maria").token)  # type: ignore[arg-type]
        chat = await Chat.open(hub)
        reply = internal(hub, "handoff", {"conversation_id": _conversation_id(hub, chat)})
        assert reply.json() == {"status": "unavailable", "why": "closed"}
        assert signed_in(hub, "maria").get("state").json()["open"] is False
        await chat.close()
        await console.close()


def _conversation_id(hub: HubProcess, chat: Chat) -> str:
    """The conversation a visitor's token names (what Rasa gets as the sender id)."""
    import jwt

    return jwt.decode(chat.token, hub.env["HUB_SECRET"], algorithms=["HS256"])["cid"]
