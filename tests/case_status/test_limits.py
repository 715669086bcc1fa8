"""Lookups per visitor in 24 hours, counted in memory or in the running Redis."""

from __future__ import annotations

import uuid

import pytest
import redis

from actions.case_status.limits import MemoryLimits, RedisLimits, VisitorLimits, visitor_key

REDIS = "redis://127.0.0.1:6379/0"


async def _count_two_lookups(limits: VisitorLimits) -> None:
    visitor, other = f"visitor-{uuid.uuid4().hex}", f"visitor-{uuid.uuid4().hex}"
    assert await limits.used(visitor) == 0
    await limits.record(visitor)
    await limits.record(visitor)
    assert await limits.used(visitor) == 2
    assert await limits.used(other) == 0


async def test_memory_limits_count_per_visitor() -> None:
    await _count_two_lookups(MemoryLimits())


async def test_redis_limits_count_per_visitor_under_a_hashed_key() -> None:
    limits = RedisLimits(REDIS)
    visitor = f"visitor-{uuid.uuid4().hex}"
    try:
        await _count_two_lookups(limits)
        await limits.record(visitor)
        plain = redis.Redis.from_url(REDIS)
        assert plain.zcard(visitor_key(visitor)) == 1
        assert 0 < plain.ttl(visitor_key(visitor)) <= 24 * 3600
        assert not plain.keys(f"*{visitor}*")  # the visitor's id itself is never stored
        plain.delete(visitor_key(visitor))
    finally:
        await limits.close()


@pytest.mark.parametrize("visitor", ["someone@example.com", "conversation-0123456789"])
def test_keys_do_not_reveal_the_visitor(visitor: str) -> None:
    assert visitor not in visitor_key(visitor)
