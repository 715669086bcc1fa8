"""The handoff's full stack: Rasa and an action server that know the hub's internal URL, the
hub with the handoff on a port chosen in advance, a real SMTP server, and Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.stack import free_port, running_stack
from tests.handoff.support import (
    INTERNAL_TOKEN,
    HandoffStack,
    Live,
    Mailbox,
    create_account,
    handoff_hub,
)


@pytest.fixture(scope="package")
def handoff_stack() -> Iterator[HandoffStack]:
    """Rasa + actions pointing at a hub that does not exist yet; the hub comes per module."""
    port = free_port()
    env = {"HUB_INTERNAL_URL": f"http://127.0.0.1:{port}", "HUB_INTERNAL_TOKEN": INTERNAL_TOKEN}
    mailbox = Mailbox()
    mailbox.start()
    try:
        with running_stack(env) as stack:
            yield HandoffStack(stack, port, mailbox)
    finally:
        mailbox.stop()


@pytest.fixture(scope="module")
def live(handoff_stack: HandoffStack) -> Iterator[Live]:
    """The hub with the handoff, on the port the action server calls, with two accounts."""
    extra = {"HANDOFF_SMTP_PORT": str(handoff_stack.mailbox.port)}
    with handoff_hub(
        extra,
        port=handoff_stack.port,
        rasa_url=handoff_stack.stack.rasa_url,
        rasa_token=handoff_stack.stack.token,
    ) as hub:
        create_account(hub, "maria", "Maria")
        create_account(hub, "sam", "Sam", "supervisor")
        yield Live(handoff_stack.stack, hub, handoff_stack.mailbox)
