"""The hub's client for Rasa's REST channel.

Every failure (refused, slow, 5xx, nonsense) becomes RasaUnavailable, so the caller has one
thing to handle: tell the visitor politely and carry on. No state is kept between calls, so the
hub recovers by itself as soon as Rasa answers again.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp


class RasaUnavailable(Exception):
    """Rasa did not give a usable answer in time."""


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        self._webhook = f"{base_url}/webhooks/rest/webhook"
        self._base_url = base_url
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=200), headers=self._headers
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """The bot's messages for one visitor message."""
        assert self._session is not None, "RasaClient.start() was not called"
        body = {"sender": sender, "message": text, "metadata": metadata}
        try:
            async with self._session.post(self._webhook, json=body, timeout=self._timeout) as reply:
                if reply.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {reply.status}")
                messages = await reply.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise RasaUnavailable(type(error).__name__) from error
        if not isinstance(messages, list):
            raise RasaUnavailable("Rasa's answer is not a list")
        return [message for message in messages if isinstance(message, dict)]

    async def reachable(self) -> bool:
        """For the health endpoint: does Rasa answer at all (within two seconds)?"""
        assert self._session is not None
        try:
            async with self._session.get(
                self._base_url + "/", timeout=aiohttp.ClientTimeout(total=2)
            ) as reply:
                return reply.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False
