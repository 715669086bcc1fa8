"""Per-client limits like the API's: a spike arrest (requests per second) and a daily quota.

Counted in this process, as a gateway node would; the daily quota resets at midnight UTC.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone


@dataclass
class Verdict:
    allowed: bool
    message: str = ""
    retry_after: int = 0


@dataclass
class RateLimiter:
    per_second: int
    per_day: int
    _recent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _daily: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def check(self, client_id: str, now: float | None = None) -> Verdict:
        """Count one request by `client_id` if it is within both limits."""
        moment = time.monotonic() if now is None else now
        recent = self._recent[client_id]
        while recent and moment - recent[0] >= 1.0:
            recent.popleft()
        if self.per_second and len(recent) >= self.per_second:
            return Verdict(False, "Spike Arrest Violation", 1)
        today = datetime.now(timezone.utc)
        day_key = (client_id, today.strftime("%Y-%m-%d"))
        if day_key not in self._daily:  # a new day: forget the client's older counts
            for old_key in [key for key in self._daily if key[0] == client_id]:
                del self._daily[old_key]
        if self.per_day and self._daily[day_key] >= self.per_day:
            midnight = (today + timedelta(days=1)).replace(hour=0, minute=0, second=0)
            return Verdict(False, "Quota Violation", int((midnight - today).total_seconds()) + 1)
        recent.append(moment)
        self._daily[day_key] += 1
        return Verdict(True)
