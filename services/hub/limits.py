"""Messages per minute per conversation.

`RateLimiter` counts in this process's memory (one hub). `SharedRateLimiter` counts in Redis
(HUB_BUS_URL), so a visitor whose tabs sit on different hubs has one allowance, not one per hub;
while Redis is unreachable it counts in memory, and says so in the log once.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections import deque

from redis.exceptions import RedisError

from services.hub.bus import client

log = logging.getLogger("hub.limits")

# A sliding window in a sorted set, timed by Redis's own clock (hubs' clocks may differ).
# Returns 0 (counted) or the seconds until the oldest message leaves the window.
WINDOW_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(window - (now - tonumber(oldest[2])))
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return '0'
"""


class RateLimiter:
    def __init__(self, per_minute: int, window: float = 60.0) -> None:
        self._limit = per_minute
        self._window = window
        self._seen: dict[str, deque[float]] = {}

    def retry_after(self, key: str, now: float | None = None) -> int:
        """0 when `key` may send now (and counts it); else the seconds to wait."""
        now = time.monotonic() if now is None else now
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= self._window:
            times.popleft()
        if len(times) >= self._limit:
            return max(1, math.ceil(self._window - (now - times[0])))
        times.append(now)
        return 0

    async def check(self, key: str) -> int:
        """`retry_after` with the interface every limiter has."""
        return self.retry_after(key)

    def forget_idle(self, now: float | None = None) -> None:
        """Drop the counters of conversations quiet for a whole window (bounded memory)."""
        now = time.monotonic() if now is None else now
        for key in [k for k, t in self._seen.items() if not t or now - t[-1] >= self._window]:
            del self._seen[key]

    async def close(self) -> None:
        """Nothing to release."""


class SharedRateLimiter(RateLimiter):
    """The same allowance, counted in Redis for every hub; keys expire by themselves."""

    def __init__(self, url: str, prefix: str, per_minute: int, window: float = 60.0) -> None:
        super().__init__(per_minute, window)  # the fallback while Redis is unreachable
        self._redis = client(url)
        self._script = self._redis.register_script(WINDOW_SCRIPT)
        self._prefix = prefix
        self._down = False

    async def check(self, key: str) -> int:
        member = secrets.token_hex(8)  # unique among every hub's messages
        try:
            raw = await self._script(
                keys=[f"{self._prefix}:rate:{key}"], args=[self._window, self._limit, member]
            )
        except (RedisError, OSError) as error:
            if not self._down:
                log.error("rate limits: Redis unreachable (%s); counting in this hub", error)
            self._down = True
            return self.retry_after(key)
        if self._down:
            log.warning("rate limits: Redis is back; counting for every hub again")
            self._down = False
        wait = float(raw)
        return max(1, math.ceil(wait)) if wait > 0 else 0

    async def close(self) -> None:
        await self._redis.close(close_connection_pool=True)


def make_limiter(url: str, prefix: str, per_minute: int) -> RateLimiter:
    return SharedRateLimiter(url, prefix, per_minute) if url else RateLimiter(per_minute)
