"""The chat hub for real: its own process, real WebSockets, real Rasa behind it."""

from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest
import requests
import websockets

from scripts.stack import HubProcess
from services.hub.sessions import new_id
from tests.hub.support import Chat, bot_text, button_titles

pytestmark = pytest.mark.rasa


def test_health_reports_the_store_and_rasa(hub: HubProcess) -> None:
    reply = requests.get(f"{hub.url}/health", timeout=10)
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok", "store": "ok", "rasa": "ok"}


def test_demo_page_embeds_the_widget_with_one_script_tag(hub: HubProcess) -> None:
    page = requests.get(f"{hub.url}/", timeout=10)
    assert page.status_code == 200
    assert page.text.count("<script") == 1
    assert 'src="/widget/widget.js"' in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in ("/widget/widget.js", "/widget/widget.css", "/uswds/css/uswds.min.css"):
        assert requests.get(f"{hub.url}{asset}", timeout=10).status_code == 200, asset
    spanish = requests.get(f"{hub.url}/es/", timeout=10)
    assert '<html lang="es">' in spanish.text


async def test_greeting_and_quick_reply_round_trip(hub: HubProcess) -> None:
    chat = await Chat.open(hub)
    assert chat.welcome["resumed"] is False and chat.welcome["history"] == []
    turn = await chat.say("hello")
    assert turn[0]["role"] == "visitor" and turn[0]["text"] == "hello"
    assert "I'm Ellis" in bot_text(turn)
    assert "What can you do?" in button_titles(turn)
    # A quick reply: the visitor sees the title, Rasa gets the payload.
    turn = await chat.say("What can you do?", payload="/ask_capabilities")
    assert turn[0]["text"] == "What can you do?"
    assert "Check my case status" in button_titles(turn)
    await chat.close()


async def test_explicit_language_gets_spanish_answers(hub: HubProcess) -> None:
    chat = await Chat.open(hub, page_language="en")
    turn = await chat.say("hello", language="es")
    assert "Soy Ellis" in bot_text(turn)
    await chat.close()


async def test_reconnect_and_second_tab_resume_the_same_conversation(hub: HubProcess) -> None:
    first = await Chat.open(hub)
    await first.say("hello")
    second = await Chat.open(hub, token=first.token)
    assert second.welcome["resumed"] is True
    assert [e["text"] for e in second.welcome["history"]][0] == "hello"
    assert "I'm Ellis" in bot_text(second.welcome["history"])
    # Both tabs see what either of them says.
    await first.say("What can you do?", payload="/ask_capabilities")
    seen = await second.until(lambda f: f["type"] == "entry" and f["entry"]["role"] == "bot")
    assert "Check my case status" in button_titles([seen["entry"]])
    await first.close()
    await second.close()


async def test_a_resent_message_is_delivered_once(hub: HubProcess) -> None:
    chat = await Chat.open(hub)
    client_id = uuid.uuid4().hex
    await chat.say("hello", client_id=client_id)
    await chat.close()
    # The network dropped before the widget saw the answer: it reconnects and sends again.
    again = await Chat.open(hub, token=chat.token)
    await again.send_frame({"type": "message", "id": client_id, "text": "hello"})
    await again.send_frame({"type": "ping"})
    ack = await again.next()
    assert ack["type"] == "entry" and ack["entry"]["client_id"] == client_id
    assert (await again.next())["type"] == "pong", "a resend must not reach Rasa again"
    await again.close()
    history = (await Chat.open(hub, token=chat.token)).welcome["history"]
    assert [e["client_id"] for e in history].count(client_id) == 1
    assert [e["role"] for e in history].count("visitor") == 1


