"""The same fuzzing against a hub whose transcripts, accounts and chats live in PostgreSQL (the
server option): that database refuses text SQLite takes (NUL characters), so what reaches it
must have been cleaned first. The tests are those of the SQLite modules, collected here again
with this module's `hub`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.stack import HubProcess, Stack
from tests.fuzz.conftest import fuzz_hub
from tests.fuzz.test_hub_http_fuzz import test_every_route_survives_any_request
from tests.fuzz.test_hub_ws_fuzz import test_typed_text_is_kept_as_text
from tests.handoff.support import Mailbox, fresh_postgres

pytestmark = pytest.mark.rasa

__all__ = ["test_every_route_survives_any_request", "test_typed_text_is_kept_as_text"]


@pytest.fixture(scope="module")
def hub(stack: Stack, mailbox: Mailbox) -> Iterator[HubProcess]:
    with fresh_postgres() as url, fuzz_hub(stack, mailbox, url) as running:
        yield running
