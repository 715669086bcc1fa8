"""Bench of the chat hub: concurrent visitors over WebSockets, against Rasa called directly.

Each visitor opens its own WebSocket, says hello to the hub and sends the shared visitor script
back to back (the next message leaves when the turn has ended, i.e. the hub said typing=false).
The same number of conversations then calls Rasa's REST channel directly for the same time.
The difference in latency is what the hub adds (transcripts, relaying, fan-out).

`make bench` calls `run_hub_bench(stack)`; alone: `.venv/bin/python -m scripts.bench_hub`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from typing import Any

import websockets

from scripts.loadgen import SCRIPT, LoadResult, drive, run_load
from scripts.stack import Stack, running_stack, start_hub

VISITORS = 50
SECONDS = 15.0
TURN_TIMEOUT = 60.0


async def _visitor(ws_url: str, origin: str, deadline: float, result: LoadResult) -> None:
    try:
        ws = await websockets.connect(ws_url, origin=origin, open_timeout=30, max_size=None)
    except (OSError, websockets.WebSocketException, asyncio.TimeoutError):
        result.errors += 1
        return
    try:
        await ws.send(json.dumps({"type": "hello", "page_url": origin, "page_language": "en"}))
        while json.loads(await asyncio.wait_for(ws.recv(), TURN_TIMEOUT))["type"] != "welcome":
            pass
        index = 0
        while time.monotonic() < deadline:
            text = SCRIPT[index % len(SCRIPT)]
            index += 1
            started = time.monotonic()
            frame = {"type": "message", "id": uuid.uuid4().hex, "text": text}
            await ws.send(json.dumps(frame))
            ok = True
            while True:
                reply = json.loads(await asyncio.wait_for(ws.recv(), TURN_TIMEOUT))
                if reply["type"] == "error":
                    ok = False
                    break
                if reply["type"] == "entry" and reply["entry"]["role"] == "system":
                    ok = False  # the hub apologised: Rasa did not answer in time
                if reply["type"] == "typing" and not reply["active"]:
                    break
            if ok:
                result.latencies.append(time.monotonic() - started)
            else:
                result.errors += 1
    except (websockets.WebSocketException, asyncio.TimeoutError, OSError):
        result.errors += 1
    finally:
        await ws.close()


async def _drive_hub(hub_url: str, visitors: int, seconds: float) -> LoadResult:
    ws_url = hub_url.replace("http", "ws", 1).rstrip("/") + "/ws"
    result = LoadResult(visitors)
    started = time.monotonic()
    await asyncio.gather(
        *(_visitor(ws_url, hub_url.rstrip("/"), started + seconds, result) for _ in range(visitors))
    )
    result.seconds = time.monotonic() - started
    return result


def drive_hub(hub_url: str, visitors: int, seconds: float) -> LoadResult:
    """`visitors` concurrent WebSocket conversations through the hub for `seconds`."""
    return run_load(_drive_hub(hub_url, visitors, seconds))


def _row(path: str, result: LoadResult) -> dict[str, Any]:
    return {
        "path": path,
        "visitors": result.concurrency,
        "messages": len(result.latencies),
        "msgs_per_s": round(result.messages_per_second, 1),
        "p50_ms": round(result.percentile(0.5)),
        "p95_ms": round(result.percentile(0.95)),
        "errors": result.errors,
    }


def run_hub_bench(
    stack: Stack,
    hub_url: str | None = None,
    visitors: int = VISITORS,
    seconds: float = SECONDS,
) -> list[dict[str, Any]]:
    """Measure the hub (started here unless `hub_url` names a running one) and Rasa directly;
    print a table and return its rows."""
    hub = None
    if hub_url is None:
        # No rate limit and a long Rasa timeout: the bench measures speed, not the guards.
        hub = start_hub(stack, {"HUB_MESSAGES_PER_MINUTE": "1000000", "HUB_RASA_TIMEOUT": "60"})
        hub_url = hub.url
    try:
        drive_hub(hub_url, 2, 3.0)  # warm-up
        through_hub = drive_hub(hub_url, visitors, seconds)
    finally:
        if hub is not None:
            hub.stop()
    direct = drive(stack.rasa_url, stack.token, visitors, seconds)
    rows = [_row("hub (WebSocket)", through_hub), _row("Rasa directly (REST)", direct)]
    rows.append(
        {
            "path": "added by the hub",
            "visitors": visitors,
            "msgs_per_s": round(rows[0]["msgs_per_s"] - rows[1]["msgs_per_s"], 1),
            "p50_ms": rows[0]["p50_ms"] - rows[1]["p50_ms"],
            "p95_ms": rows[0]["p95_ms"] - rows[1]["p95_ms"],
        }
    )
    print(report(rows, seconds), flush=True)
    return rows


def report(rows: list[dict[str, Any]], seconds: float) -> str:
    lines = [
        f"{rows[0]['visitors']} concurrent visitors, {seconds:.0f} s each path, same run",
        "",
        "| path                 | messages | msg/s | p50 ms | p95 ms | errors |",
        "| -------------------- | -------: | ----: | -----: | -----: | -----: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['path']:<20} | {row.get('messages', ''):>8} | {row['msgs_per_s']:>5} "
            f"| {row['p50_ms']:>6} | {row['p95_ms']:>6} | {row.get('errors', ''):>6} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=VISITORS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    args = parser.parse_args()
    with running_stack() as stack:
        run_hub_bench(stack, visitors=args.visitors, seconds=args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
