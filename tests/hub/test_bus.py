"""The Redis bus between hubs, against a real Redis: a conversation's frames reach only the hubs
that hold one of its tabs, and a hub that joined while Redis was down gets them once it is back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis import asyncio as aioredis

from services.hub.bus import RedisBus
from tests.production.servers import PrivateRedis

REDIS_URL = "redis://127.0.0.1:6379/11"


class Inbox:
    """What one hub's handler for the "room" and "console" topics received."""

    def __init__(self, bus: RedisBus) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        for topic in ("room", "console"):
            bus.subscribe(topic, self._keeper(topic))

    def _keeper(self, topic: str) -> Any:
        async def keep(message: dict[str, Any]) -> None:
            self.messages.append((topic, message))

        return keep

    async def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.messages) < count:
            assert asyncio.get_running_loop().time() < deadline, self.messages
            await asyncio.sleep(0.02)


async def started(url: str, prefix: str) -> tuple[RedisBus, Inbox]:
    bus = RedisBus(url, prefix)
    inbox = Inbox(bus)
    await bus.start()
    assert bus.state == "ok"
    return bus, inbox


async def wait_state(bus: RedisBus, state: str, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while bus.state != state:
        assert asyncio.get_running_loop().time() < deadline, f"bus never became {state}"
        await asyncio.sleep(0.1)


@pytest.fixture
async def two_buses() -> AsyncIterator[tuple[RedisBus, Inbox, RedisBus, Inbox]]:
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    a, inbox_a = await started(REDIS_URL, prefix)
    b, inbox_b = await started(REDIS_URL, prefix)
    try:
        yield a, inbox_a, b, inbox_b
    finally:
        await a.close()
        await b.close()


async def test_a_conversations_frames_reach_only_the_hubs_that_joined_it(two_buses) -> None:
    a, inbox_a, b, inbox_b = two_buses
    await a.join("room", "conversation-x")
    await b.publish("room", {"n": 1}, key="conversation-y")  # nobody holds a tab of y
    await b.publish("room", {"n": 2}, key="conversation-x")
    await b.publish("console", {"n": 3})  # for every hub
    await inbox_a.wait_for(2)
    await inbox_b.wait_for(1)
    await asyncio.sleep(0.3)  # anything else would have arrived by now
    assert inbox_a.messages == [("room", {"n": 2}), ("console", {"n": 3})]
    assert inbox_b.messages == [("console", {"n": 3})]


async def test_after_leaving_a_hub_gets_none_of_its_frames_and_redis_forgets_the_channel(
    two_buses,
) -> None:
    a, inbox_a, b, _ = two_buses
    await a.join("room", "conversation-x")
    a.leave("room", "conversation-x")
    channel = a.channel_for("room", "conversation-x")
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        for _ in range(50):
            [(_, subscribers)] = await redis.pubsub_numsub(channel)
            if subscribers == 0:
                break
            await asyncio.sleep(0.05)
        assert subscribers == 0
    finally:
        await redis.close()
    await b.publish("room", {"n": 1}, key="conversation-x")
    await a.join("room", "conversation-x")  # a tab of it opens again on hub A
    await b.publish("room", {"n": 2}, key="conversation-x")
    await inbox_a.wait_for(1)
    await asyncio.sleep(0.3)
    assert inbox_a.messages == [("room", {"n": 2})]


async def test_a_conversation_joined_while_redis_was_down_is_subscribed_when_it_returns(
    private_redis: PrivateRedis,
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    a, inbox_a = await started(private_redis.url(), prefix)
    b, _ = await started(private_redis.url(), prefix)
    try:
        await a.join("room", "before-the-outage")
        private_redis.stop()
        await wait_state(a, "lost")
        # A tab opens on hub A meanwhile: joining neither waits long nor fails.
        await asyncio.wait_for(a.join("room", "during-the-outage"), 1)
        private_redis.start()
        await wait_state(a, "ok")
        await wait_state(b, "ok")
        await b.publish("room", {"n": 1}, key="before-the-outage")
        await b.publish("room", {"n": 2}, key="during-the-outage")
        await inbox_a.wait_for(2)
        assert sorted(m["n"] for _, m in inbox_a.messages) == [1, 2]
    finally:
        await a.close()
        await b.close()
