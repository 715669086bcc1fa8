"""One real hub per test module, relaying to the session's real Rasa stack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from scripts.stack import HubProcess, Stack, running_hub
from tests.hub.support import Chat
from tests.production.servers import PrivateRedis


@pytest.fixture(scope="module")
def hub(stack: Stack) -> Iterator[HubProcess]:
    with running_hub(stack) as running:
        yield running


@pytest.fixture(autouse=True)
async def close_chats() -> AsyncIterator[None]:
    """Close the WebSockets a test left open, so its event loop ends without waiting."""
    yield
    await Chat.close_all()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A Redis of the test's own, to stop and start (the machine's must keep running)."""
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()
