"""The hub when things go wrong: Rasa unreachable or slow, visitors too fast, foreign origins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import websockets

from scripts.stack import HubProcess, Stack, running_hub
from tests.hub.support import Chat, FaultyLink, bot_text

pytestmark = pytest.mark.rasa

EMBEDDER = "https://www.example.gov"


@pytest.fixture(scope="module")
def link(stack: Stack) -> Iterator[FaultyLink]:
    faulty = FaultyLink(stack.rasa_port)
    yield faulty
    faulty.close()


@pytest.fixture(scope="module")
def strict_hub(stack: Stack, link: FaultyLink) -> Iterator[HubProcess]:
    """A hub behind the cuttable link, with a low rate limit and one allowed embedding site."""
    settings = {
        "RASA_URL": link.url,
        "HUB_RASA_TIMEOUT": "2",
        "HUB_MESSAGES_PER_MINUTE": "4",
        "HUB_ALLOWED_ORIGINS": f"{EMBEDDER}, https://other.example.gov/",
    }
    with running_hub(stack, settings) as running:
        yield running


@pytest.fixture(autouse=True)
def link_up(link: FaultyLink) -> Iterator[None]:
    link.set_mode("up")
    yield
    link.set_mode("up")


def notices(entries: list[dict]) -> list[str]:
    return [e.get("notice", "") for e in entries if e["role"] == "system"]


@pytest.mark.parametrize("mode", ["down", "stalled"])
async def test_rasa_unreachable_gets_a_polite_message_then_recovers(
    strict_hub: HubProcess, link: FaultyLink, mode: str
) -> None:
    chat = await Chat.open(strict_hub, origin=EMBEDDER)
    link.set_mode(mode)
    turn = await chat.say("hello")
    assert notices(turn) == ["bot_unavailable"]
    assert "Sorry, I can't answer right now" in bot_text(turn)
    spanish = await chat.say("hola", language="es")
    assert "Lo siento, no puedo responder" in bot_text(spanish)
    health = requests.get(f"{strict_hub.url}/health", timeout=10).json()
    assert health["rasa"] == "unreachable" and health["status"] == "ok"
    # Rasa is back: the very next message gets a real answer, no restart needed.
    link.set_mode("up")
    assert "Soy Ellis" in bot_text(await chat.say("hola"))
    # The visitor's messages were all kept.
    history = (await Chat.open(strict_hub, token=chat.token, origin=EMBEDDER)).welcome["history"]
    assert [e["text"] for e in history if e["role"] == "visitor"] == ["hello", "hola", "hola"]
    await chat.close()


async def test_too_many_messages_a_minute_are_refused_politely(strict_hub: HubProcess) -> None:
    chat = await Chat.open(strict_hub, origin=EMBEDDER)
    for index in range(4):
        await chat.say("/greet", client_id=f"greet-{index}")
    await chat.send_frame({"type": "message", "id": "fifth", "text": "/greet", "language": "es"})
    error = await chat.next()
    assert error["code"] == "too_many" and error["client_id"] == "fifth"
    assert "Espere" in error["text"]
    # Over the limit, a message already stored that the widget sends again (its answer was
    # lost with the connection) is still acknowledged, not refused.
    await chat.send_frame({"type": "message", "id": "greet-3", "text": "/greet"})
    ack = await chat.next()
    assert ack["type"] == "entry" and ack["entry"]["client_id"] == "greet-3"
    # Another visitor is not slowed down by this one.
    other = await Chat.open(strict_hub, origin=EMBEDDER)
    assert "I'm Ellis" in bot_text(await other.say("hello"))
    await chat.close()
    await other.close()


async def test_only_configured_origins_may_embed(strict_hub: HubProcess) -> None:
    for allowed in (EMBEDDER, "https://other.example.gov"):
        chat = await Chat.open(strict_hub, origin=allowed)
        assert chat.welcome["resumed"] is False
        await chat.close()
    with pytest.raises(websockets.InvalidStatusCode) as refused:
        await Chat.open(strict_hub, origin=strict_hub.url)
    assert refused.value.status_code == 403
