"""The small part of the chat hub the handoff uses, behind one explicit interface.

The hub (services/hub/) owns visitors, their WebSockets and transcripts. The handoff needs only:
  - `post`: add an entry (an agent's message, a notice) and deliver it to the visitor,
  - `add_listener`: see every new entry (the visitor's messages while an agent holds the chat),
  - `history`: read a transcript,
  - `set_state`: mark who answers a conversation ("bot", "waiting", "agent", or "resuming": back
    with the bot, but Rasa has not yet been told what the person said); the hub relays a
    visitor's message to Rasa in states "bot" and "resuming" (after the listeners, which tell
    Rasa first),
  - `resume`: "resuming" becomes "bot" (and nothing else changes), once Rasa has been told,
  - `typing`: show or hide the typing indicator in the visitor's tabs,
  - `conversations_since`: how many conversations started (for the handoff rate),
  - `rasa_url` / `rasa_token`: where Rasa's HTTP API is, to record the pause and the resume,
  - `bus`: the hub's message bus (services/hub/bus.py), to reach consoles held by other hub
    processes and to do some things once across all of them (`bus.lock`).
`HubAdapter` builds that interface from the hub's `Hub` object.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any, Protocol

import sqlalchemy as sa

from services.hub.bus import LocalBus
from services.hub.core import frame
from services.hub.store import Entry, conversations

STATES = ("bot", "waiting", "agent", "resuming")


class HubPort(Protocol):
    rasa_url: str
    rasa_token: str
    bus: LocalBus

    async def post(
        self, conversation_id: str, role: str, text: str | None, data: dict | None = None
    ) -> Entry: ...

    def add_listener(self, listener: Callable[[Entry], Awaitable[None]]) -> None: ...

    async def history(self, conversation_id: str) -> list[Entry]: ...

    async def exists(self, conversation_id: str) -> bool: ...

    async def set_state(self, conversation_id: str, state: str) -> None: ...

    async def resume(self, conversation_id: str) -> None: ...

    async def typing(self, conversation_id: str, active: bool) -> None: ...

    async def conversations_since(self, since: datetime) -> int: ...


class HubAdapter:
    """HubPort over services.hub.core.Hub."""

    def __init__(self, hub: Any) -> None:
        self._hub = hub
        self.rasa_url: str = hub.settings.rasa_url
        self.rasa_token: str = hub.settings.rasa_token
        self.bus: LocalBus = hub.bus

    async def post(
        self, conversation_id: str, role: str, text: str | None, data: dict | None = None
    ) -> Entry:
        return await self._hub.post(conversation_id, role, text, data)

    def add_listener(self, listener: Callable[[Entry], Awaitable[None]]) -> None:
        self._hub.add_listener(listener)

    async def history(self, conversation_id: str) -> list[Entry]:
        return await asyncio.to_thread(self._hub.store.history, conversation_id)

    async def exists(self, conversation_id: str) -> bool:
        found = await asyncio.to_thread(self._hub.store.get_conversation, conversation_id)
        return found is not None

    async def set_state(self, conversation_id: str, state: str) -> None:
        if state not in STATES:
            raise ValueError(f"unknown conversation state {state!r}")
        await asyncio.to_thread(self._hub.store.set_state, conversation_id, state)

    async def resume(self, conversation_id: str) -> None:
        await asyncio.to_thread(self._hub.store.set_state, conversation_id, "bot", "resuming")

    async def typing(self, conversation_id: str, active: bool) -> None:
        await self._hub.broadcast(conversation_id, frame("typing", active=active, role="agent"))

    async def conversations_since(self, since: datetime) -> int:
        def count() -> int:
            with self._hub.store.engine.connect() as db:
                return int(
                    db.execute(
                        sa.select(sa.func.count())
                        .select_from(conversations)
                        .where(conversations.c.created_at >= since)
                    ).scalar_one()
                )

        return await asyncio.to_thread(count)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
