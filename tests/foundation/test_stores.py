"""Conversations survive a restart on SQLite and PostgreSQL; locks work on memory and Redis."""

from __future__ import annotations

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
