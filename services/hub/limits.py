"""Messages per minute per conversation, counted in this process's memory."""

from __future__ import annotations

import math
import time
from collections import deque


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

    def forget_idle(self, now: float | None = None) -> None:
        """Drop the counters of conversations quiet for a whole window (bounded memory)."""
        now = time.monotonic() if now is None else now
        for key in [k for k, t in self._seen.items() if not t or now - t[-1] >= self._window]:
            del self._seen[key]
