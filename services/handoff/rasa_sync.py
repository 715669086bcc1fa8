"""Tell Rasa's tracker what happened while a person held the conversation.

The pause is recorded by `action_handoff` itself (a `pause` event). When the chat goes back to
the bot, the hub appends the human part (the visitor's messages as `user` events, the agent's
as `bot` events with the agent's alias in the metadata), a `resume` event and `action_listen`
through Rasa's HTTP API. Until that succeeds the chat stays marked unsynced and is retried.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from services.hub.store import Entry

log = logging.getLogger("handoff")


def human_part_events(entries: list[Entry]) -> list[dict[str, Any]]:
    """Rasa events for the entries written while a person held the chat, then the resume."""
    events: list[dict[str, Any]] = []
    for entry in entries:
        stamp = entry.created_at.timestamp() if entry.created_at else None
        if entry.role == "visitor" and entry.text:
            events.append(
                {
                    "event": "user",
                    "text": entry.text,
                    "parse_data": {"text": entry.text, "intent": {}, "entities": []},
                    "metadata": {"handoff": True},
                    "timestamp": stamp,
                }
            )
        elif entry.role == "agent" and entry.text:
            events.append(
                {
                    "event": "bot",
                    "text": entry.text,
                    "metadata": {"handoff": True, "agent": entry.data.get("agent")},
                    "timestamp": stamp,
                }
            )
    events.append({"event": "resume"})
    events.append({"event": "action", "name": "action_listen", "policy": None, "confidence": 1})
    return events


async def append_events(
    session: aiohttp.ClientSession,
    rasa_url: str,
    token: str,
    conversation_id: str,
    events: list[dict[str, Any]],
) -> bool:
    """POST the events to the conversation's tracker; False when Rasa could not take them."""
    url = f"{rasa_url}/conversations/{conversation_id}/tracker/events"
    try:
        async with session.post(
            url,
            json=events,
            params={"token": token, "include_events": "NONE"},
            timeout=aiohttp.ClientTimeout(total=10),
        ) as reply:
            if reply.status != 200:
                log.warning("Rasa refused the handoff events: HTTP %s", reply.status)
                return False
            await reply.read()
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        log.warning("Rasa unreachable for the handoff events: %s", type(error).__name__)
        return False
    return True
