"""Case-status lookups through the full stack: Rasa, the action server and the case-status
service, each a real process. Prints lookups per second and latency (p50/p95) of the turn that
carries the receipt number, at a few levels of concurrent conversations.

`make bench` calls `run_case_status_bench(stack)`; alone: `python -m scripts.bench_case_status`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections.abc import Sequence

import aiohttp

from scripts.loadgen import LoadResult
from scripts.stack import Stack, running_stack
from services.case_status.seed import SANDBOX_WITH_HISTORY, SANDBOX_WITHOUT_HISTORY

LEVELS = (1, 10)
RECEIPTS = SANDBOX_WITH_HISTORY + SANDBOX_WITHOUT_HISTORY + ["ZZZ0000000001"]
# The bench measures speed, so the limits against enumeration are lifted for it.
NO_LIMITS = {
    "CASE_STATUS_MAX_PER_CONVERSATION": "1000000",
    "CASE_STATUS_MAX_PER_VISITOR": "1000000",
}
SERVICE_NO_LIMITS = {
    "CASE_STATUS_RATE_PER_SECOND": "100000",
    "CASE_STATUS_RATE_PER_DAY": "100000000",
}
UNAVAILABLE_MARK = "can't reach the case status system"


async def _conversation(
    session: aiohttp.ClientSession, url: str, deadline: float, result: LoadResult, counts: dict
) -> None:
    sender = f"bench-case-{uuid.uuid4().hex}"
    while time.monotonic() < deadline:
        try:
            async with session.post(url, json={"sender": sender, "message": "/check_case_status"}):
                pass
            receipt = random.choice(RECEIPTS)
            started = time.monotonic()
            async with session.post(url, json={"sender": sender, "message": receipt}) as reply:
                body = await reply.json(content_type=None)
                ok = reply.status == 200 and bool(body)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            ok, body = False, []
        if not ok:
            result.errors += 1
            continue
        result.latencies.append(time.monotonic() - started)
        if any(UNAVAILABLE_MARK in (message.get("text") or "") for message in body):
            counts["unavailable"] += 1


async def _drive(stack: Stack, concurrency: int, seconds: float) -> tuple[LoadResult, int]:
    result, counts = LoadResult(concurrency), {"unavailable": 0}
    headers = {"Authorization": f"Bearer {stack.token}"}
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    async with aiohttp.ClientSession(
        headers=headers,
        timeout=aiohttp.ClientTimeout(total=60),
        connector=aiohttp.TCPConnector(limit=concurrency),
    ) as session:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(
            *(_conversation(session, url, deadline, result, counts) for _ in range(concurrency))
        )
        result.seconds = time.monotonic() - started
    return result, counts["unavailable"]


def _row(label: str, concurrency: int, result: LoadResult, unavailable: int) -> dict:
    return {
        "label": label,
        "concurrency": concurrency,
        "lookups": len(result.latencies),
        "lookups_per_second": result.messages_per_second,
        "p50_ms": result.percentile(0.50),
        "p95_ms": result.percentile(0.95),
        "errors": result.errors,
        "unavailable": unavailable,
    }


def measure(stack: Stack, levels: Sequence[int] = LEVELS, seconds: float = 15.0) -> list[dict]:
    """Drive `stack` (whose action server must have a case-status backend) at each level, then
    once with the service down: how long a visitor waits to hear that it is unavailable."""
    rows = []
    for concurrency in levels:
        rows.append(_row("up", concurrency, *asyncio.run(_drive(stack, concurrency, seconds))))
    if stack.case_status is not None:
        stack.case_status.set_down(True)
        try:
            rows.append(_row("down (503)", 1, *asyncio.run(_drive(stack, 1, seconds))))
        finally:
            stack.case_status.set_down(False)
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| service | conversations | lookups | lookups/s | p50 ms | p95 ms | errors "
        "| 'unavailable' |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['label']} | {row['concurrency']} | {row['lookups']} "
            f"| {row['lookups_per_second']:.1f} "
            f"| {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | {row['errors']} "
            f"| {row['unavailable']} |"
        )
    return "\n".join(lines)


def run_case_status_bench(
    stack: Stack | None = None, seconds: float = 15.0, levels: Sequence[int] = LEVELS
) -> list[dict]:
    """Print and return the figures. Uses `stack` when it runs the case-status service
    (`running_stack(case_status=True)`); otherwise starts a stack of its own with one, serving
    models/current.tar.gz (or ASSISTANT_MODEL)."""
    if getattr(stack, "case_status", None) is not None:
        assert stack is not None
        rows = measure(stack, levels, seconds)
    else:
        print("Starting Rasa, the action server and the case-status service ...", flush=True)
        with running_stack(
            extra_env=NO_LIMITS, case_status=True, case_status_env=SERVICE_NO_LIMITS
        ) as own:
            rows = measure(own, levels, seconds)
    print(table(rows), flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="load duration per level")
    parser.add_argument("--levels", type=int, nargs="+", default=list(LEVELS))
    args = parser.parse_args()
    run_case_status_bench(None, args.seconds, args.levels)
    return 0


if __name__ == "__main__":
    sys.exit(main())
