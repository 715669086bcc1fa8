"""After PostgreSQL drops its connections (a restart, a failover), the next message works.

The per-message calls run without a ping before each use (services/database.py), so a pooled
connection may turn out dead only when used; the call is then made again on a fresh one, and the
visitor never sees the outage that is already over.
"""

from __future__ import annotations

import asyncio
import uuid

from services.case_status.seed import seed
from services.case_status.store import CaseStore
from services.hub.store import TranscriptStore
from tests.conftest import drop_connections
from tests.foundation.test_tracker_store import one_turn, replica


def test_the_hub_stores_the_next_message_after_the_database_dropped_its_connections(
    postgres_database: str,
) -> None:
    store = TranscriptStore(postgres_database)
    try:
        conversation = store.create_conversation("visitor-1")
        store.append_and_read_state(conversation.id, "visitor", "hello", None, "c1")
        assert drop_connections(postgres_database) >= 1
        entry, new, state = store.append_and_read_state(
            conversation.id, "visitor", "are you still there?", None, "c2"
        )
        assert (new, state) == (True, "bot")
        assert drop_connections(postgres_database) >= 1
        history = store.history(conversation.id)
        assert [e.text for e in history] == ["hello", "are you still there?"]
        assert history[-1].id == entry.id
    finally:
        store.close()


async def test_the_hubs_event_loop_writes_survive_dropped_connections_and_resends(
    postgres_database: str,
) -> None:
    """The path every visitor's tab and message takes in a hub on PostgreSQL (asyncpg, no
    thread)."""
    store = TranscriptStore(postgres_database)
    await store.start()
    try:
        assert store.runs_async
        conversation = await store.create_conversation_async("visitor-3")
        assert store.get_conversation(conversation.id) == conversation
        await store.insert_async(conversation.id, [("visitor", "hello", None)], "c1")
        assert drop_connections(postgres_database) >= 1
        (entry,), new = await store.insert_async(
            conversation.id, [("visitor", "my receipt is EAC9999103403", None)], "c2"
        )
        assert (new, entry.conversation_state, entry.text) == (
            True,
            "bot",
            "my receipt is EAC******3403",
        )
        # The same client message again (a resend after a network drop): the stored one, once.
        (again,), new = await store.insert_async(
            conversation.id, [("visitor", "my receipt is EAC9999103403", None)], "c2"
        )
        assert (new, again.id) == (False, entry.id)
        answers, _ = await store.insert_async(
            conversation.id, [("bot", "one", None), ("bot", "two", {"buttons": []})]
        )
        assert [a.id for a in answers] == sorted(a.id for a in answers)
        history = store.history(conversation.id)
        assert [e.text for e in history] == ["hello", entry.text, "one", "two"]
        # A tab opening again (after a hub restart, say) reads the same through the loop.
        assert drop_connections(postgres_database) >= 1
        assert await store.history_async(conversation.id) == history
        assert await store.history_async(conversation.id, limit=2) == history[-2:]
        assert await store.get_conversation_async(conversation.id) == conversation
        assert await store.get_conversation_async("nobody") is None
    finally:
        await store.close_async()
        store.close()


def test_rasa_reads_the_conversation_after_the_database_dropped_its_connections(
    postgres_database: str,
) -> None:
    store = replica(postgres_database)

    async def run() -> None:
        await one_turn(store, "visitor-2", "hello", "hub-1")
        assert drop_connections(postgres_database) >= 1
        tracker = await store.retrieve("visitor-2")
        assert tracker is not None and tracker.latest_message.text == "hello"
        await one_turn(store, "visitor-2", "and again", "hub-2")
        assert drop_connections(postgres_database) >= 1
        tracker = await store.retrieve("visitor-2")
        assert tracker is not None and tracker.latest_message.text == "and again"

    asyncio.run(run())


def test_a_case_is_found_after_the_database_dropped_its_connections(
    postgres_database: str,
) -> None:
    store = CaseStore(postgres_database)
    try:
        seed(store)
        receipt = store.list(limit=1)[0].receipt_number
        assert store.get(receipt) is not None
        assert drop_connections(postgres_database) >= 1
        found = store.get(receipt)
        assert found is not None and found.receipt_number == receipt
        assert store.get("EAC" + uuid.uuid4().hex[:10].upper()) is None
    finally:
        store.close()
