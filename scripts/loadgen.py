"""Load generators shared by the benchmarks: closed loop (saturated) and open loop (human-paced).

Closed loop: each conversation sends its script back to back (the next message leaves when the
previous answer has arrived), so the figures are the server's saturated throughput and latency.
Open loop: each visitor sends a message about every `period` seconds whether or not the last one
was answered, the way people keep arriving however slow the server is; a latency is timed from
the moment the message was due, so a late sender cannot hide a slow server.

A conversation is anything with `say(turn, timeout) -> bool` and `close()`: Rasa's REST channel
here (`RestConversation`), the hub's WebSocket in scripts/bench_production.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiohttp
import uvloop

# The same visitor script drives every assistant compared, so the load is identical.
SCRIPT: tuple[str, ...] = (
    "hello",
    "are you a bot?",
    "how do i renew my green card",
    "thanks",
    "bye",
)
TURN_TIMEOUT = 120.0


@dataclass(frozen=True)
class Turn:
    """One visitor message: what they typed, or the payload of the button they clicked."""

    text: str
    payload: str | None = None


Script = Sequence[Turn]


class Conversation(Protocol):
    async def say(self, turn: Turn, timeout: float) -> bool:
        """Send one message; True once its answer is complete, False on any failure."""
        ...

    async def close(self) -> None: ...


Opener = Callable[[], Awaitable[Conversation]]


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

    def record(self, ok: bool, seconds: float) -> None:
        if ok:
            self.latencies.append(seconds)
        else:
            self.errors += 1

    def summary(self) -> dict[str, Any]:
        """The figures the bench prints and writes to results/bench/*.json."""

        def ms(share: float) -> float | None:
            value = self.percentile(share)
            return None if value != value else round(value, 1)  # NaN: nothing answered

        return {
            "level": self.concurrency,
            "messages": len(self.latencies),
            "errors": self.errors,
            "seconds": round(self.seconds, 1),
            "msgs_per_s": round(self.messages_per_second, 2),
            "p50_ms": ms(0.5),
            "p95_ms": ms(0.95),
            "p99_ms": ms(0.99),
        }


# --- closed loop (saturated)
async def closed_loop(
    opener: Opener,
    script_for: Callable[[int], Script],
    conversations: int,
    seconds: float,
    turn_timeout: float = TURN_TIMEOUT,
) -> LoadResult:
    """`conversations` workers, each running scripts back to back, a new conversation per script.

    Messages answered after the deadline still count (each worker finishes the message it is
    waiting for), and so does the time they took: throughput is answers over the whole run."""
    result = LoadResult(conversations)
    started = time.monotonic()
    deadline = started + seconds

    async def worker(index: int) -> None:
        passes = 0
        while time.monotonic() < deadline:
            script = script_for(index + passes * conversations)
            passes += 1
            try:
                conversation = await opener()
            except Exception:  # refused, reset, timed out: one failure, then try again
                result.errors += 1
                await asyncio.sleep(1.0)
                continue
            try:
                for turn in script:
                    if time.monotonic() >= deadline:
                        break
                    sent = time.monotonic()
                    ok = await conversation.say(turn, turn_timeout)
                    result.record(ok, time.monotonic() - sent)
                    if not ok:
                        break  # the conversation is broken; a visitor would reload the page
            finally:
                await conversation.close()

    await asyncio.gather(*(worker(index) for index in range(conversations)))
    result.seconds = time.monotonic() - started
    return result


# --- open loop (human-paced)
def open_loop_schedule(
    visitors: int, seconds: float, period: float = 5.0, jitter: float = 0.2, seed: int = 0
) -> list[list[float]]:
    """When each visitor sends, in seconds from the start of the step.

    The first message is due at a random phase in [0, period) so that visitors do not arrive in
    step; then one every `period * (1 ± jitter)`. Only times before `seconds` are kept, so the
    offered load is about visitors / period messages per second."""
    if visitors < 0 or seconds < 0 or period <= 0 or not 0 <= jitter < 1:
        raise ValueError("need visitors >= 0, seconds >= 0, period > 0 and 0 <= jitter < 1")
    rng = random.Random(seed)
    schedule = []
    for _ in range(visitors):
        times = []
        moment = rng.uniform(0, period)
        while moment < seconds:
            times.append(moment)
            moment += period * rng.uniform(1 - jitter, 1 + jitter)
        schedule.append(times)
    return schedule


async def open_loop(
    opener: Opener,
    script_for: Callable[[int], Script],
    visitors: int,
    seconds: float,
    period: float = 5.0,
    jitter: float = 0.2,
    seed: int = 0,
    drain: float = 30.0,
) -> LoadResult:
    """Every visitor keeps one conversation for the step and sends its script on the schedule,
    never waiting for an answer. Messages still unanswered `drain` s after the step are errors."""
    result = LoadResult(visitors)
    schedule = open_loop_schedule(visitors, seconds, period, jitter, seed)
    loop = asyncio.get_running_loop()
    started = loop.time()
    give_up = started + seconds + drain

    async def message(conversation: Conversation, turn: Turn, due: float) -> None:
        ok = await conversation.say(turn, max(0.1, give_up - loop.time()))
        result.record(ok, loop.time() - due)

    async def visitor(index: int, times: list[float]) -> None:
        if not times:
            return
        # Open the chat a moment before the first message, as a visitor reads the welcome.
        await asyncio.sleep(max(0.0, started + times[0] - 1.0 - loop.time()))
        try:
            conversation = await asyncio.wait_for(opener(), max(0.1, give_up - loop.time()))
        except Exception:
            result.errors += len(times)
            return
        script = script_for(index)
        pending = []
        try:
            for number, offset in enumerate(times):
                await asyncio.sleep(max(0.0, started + offset - loop.time()))
                turn = script[number % len(script)]
                pending.append(asyncio.create_task(message(conversation, turn, started + offset)))
            await asyncio.gather(*pending)
        finally:
            await conversation.close()

    await asyncio.gather(*(visitor(index, times) for index, times in enumerate(schedule)))
    result.seconds = seconds
    return result


# --- Rasa's REST channel
class RestConversation:
    """One sender on Rasa's REST channel; a button click sends its payload as the message."""

    def __init__(self, session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> None:
        self.session, self.url, self.headers = session, url, headers
        self.sender = f"bench-{uuid.uuid4().hex}"

    async def say(self, turn: Turn, timeout: float) -> bool:
        body = {"sender": self.sender, "message": turn.payload or turn.text}
        try:
            async with self.session.post(
                self.url,
                json=body,
                headers=self.headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                await response.read()
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def close(self) -> None:
        return None


@contextlib.asynccontextmanager
async def rest_opener(base_url: str, token: str | None, connections: int) -> Any:
    """An opener of REST conversations sharing one pool of `connections` kept-alive sockets."""
    url = f"{base_url.rstrip('/')}/webhooks/rest/webhook"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    connector = aiohttp.TCPConnector(limit=max(1, connections))
    async with aiohttp.ClientSession(connector=connector) as session:

        async def opener() -> RestConversation:
            return RestConversation(session, url, headers)

        yield opener


def drive(
    base_url: str,
    token: str | None,
    concurrency: int,
    seconds: float,
    script: Sequence[str] = SCRIPT,
) -> LoadResult:
    """Run `concurrency` closed-loop conversations of `script` against Rasa's REST channel."""
    turns = [Turn(text) for text in script]

    async def run() -> LoadResult:
        async with rest_opener(base_url, token, concurrency) as opener:
            return await closed_loop(opener, lambda _: turns, concurrency, seconds, 60.0)

    return run_load(run())


T = TypeVar("T")


def run_load(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a load on uvloop (installed with Sanic), for both assistants alike: the load
    generator shares the cores with the servers it measures, so the less CPU it takes, the
    less it skews the figures."""
    return uvloop.run(coroutine)


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
