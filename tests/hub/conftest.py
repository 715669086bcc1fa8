"""One real hub per test module, relaying to the session's real Rasa stack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from scripts.stack import HubProcess, Stack, running_hub
from tests.hub.support import Chat


@pytest.fixture(scope="module")
def hub(stack: Stack) -> Iterator[HubProcess]:
    with running_hub(stack) as running:
        yield running


@pytest.fixture(autouse=True)
async def close_chats() -> AsyncIterator[None]:
    """Close the WebSockets a test left open, so its event loop ends without waiting."""
    yield
    await Chat.close_all()
