"""The frames the widget sends, checked before the hub acts on them.

Client to hub (JSON text frames):
  {"type": "hello", "token": str|null, "page_url": str, "page_language": "en"|"es",
   "language": "en"|"es"|null}
  {"type": "message", "id": client id, "text": str, "payload": "/intent"|null,
   "language": "en"|"es"|null}
  {"type": "ping"}
Hub to client: welcome, entry, typing, error, pong (see docs/webchat.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Half of a surrogate pair is a valid JSON escape ("\ud800") but no character: UTF-8 (the store,
# the next frame) cannot carry it. PostgreSQL's text cannot hold NUL ("\u0000") either.
UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")
PAYLOAD_RE = re.compile(r"/[A-Za-z0-9_]{1,80}(?:\{.{0,200}\})?", re.DOTALL)
LANGUAGES = ("en", "es")


class BadFrame(ValueError):
    """A frame the hub cannot act on; `code` tells the widget which."""

    def __init__(self, code: str = "bad_frame") -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Hello:
    token: str | None
    page_url: str
    page_language: str | None
    language: str | None


@dataclass(frozen=True)
class Message:
    client_id: str | None
    text: str
    payload: str | None
    language: str | None


@dataclass(frozen=True)
class Ping:
    pass


def _language(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip().lower()[:2]
        if value in LANGUAGES:
            return value
    return None


def _text(value: str) -> str:
    return UNSTORABLE_RE.sub("\ufffd", value)


def _short_string(value: Any, limit: int) -> str:
    return _text(value[:limit]) if isinstance(value, str) else ""


def parse(raw: str | bytes | None) -> Hello | Message | Ping:
    """Turn one WebSocket frame into a typed frame or raise BadFrame."""
    if not isinstance(raw, str):
        raise BadFrame()
    try:
        frame = json.loads(raw)
    except ValueError as error:
        raise BadFrame() from error
    if not isinstance(frame, dict):
        raise BadFrame()
    kind = frame.get("type")
    if kind == "hello":
        token = frame.get("token")
        return Hello(
            token=_text(token) if isinstance(token, str) else None,
            page_url=_short_string(frame.get("page_url"), 500),
            page_language=_language(frame.get("page_language")),
            language=_language(frame.get("language")),
        )
    if kind == "message":
        text, client_id, payload = frame.get("text"), frame.get("id"), frame.get("payload")
        if not isinstance(text, str):
            raise BadFrame()
        if client_id is not None and not (
            isinstance(client_id, str) and CLIENT_ID_RE.fullmatch(client_id)
        ):
            raise BadFrame()
        if payload is not None and not (isinstance(payload, str) and PAYLOAD_RE.fullmatch(payload)):
            raise BadFrame()
        return Message(
            client_id,
            _text(text),
            _text(payload) if payload is not None else None,
            _language(frame.get("language")),
        )
    if kind == "ping":
        return Ping()
    raise BadFrame()
