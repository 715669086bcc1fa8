"""The handoff's entry listener with several hubs (a shared bus): what reaches the agent, that a
turn with the bot asks the store nothing, and that a chat Rasa was not told of is told before
the visitor's next message reaches the bot."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from scripts.stack import free_port
from services.handoff.service import Handoff
from services.handoff.settings import HandoffSettings
from services.handoff.store import HandoffStore
from services.hub.bus import LocalBus
from services.hub.store import Entry, TranscriptStore


class SharedBus(LocalBus):
    """As with Redis: another hub may have opened or taken a chat this hub does not know."""

    shared = True


@dataclass
class OneHub:
    """The parts of the hub port the listener uses."""

    bus: LocalBus
    transcripts: TranscriptStore
    rasa_url: str = "http://127.0.0.1:9"
    rasa_token: str = "no-rasa"

    async def history(self, conversation_id: str) -> list[Entry]:
        return self.transcripts.history(conversation_id)

    async def resume(self, conversation_id: str) -> None:
        self.transcripts.set_state(conversation_id, "bot", only_from="resuming")


@dataclass
class Setup:
    transcripts: TranscriptStore
    store: HandoffStore
    handoff: Handoff
    asked: list[str] = field(default_factory=list)  # conversations the store was asked about
    console: list[dict[str, Any]] = field(default_factory=list)  # events for consoles


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    url = f"sqlite:///{tmp_path}/hub.db"
    transcripts, store = TranscriptStore(url), HandoffStore(url)
    bus = SharedBus()
    hub = OneHub(bus, transcripts)
    handoff = Handoff(HandoffSettings.from_env({}, url), store, hub)  # type: ignore[arg-type]
    result = Setup(transcripts, store, handoff)
    ask = store.open_or_unsynced_for

    def counted(conversation_id: str) -> list:
        result.asked.append(conversation_id)
        return ask(conversation_id)

    async def on_console(message: dict[str, Any]) -> None:
        result.console.append(message)

    monkeypatch.setattr(store, "open_or_unsynced_for", counted)
    bus.subscribe("console", on_console)
    yield result
    transcripts.close()
    store.close()


async def test_a_turn_with_the_bot_asks_the_store_nothing(setup: Setup) -> None:
    conversation = setup.transcripts.create_conversation("visitor-1")
    for turn in range(3):
        visitor, _, _ = setup.transcripts.append_and_read_state(
            conversation.id, "visitor", f"question {turn}", None, f"tab-{turn}"
        )
        await setup.handoff.on_entry(visitor)
        answers = [("bot", "One moment.", None), ("bot", "Here it is.", None)]
        for answer in setup.transcripts.append_many(conversation.id, answers):
            await setup.handoff.on_entry(answer)
    assert setup.asked == []
    assert setup.console == []


async def test_answers_stored_after_another_hub_handed_off_reach_the_agent(setup: Setup) -> None:
    conversation = setup.transcripts.create_conversation("visitor-2")
    visitor, _, state = setup.transcripts.append_and_read_state(
        conversation.id, "visitor", "a person please", None, "tab-1"
    )
    assert state == "bot"
    await setup.handoff.on_entry(visitor)
    # During the bot's turn, another hub queues the chat and an agent there takes it.
    chat = setup.store.create_chat(conversation.id, "tier_1", "asked", "en", {}, visitor.id)
    setup.transcripts.set_state(conversation.id, "waiting")
    maria = setup.store.create_account("maria", "Maria", "agent", "not-a-real-hash")
    assert setup.store.claim(chat.id, maria) is not None
    setup.transcripts.set_state(conversation.id, "agent")
    answers = setup.transcripts.append_many(
        conversation.id, [("bot", "Connecting you.", None), ("bot", "You are next.", None)]
    )
    for answer in answers:
        await setup.handoff.on_entry(answer)
    forwarded = [m for m in setup.console if m["event"]["type"] == "entry"]
    assert [(m["account"], m["event"]["chat"]) for m in forwarded] == [(maria.id, chat.id)] * 2
    assert [m["event"]["entry"]["text"] for m in forwarded] == ["Connecting you.", "You are next."]
    # Asked for the first answer stored after the handoff; then this hub knows the chat.
    assert setup.asked == [conversation.id]


@pytest.fixture
async def rasa(setup: Setup) -> AsyncIterator[list[list[dict[str, Any]]]]:
    """A pretend Rasa that records the events the handoff tells it; the handoff points at it."""
    told: list[list[dict[str, Any]]] = []

    async def events(request: web.Request) -> web.Response:
        told.append(await request.json())
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/conversations/{id}/tracker/events", events)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    setup.handoff.hub.rasa_url = f"http://127.0.0.1:{port}"  # type: ignore[misc]
    setup.handoff._http = aiohttp.ClientSession()
    yield told
    await setup.handoff._http.close()
    await runner.cleanup()


def ended_untold(setup: Setup, visitor_id: str) -> str:
    """A conversation whose chat ended while Rasa was down: back with the bot, resuming."""
    conversation = setup.transcripts.create_conversation(visitor_id)
    chat = setup.store.create_chat(conversation.id, "tier_1", "asked", "en", {}, None)
    setup.transcripts.append_many(conversation.id, [("agent", "Hello, I am Maria.", None)])
    setup.store.finish(chat.id, "ended")
    setup.transcripts.set_state(conversation.id, "resuming")
    return conversation.id


async def test_a_chat_rasa_was_not_told_of_is_told_before_the_next_message(
    setup: Setup, rasa: list[list[dict[str, Any]]]
) -> None:
    told = rasa
    conversation_id = ended_untold(setup, "visitor-3")
    visitor, _, state = setup.transcripts.append_and_read_state(
        conversation_id, "visitor", "thanks, one more question", None, "tab-1"
    )
    assert state == "resuming"
    await setup.handoff.on_entry(visitor)
    assert setup.asked == [conversation_id]
    # The person's part and the resume; the new message goes to Rasa as itself, after.
    assert len(told) == 1 and [e["event"] for e in told[0]] == ["bot", "resume", "action"]
    assert told[0][0]["text"] == "Hello, I am Maria."
    assert setup.store.unsynced() == []
    assert setup.transcripts.get_conversation(conversation_id).state == "bot"  # type: ignore[union-attr]
    # From now on a turn with the bot asks nothing.
    again, _, state = setup.transcripts.append_and_read_state(
        conversation_id, "visitor", "and another", None, "tab-2"
    )
    await setup.handoff.on_entry(again)
    assert state == "bot" and setup.asked == [conversation_id] and len(told) == 1


async def test_the_retry_loop_tells_rasa_and_the_conversation_is_with_the_bot_again(
    setup: Setup, rasa: list[list[dict[str, Any]]]
) -> None:
    conversation_id = ended_untold(setup, "visitor-4")
    setup.handoff.settings = dataclasses.replace(setup.handoff.settings, tick_seconds=0.05)
    loop = asyncio.create_task(setup.handoff._retry_syncs())
    try:
        for _ in range(100):
            if setup.transcripts.get_conversation(conversation_id).state == "bot":  # type: ignore[union-attr]
                break
            await asyncio.sleep(0.05)
    finally:
        loop.cancel()
    assert setup.transcripts.get_conversation(conversation_id).state == "bot"  # type: ignore[union-attr]
    assert len(rasa) == 1 and setup.store.unsynced() == []
