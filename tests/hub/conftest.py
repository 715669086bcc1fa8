"""One real hub per test module, relaying to the session's real Rasa stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.stack import HubProcess, Stack, running_hub


@pytest.fixture(scope="module")
def hub(stack: Stack) -> Iterator[HubProcess]:
    with running_hub(stack) as running:
        yield running
