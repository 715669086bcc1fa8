"""The handoff's entry listener with several hubs (a shared bus): what reaches the agent, and
that a visitor's turn asks the store about chats once, not once per bot answer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from services.handoff.service import Handoff
from services.handoff.settings import HandoffSettings
from services.handoff.store import HandoffStore
from services.hub.bus import LocalBus
from services.hub.store import TranscriptStore


class SharedBus(LocalBus):
    """As with Redis: another hub may have opened or taken a chat this hub does not know."""

    shared = True


@dataclass
class OneHub:
    """The parts of the hub port the listener uses."""

    bus: LocalBus
    rasa_url: str = "http://127.0.0.1:9"
    rasa_token: str = "no-rasa"


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
    handoff = Handoff(HandoffSettings.from_env({}, url), store, OneHub(bus))  # type: ignore[arg-type]
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


async def test_a_bot_turn_asks_about_chats_once(setup: Setup) -> None:
    conversation = setup.transcripts.create_conversation("visitor-1")
    for turn in range(3):
        visitor, _, _ = setup.transcripts.append_and_read_state(
            conversation.id, "visitor", f"question {turn}", None, f"tab-{turn}"
        )
        await setup.handoff.on_entry(visitor)
        answers = [("bot", "One moment.", None), ("bot", "Here it is.", None)]
        for answer in setup.transcripts.append_many(conversation.id, answers):
            await setup.handoff.on_entry(answer)
    assert setup.asked == [conversation.id] * 3
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
    # Asked for the visitor's message and the first answer; then this hub knows the chat.
    assert setup.asked == [conversation.id] * 2
