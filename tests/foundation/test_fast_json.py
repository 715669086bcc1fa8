"""The tracker reaches the action server intact with the faster encoder (addons/fast_json.py):
every kind of event, Spanish text, numpy numbers, and values only `json` can encode, sent over
real HTTP the way Rasa calls the action server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig

import addons  # noqa: F401  (importing the package installs the encoder)
from addons import endpoint_session, fast_json
from tests.foundation.webhook_server import ANSWER, Server


def tracker_state() -> dict[str, Any]:
    domain = Domain.from_dict({"slots": {"language": {"type": "text", "mappings": []}}})
    tracker = DialogueStateTracker.from_events(
        "visitor-1",
        [
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered(
                "¿Cómo renuevo mi tarjeta verde? <b>ya</b> \u2028 😀",
                {"name": "renew_green_card", "confidence": 0.93},
                [{"entity": "form", "value": "I-90", "start": 0, "end": 4}],
                message_id="hub-7",
            ),
            SlotSet("language", "es"),
            ActiveLoop("case_status_form"),
            BotUttered(
                "Puede renovarla en línea.", {"buttons": [{"title": "Sí", "payload": "/affirm"}]}
            ),
        ],
        domain.slots,
    )
    return tracker.current_state(EventVerbosity.ALL)


async def received_by_server(payload: Any) -> Any:
    """What an HTTP server receives when Rasa's EndpointConfig posts `payload` as JSON."""
    server = Server()
    await server.start()
    try:
        answer = await server.endpoint().request(json=payload)
    finally:
        await endpoint_session.close_all()
        await server.stop()
    assert answer == ANSWER
    return server.seen[0]["body"]


def test_rasa_posts_the_whole_tracker_unchanged() -> None:
    state = tracker_state()
    assert asyncio.run(received_by_server(state)) == json.loads(json.dumps(state))


def test_rasa_uses_the_faster_encoder() -> None:
    assert EndpointConfig.session is endpoint_session.session
    state = tracker_state()
    assert fast_json.dumps(state) != json.dumps(state)  # compact, and UTF-8 left as it is
    assert json.loads(fast_json.dumps(state)) == json.loads(json.dumps(state))


@pytest.mark.parametrize(
    "value",
    [
        {"confidence": np.float32(0.5), "ranking": np.array([0.25, 0.75])},
        {"big": 2**70, "text": "ok"},  # beyond orjson: `json` encodes it
        {1: "a key that is not a string"},
    ],
)
def test_numpy_numbers_huge_integers_and_other_keys_reach_the_server(value: dict[Any, Any]) -> None:
    expected = json.loads(json.dumps(value, default=lambda item: item.tolist()))
    assert asyncio.run(received_by_server(value)) == expected


def test_a_row_json_wrote_before_reads_back() -> None:
    written_by_json = json.dumps({"text": "¿Qué?", "confidence": float("nan")})
    read = fast_json.loads(written_by_json)
    assert read["text"] == "¿Qué?" and read["confidence"] != read["confidence"]  # NaN


def test_what_json_refuses_is_still_refused() -> None:
    with pytest.raises(TypeError):
        fast_json.dumps({"set": {1, 2}})
