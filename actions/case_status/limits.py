"""How many lookups one visitor may make in 24 hours, against guessing receipt numbers.

Counted in the action server's memory by default, or in Redis (CASE_STATUS_LIMITS_URL) so that
several action servers share the count. Visitors are keyed by a hash, never by their id.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict, deque
from typing import Protocol

WINDOW = 24 * 3600.0


def visitor_key(visitor: str) -> str:
    return "case_status:lookups:" + hashlib.sha256(visitor.encode()).hexdigest()[:32]


class VisitorLimits(Protocol):
    async def used(self, visitor: str) -> int: ...

    async def record(self, visitor: str) -> None: ...


class MemoryLimits:
    def __init__(self) -> None:
        self._times: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, visitor: str) -> deque[float]:
        times = self._times[visitor_key(visitor)]
        while times and time.time() - times[0] > WINDOW:
            times.popleft()
        return times

    async def used(self, visitor: str) -> int:
        return len(self._recent(visitor))

    async def record(self, visitor: str) -> None:
        self._recent(visitor).append(time.time())


class RedisLimits:
    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)

    # Each pair of commands goes to Redis in one round trip (the form asks on every turn).
    async def used(self, visitor: str) -> int:
        key = visitor_key(visitor)
        pipe = self._redis.pipeline(transaction=False)
        pipe.zremrangebyscore(key, 0, time.time() - WINDOW)
        pipe.zcard(key)
        _, count = await pipe.execute()
        return int(count)

    async def record(self, visitor: str) -> None:
        key, now = visitor_key(visitor), time.time()
        pipe = self._redis.pipeline(transaction=False)
        pipe.zadd(key, {f"{now:.6f}": now})
        pipe.expire(key, int(WINDOW))
        await pipe.execute()

    async def close(self) -> None:
        await self._redis.close()


def make_limits(url: str) -> VisitorLimits:
    return RedisLimits(url) if url else MemoryLimits()
