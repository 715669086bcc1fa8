"""JSON for the conversation's tracker, encoded and decoded by orjson instead of `json`.

Rasa sends the whole tracker to the action server with every call, and the tracker store reads
and writes every event as JSON. In the human-paced bench each visitor keeps one conversation of
eight messages, whose tracker is about 32 KB by the end: `json.dumps` took 0.30 ms for it,
orjson 0.02 ms, and encoding was 8% of a Rasa replica's time (py-spy, docs/benchmark.md).
Anything orjson cannot encode (an integer beyond 64 bits, say) goes to `json` as before, so
nothing that worked stops working. Rasa's calls to endpoints use it through
`addons/endpoint_session.py`; the tracker store through `addons/tracker_store.py`.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def loads(text: str | bytes) -> Any:
    """`json.loads(text)`; what orjson refuses but `json` reads (a NaN that `json.dumps` wrote
    into a row before this module existed) goes to `json`."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def dumps(value: Any) -> str:
    """`json.dumps(value)`, the same data in compact form (UTF-8 left unescaped); numpy numbers
    are written as numbers, and NaN or infinity as null (`json` wrote NaN, which strict JSON
    parsers refuse)."""
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except TypeError:  # beyond orjson (a huge integer): `json` says yes or raises as before
        return json.dumps(value)
