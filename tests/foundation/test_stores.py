"""Conversations survive a restart on SQLite and PostgreSQL; locks work on memory and Redis."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import psycopg2
import pytest
import redis
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore

from addons.lock_store import lock_store_from_url
from scripts.stack import running_stack
from tests.conftest import texts

pytestmark = pytest.mark.rasa

REDIS = "redis://127.0.0.1:6379/0"


def visitor_turns(tracker: dict) -> list[str]:
    return [event["text"] for event in tracker["events"] if event.get("event") == "user"]


def assert_conversation_survives_restart(store_url: str) -> None:
    sender = f"restart-{uuid.uuid4().hex}"
    with running_stack({"TRACKER_STORE_URL": store_url}) as first:
        assert "Soy Ellis" in texts(first.send(sender, "hola"))
    with running_stack({"TRACKER_STORE_URL": store_url}) as second:
        assert visitor_turns(second.tracker(sender)) == ["hola"]
        # The language chosen before the restart is still in force for a short reply.
        assert "De acuerdo" in texts(second.send(sender, "ok"))


def test_sqlite_conversation_survives_a_restart(tmp_path: Path) -> None:
    assert_conversation_survives_restart(f"sqlite:///{tmp_path}/tracker.db")


def test_postgresql_conversation_survives_a_restart(postgres_database: str) -> None:
    assert_conversation_survives_restart(postgres_database)
    with psycopg2.connect(postgres_database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM events WHERE type_name = 'user'")
        assert cursor.fetchone()[0] == 2


def test_empty_lock_store_url_keeps_locks_in_memory() -> None:
    assert isinstance(lock_store_from_url(""), InMemoryLockStore)


def test_redis_lock_store_takes_and_releases_locks_in_redis() -> None:
    prefix_check = redis.Redis.from_url(REDIS)
    store = lock_store_from_url(REDIS)
    assert isinstance(store, RedisLockStore)
    conversation = f"lock-{uuid.uuid4().hex}"
    ticket = store.issue_ticket(conversation)
    lock = store.get_lock(conversation)
    assert lock is not None and lock.is_someone_waiting()
    assert prefix_check.exists(f"assistant:lock:{conversation}")
    store.cleanup(conversation, ticket)
    assert not prefix_check.exists(f"assistant:lock:{conversation}")


def test_rasa_serves_conversations_with_the_redis_lock_store(tmp_path: Path) -> None:
    env = {"TRACKER_STORE_URL": f"sqlite:///{tmp_path}/tracker.db", "LOCK_STORE_URL": REDIS}
    with running_stack(env) as stack:
        sender = f"redis-{uuid.uuid4().hex}"
        assert "I'm Ellis" in texts(stack.send(sender, "hello"))
        assert "welcome" in texts(stack.send(sender, "thanks"))


@pytest.mark.parametrize("url", ["", REDIS], ids=["memory", "redis"])
async def test_a_message_waiting_behind_a_dead_replicas_ticket_gets_its_turn(url: str) -> None:
    """A replica died holding a conversation's ticket (it never releases it); the same message,
    resent to the other replica, waits behind it. Its turn must come when the dead ticket runs
    out, even though its own ticket was issued with the same lifetime and polls only every
    0.2 s (Rasa's own lock store then finds both tickets gone and waits for ever)."""
    store = lock_store_from_url(url)
    conversation = f"dead-{uuid.uuid4().hex}"
    store.issue_ticket(conversation, lock_lifetime=0.5)  # the dead replica's ticket

    async def waiting_replica() -> bool:
        async with store.lock(conversation, lock_lifetime=0.5, wait_time_in_seconds=0.2):
            return True

    assert await asyncio.wait_for(waiting_replica(), timeout=5)
    assert store.get_lock(conversation) is None  # released and removed afterwards


async def test_a_waiting_ticket_does_not_jump_the_queue() -> None:
    """While the holder is alive and working, the waiter waits, however long that takes."""
    store = lock_store_from_url("")
    conversation = f"busy-{uuid.uuid4().hex}"
    order: list[str] = []

    async def replica(name: str, work: float) -> None:
        async with store.lock(conversation, lock_lifetime=0.3, wait_time_in_seconds=0.05):
            order.append(f"{name} start")
            await asyncio.sleep(work)
            order.append(f"{name} end")

    first = asyncio.create_task(replica("first", 0.2))
    await asyncio.sleep(0.01)
    await asyncio.wait_for(asyncio.gather(first, replica("second", 0)), timeout=5)
    assert order == ["first start", "first end", "second start", "second end"]
