"""Lock store chosen by LOCK_STORE_URL: in-memory when empty, Redis for a `redis://` URL.

Both are Rasa's ticket lock stores with one fix: a ticket that is waiting stays alive while its
process waits. In Rasa 3.6 a waiting ticket expires `lock_lifetime` after it was issued, just like
the ticket being served. When a replica dies while serving a conversation, its ticket runs out at
about the moment the waiting one does (the same message, resent by nginx to the other replica);
the waiter polls once a second and, when it looks after both have run out, finds nobody served
and its own ticket gone, and waits for ever. The killed-replica fault test caught it: one message
held until the hub gave up. Here each poll moves the waiting ticket's expiry forward, so only the
tickets of processes that stopped polling (dead ones) run out.

It also makes fewer trips to Redis for the usual message, which finds nobody ahead of it: Rasa
reads and writes the lock seven times per message (issue: read, write; acquire: read; release:
read, write, read again, delete), synchronously, on the event loop. Here: issue (read, write),
the lock just written says whether the ticket is first, and release (read, then write or delete),
each through Redis's asynchronous client, so that a replica's other conversations go on while
it waits for Redis.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

import redis.asyncio as aioredis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import (
    LOCK_LIFETIME,
    InMemoryLockStore,
    LockError,
    LockStore,
    RedisLockStore,
)
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError


class WaitingTicketsStayAlive(LockStore):
    """Rasa's `lock()`, with the waiting ticket's expiry renewed on every poll. It reads and
    writes locks through `_read`, `_write` and `_delete`, which a store may make asynchronous."""

    async def _read(self, conversation_id: str) -> TicketLock | None:
        return self.get_lock(conversation_id)

    async def _write(self, lock: TicketLock) -> None:
        self.save_lock(lock)

    async def _delete(self, conversation_id: str) -> None:
        self.delete_lock(conversation_id)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        issued, ticket = await self._issue(conversation_id, lock_lifetime)
        try:
            if issued.is_locked(ticket):
                issued = await self._wait_for_turn(
                    conversation_id, ticket, lock_lifetime, wait_time_in_seconds
                )
            yield issued
        finally:
            await self._release(conversation_id, ticket)

    async def _issue(self, conversation_id: str, lifetime: float) -> tuple[TicketLock, int]:
        """Rasa's `issue_ticket`, also handing back the lock as it was written."""
        try:
            lock = await self._read(conversation_id) or self.create_lock(conversation_id)
            ticket = lock.issue_ticket(lifetime)
            await self._write(lock)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return lock, ticket

    async def _release(self, conversation_id: str, ticket: int) -> None:
        """Rasa's `cleanup` with one read: drop the ticket, delete the lock if nobody waits."""
        lock = await self._read(conversation_id)
        if lock is None:
            return
        lock.remove_ticket_for(ticket)
        if lock.is_someone_waiting():
            await self._write(lock)
        else:
            await self._delete(conversation_id)

    async def _wait_for_turn(
        self, conversation_id: str, ticket: int, lifetime: float, wait: float
    ) -> TicketLock:
        while True:
            lock = await self._read(conversation_id)
            if lock is None:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait)
            await self._renew_and_prune(conversation_id, ticket, lifetime)

    async def _renew_and_prune(self, conversation_id: str, ticket: int, lifetime: float) -> None:
        """Keep our ticket (re-issuing its number if it had run out), drop expired ones."""
        lock = await self._read(conversation_id) or self.create_lock(conversation_id)
        expires = time.time() + lifetime
        mine = next((t for t in lock.tickets if t.number == ticket), None)
        if mine is None:
            lock.tickets.append(Ticket(ticket, expires))
            lock.tickets.sort(key=lambda t: t.number)  # served in the order they were issued
        else:
            mine.expires = expires
        lock.remove_expired_tickets()
        await self._write(lock)


class ConversationRedisLockStore(WaitingTicketsStayAlive, RedisLockStore):
    """Rasa's Redis lock store with waiting tickets kept alive, and `lock()` on Redis's
    asynchronous client (Rasa's own methods keep the blocking one): the same keys and values."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._url = url
        self._client: tuple[asyncio.AbstractEventLoop, aioredis.Redis] | None = None

    def _redis(self) -> aioredis.Redis:
        """A client for the running event loop (a server has one; a script may run several)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client[0] is not loop:
            # A connection the pool kept across a Redis restart is dead: one retry on a fresh
            # one (reading, writing and deleting the lock each give the same result twice).
            client = aioredis.Redis.from_url(
                self._url,
                socket_timeout=self.red.connection_pool.connection_kwargs.get("socket_timeout"),
                retry=Retry(NoBackoff(), 1),
                retry_on_error=[RedisConnectionError],
            )
            self._client = (loop, client)
        return self._client[1]

    async def _read(self, conversation_id: str) -> TicketLock | None:
        serialised = await self._redis().get(self.key_prefix + conversation_id)
        return TicketLock.from_dict(json.loads(serialised)) if serialised else None

    async def _write(self, lock: TicketLock) -> None:
        await self._redis().set(self.key_prefix + lock.conversation_id, lock.dumps())

    async def _delete(self, conversation_id: str) -> None:
        await self._redis().delete(self.key_prefix + conversation_id)


class ConversationInMemoryLockStore(WaitingTicketsStayAlive, InMemoryLockStore):
    """Rasa's in-memory lock store with waiting tickets kept alive."""


def lock_store_from_url(url: str | None) -> LockStore:
    """Build the lock store a URL names; an empty URL keeps locks in this process."""
    if not url:
        return ConversationInMemoryLockStore()
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss"):
        raise ValueError(f"LOCK_STORE_URL must be empty or a redis:// URL, not {parsed.scheme!r}")
    db = int(parsed.path.lstrip("/") or 0)
    return ConversationRedisLockStore(
        url,
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 6379,
        db=db,
        password=parsed.password,
        use_ssl=parsed.scheme == "rediss",
        key_prefix=os.environ.get("LOCK_STORE_PREFIX", "assistant"),
    )


class ConfiguredLockStore:
    """Entry point for endpoints.yml: Rasa instantiates it, it returns the configured store."""

    def __new__(cls, endpoint_config: Any = None) -> LockStore:  # type: ignore[misc]
        return lock_store_from_url(os.environ.get("LOCK_STORE_URL"))
