"""A small closed-loop load generator for Rasa's REST channel, shared by the benchmarks.

Each simulated conversation sends its script back to back (the next message leaves when the
previous answer has arrived), so the figures are the server's saturated throughput and latency.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

# The same visitor script drives every assistant compared, so the load is identical.
SCRIPT: tuple[str, ...] = (
    "hello",
    "are you a bot?",
    "how do i renew my green card",
    "thanks",
    "bye",
)


@dataclass
class LoadResult:
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def messages_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """Latency in milliseconds at `share` (0-1) of the sorted samples."""
        if not self.latencies:
            return float("nan")
        if len(self.latencies) == 1:
            return self.latencies[0] * 1000
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[min(98, max(0, round(share * 100) - 1))] * 1000


async def _conversation(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    script: Sequence[str],
    deadline: float,
    result: LoadResult,
) -> None:
    sender = f"bench-{uuid.uuid4().hex}"
    index = 0
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            async with session.post(
                url,
                json={"sender": sender, "message": script[index % len(script)]},
                headers=headers,
            ) as response:
                await response.read()
                ok = response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            ok = False
        if ok:
            result.latencies.append(time.monotonic() - started)
        else:
            result.errors += 1
        index += 1


async def _drive(
    url: str, token: str | None, concurrency: int, seconds: float, script: Sequence[str]
) -> LoadResult:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    result = LoadResult(concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(
            *(
                _conversation(session, url, headers, script, deadline, result)
                for _ in range(concurrency)
            )
        )
        result.seconds = time.monotonic() - started
    return result


def drive(
    base_url: str,
    token: str | None,
    concurrency: int,
    seconds: float,
    script: Sequence[str] = SCRIPT,
) -> LoadResult:
    """Run `concurrency` conversations against Rasa's REST channel for `seconds`."""
    url = f"{base_url.rstrip('/')}/webhooks/rest/webhook"
    return asyncio.run(_drive(url, token, concurrency, seconds, script))


def resident_memory_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB (read from /proc)."""
    total_kb = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        status = Path(f"/proc/{current}/status")
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        pending.extend(int(child) for child in children)
    return total_kb / 1024
