"""Where one message's time goes in ours, measured on the running production stack at one
conversation (no queueing): the whole turn through nginx and a hub, Rasa's REST channel alone
(through nginx's Rasa port), NLU alone (/model/parse), and the size of a short conversation's
tracker (Rasa reads and writes it every message, and sends it with every action-server call).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from typing import Any

import requests

from scripts.loadgen import LoadResult, closed_loop, rest_opener
from scripts.production import Production

SAMPLES = 40


def _median_ms(call: Any, samples: int) -> float:
    call()  # warm: the first call pays for lazy imports and connection set-up
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 1)


def rest_turns(production: Production, script_for: Any, seconds: float) -> LoadResult:
    """Our scripts at one conversation on Rasa's REST channel, skipping the hub."""

    async def run() -> LoadResult:
        async with rest_opener(production.rasa_url, production.settings["RASA_TOKEN"], 1) as op:
            return await closed_loop(op, script_for, 1, seconds)

    return asyncio.run(run())


def breakdown(
    production: Production, script_for: Any, hub_at_one: LoadResult | None, seconds: float
) -> dict[str, Any]:
    """Median milliseconds of each part (see the module's docstring), plus payload sizes."""
    token = production.settings["RASA_TOKEN"]
    rasa = production.rasa_url
    session = requests.Session()
    rest = rest_turns(production, script_for, seconds)
    parse_ms = _median_ms(
        lambda: session.post(
            f"{rasa}/model/parse",
            params={"token": token},
            json={"text": "how do i renew my green card"},
            timeout=30,
        ).raise_for_status(),
        SAMPLES,
    )
    sender = f"bench-breakdown-{uuid.uuid4().hex}"
    for text in ("hello", "how do i renew my green card", "thanks"):
        session.post(
            f"{rasa}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        ).raise_for_status()
    tracker = session.get(
        f"{rasa}/conversations/{sender}/tracker", params={"token": token}, timeout=30
    ).json()
    return {
        "hub_turn_p50_ms": None if hub_at_one is None else hub_at_one.summary()["p50_ms"],
        "rasa_rest_turn_p50_ms": rest.summary()["p50_ms"],
        "rasa_rest_msgs_per_s_at_1": rest.summary()["msgs_per_s"],
        "nlu_parse_p50_ms": parse_ms,
        "tracker_kb_after_3_messages": round(len(json.dumps(tracker)) / 1024, 1),
    }


def report(parts: dict[str, Any]) -> str:
    labels = {
        "hub_turn_p50_ms": "whole turn, WebSocket through nginx and a hub (p50 ms)",
        "rasa_rest_turn_p50_ms": "Rasa's REST channel alone, through nginx (p50 ms)",
        "rasa_rest_msgs_per_s_at_1": "Rasa's REST channel alone, messages/s at 1 conversation",
        "nlu_parse_p50_ms": "NLU only, /model/parse (median ms)",
        "tracker_kb_after_3_messages": "tracker after 3 messages (KiB of JSON)",
    }
    lines = ["| part | value |", "|---|---:|"]
    lines += [f"| {labels[key]} | {value} |" for key, value in parts.items()]
    return "\n".join(lines)
