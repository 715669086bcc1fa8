"""Shared fixtures: a real Rasa server and action server, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.stack import Stack, running_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """Rasa (trained model, REST channel, token-protected API) and the action server."""
    with running_stack() as running:
        yield running


def texts(messages: list[dict]) -> str:
    """All bot texts of one reply, joined, for assertions on what the visitor reads."""
    return "\n".join(message.get("text", "") for message in messages)