async def test_forged_and_unknown_tokens_get_a_fresh_empty_conversation(hub: HubProcess) -> None:
    owner = await Chat.open(hub)
    await owner.say("my receipt number is EAC9999103403")
    claims = jwt.decode(owner.token, options={"verify_signature": False})
    forged = jwt.encode(claims, "not-the-hub-secret-at-all-0123456789", algorithm="HS256")
    unknown = jwt.encode(
        {**claims, "cid": new_id(), "exp": int(time.time()) + 60},
        hub.env["HUB_SECRET"],
        algorithm="HS256",
    )
    for token in (forged, unknown, "garbage", "x" * 5000):
        stranger = await Chat.open(hub, token=token)
        assert stranger.welcome["resumed"] is False
        assert stranger.welcome["history"] == []
        assert stranger.token != owner.token
        await stranger.close()
    await owner.close()


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2]",
        '"hello"',
        '{"type": "launch_missiles"}',
        '{"type": "message"}',
        '{"type": "message", "text": 42}',
        '{"type": "message", "text": "hi", "id": "<script>"}',
        '{"type": "message", "text": "hi", "payload": "javascript:alert(1)"}',
        b"\x00\x01binary",
    ],
    ids=["text", "list", "string", "type", "no-text", "number", "bad-id", "bad-payload", "binary"],
)
async def test_malformed_frames_get_a_clear_error_and_the_chat_goes_on(
    hub: HubProcess, frame: str | bytes
) -> None:
    chat = await Chat.open(hub)
    await chat.send_frame(frame)
    error = await chat.next()
    assert error["type"] == "error" and error["code"] == "bad_frame"
    assert "reload the page" in error["text"]
    assert "I'm Ellis" in bot_text(await chat.say("hello"))
    await chat.close()


async def test_a_message_before_hello_is_refused_politely(hub: HubProcess) -> None:
    async with websockets.connect(hub.ws_url, origin=hub.url) as ws:
        await ws.send(json.dumps({"type": "message", "id": "a1", "text": "hi", "language": "es"}))
        error = json.loads(await ws.recv())
    assert error["code"] == "hello_first" and error["client_id"] == "a1"
    assert "conectando" in error["text"]


async def test_oversized_and_empty_messages_get_clear_errors_and_are_not_stored(
    hub: HubProcess,
) -> None:
    chat = await Chat.open(hub)
    await chat.send_frame({"type": "message", "id": "long1", "text": "x" * 1001})
    error = await chat.next()
    assert error["code"] == "too_long" and error["client_id"] == "long1"
    assert "1001" in error["text"] and "1000" in error["text"]
    await chat.send_frame({"type": "message", "id": "empty1", "text": "   ", "language": "es"})
    error = await chat.next()
    assert error["code"] == "empty" and "vacío" in error["text"]
    # Nothing was lost: the visitor's choice of Spanish holds for the next message.
    assert "Soy Ellis" in bot_text(await chat.say("hello"))
    history = (await Chat.open(hub, token=chat.token)).welcome["history"]
    assert [e["text"] for e in history if e["role"] == "visitor"] == ["hello"]
    # A frame far beyond any message closes the connection (1009: message too big).
    await chat.send_frame({"type": "message", "id": "huge", "text": "x" * 200_000})
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await chat.next()
    assert closed.value.code == 1009


async def test_secrets_and_identifiers_are_not_stored_in_full(hub: HubProcess) -> None:
    chat = await Chat.open(hub)
    turn = await chat.say("my password is Tr0ub4dor&3")
    assert "Tr0ub4dor" not in turn[0]["text"]
    turn = await chat.say("my receipt number is EAC9999103403")
    assert turn[0]["text"] == "my receipt number is EAC******3403"
    history = (await Chat.open(hub, token=chat.token)).welcome["history"]
    stored = json.dumps(history)
    assert "Tr0ub4dor" not in stored and "EAC9999103403" not in stored
    await chat.close()


async def test_pages_from_other_origins_cannot_open_a_chat(hub: HubProcess) -> None:
    for origin in ("https://evil.example", None):
        headers = {"Origin": origin} if origin else {}
        with pytest.raises(websockets.InvalidStatusCode) as refused:
            await websockets.connect(hub.ws_url, extra_headers=headers, origin=None)
        assert refused.value.status_code == 403
