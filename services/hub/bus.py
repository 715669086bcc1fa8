"""The message bus that lets several hub processes serve one set of conversations.

A hub holds only its own WebSockets (visitor tabs, agent consoles). Every frame meant for
sockets goes through the bus as `publish(topic, message)`; every hub runs the handlers it
subscribed for that topic and delivers to the sockets it holds. So a tab on hub A and an
agent on hub B see the same messages, each exactly once.

`LocalBus` (HUB_BUS_URL empty) calls the handlers in this process: one hub, as before.
`RedisBus` (HUB_BUS_URL=redis://...) sends through Redis pub/sub: messages for everyone (agent
consoles, presence) on one shared channel, a conversation's frames on a channel of its own that
only the hubs holding one of its tabs subscribe to (`join` / `leave`), so a hub's share of the
traffic does not grow with the number of hubs. When Redis is unreachable it says so in the log
once, delivers to this hub's own sockets directly (they keep working; other hubs miss those
frames) and resubscribes by itself, to every channel it had joined, when Redis returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from redis import asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from services.hub.sessions import new_id

log = logging.getLogger("hub.bus")

Handler = Callable[[dict[str, Any]], Awaitable[None]]
# How long a Redis lock is held at most when its holder dies before releasing it.
LOCK_SECONDS = 30.0
RETRY_SECONDS = (0.5, 1.0, 2.0)
# How long joining a conversation's channel waits for Redis to confirm the subscription.
CONFIRM_SECONDS = 3.0


class LocalBus:
    """One process: publishing runs the subscribed handlers right away."""

    shared = False

    def __init__(self) -> None:
        self.hub_id = new_id()
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @property
    def state(self) -> str:
        """For /health: "local", "ok" or "lost"."""
        return "local"

    def subscribe(self, topic: str, handler: Handler) -> None:
        self._handlers[topic].append(handler)

    async def join(self, topic: str, key: str) -> None:
        """Receive `topic`'s messages published for `key` from now on (one process receives
        them all anyway)."""

    def leave(self, topic: str, key: str) -> None:
        """No longer receive `topic`'s messages for `key`."""

    async def start(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """Nothing to disconnect from."""

    async def publish(self, topic: str, message: dict[str, Any], key: str | None = None) -> None:
        """To every hub, or with `key` only to the hubs that joined (`topic`, `key`)."""
        await self._deliver(topic, message)

    async def _deliver(self, topic: str, message: dict[str, Any]) -> None:
        for handler in list(self._handlers.get(topic, ())):
            try:
                await handler(message)
            except Exception:  # one broken handler must not stop the others
                log.exception("bus handler for %r failed", topic)

    @contextlib.asynccontextmanager
    async def lock(self, name: str) -> AsyncIterator[None]:
        """Run one block at a time per name (across every hub when the bus is shared)."""
        async with self._locks[name]:
            yield


class RedisBus(LocalBus):
    """Several processes: the channel `<prefix>:bus` carries the messages for every hub,
    `<prefix>:bus:<topic>:<key>` those for the hubs that joined that key."""

    shared = True

    def __init__(self, url: str, prefix: str) -> None:
        super().__init__()
        self.url = url
        self.prefix = prefix
        self.channel = f"{prefix}:bus"
        # Publishing and locks answer within seconds or count as an outage; the subscriber's
        # connection waits for messages as long as it takes, so it has no read timeout.
        self._redis = client(url)
        self._listener = aioredis.Redis.from_url(
            url, socket_connect_timeout=3, health_check_interval=10
        )
        self._subscribed = False
        self._lost_logged = False
        self._task: asyncio.Task | None = None
        self._ready = asyncio.Event()
        # The keyed channels joined, kept across an outage (subscribed again on reconnecting);
        # their SUBSCRIBE and UNSUBSCRIBE go out in the order the set changed (one lock).
        self._pubsub: PubSub | None = None
        self._joined: set[str] = set()
        self._membership = asyncio.Lock()
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self._leaving: set[asyncio.Task] = set()

    @property
    def state(self) -> str:
        return "ok" if self._subscribed else "lost"

    async def start(self) -> None:
        """Subscribe before serving, so no frame published after start is missed; if Redis is
        down now, serve local sockets and keep trying in the background."""
        self._task = asyncio.create_task(self._listen(), name="hub-bus")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._ready.wait(), 5)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._leaving):  # nothing to unsubscribe from once closed
            task.cancel()
        for client in (self._redis, self._listener):
            with contextlib.suppress(Exception):
                await client.close(close_connection_pool=True)

    def channel_for(self, topic: str, key: str | None) -> str:
        return self.channel if key is None else f"{self.channel}:{topic}:{key}"

    async def join(self, topic: str, key: str) -> None:
        """Subscribe to the key's channel; returns once Redis has confirmed it (at most a few
        seconds), so that nothing published afterwards is missed. Without Redis, only noted:
        the listener subscribes when Redis returns."""
        channel = self.channel_for(topic, key)
        async with self._membership:
            confirmation = self._confirmations.get(channel)
            if channel not in self._joined:
                self._joined.add(channel)
                pubsub = self._pubsub
                if not self._subscribed or pubsub is None:
                    return
                confirmation = asyncio.get_running_loop().create_future()
                self._confirmations[channel] = confirmation
                try:
                    await pubsub.subscribe(channel)
                except (RedisError, OSError) as error:
                    self._confirmations.pop(channel, None)
                    self._lost(error)
                    return
        if confirmation is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(confirmation), CONFIRM_SECONDS)

    def leave(self, topic: str, key: str) -> None:
        """Unsubscribe from the key's channel (in the background; not if joined again first)."""
        channel = self.channel_for(topic, key)
        self._joined.discard(channel)
        task = asyncio.get_running_loop().create_task(self._unsubscribe(channel))
        self._leaving.add(task)  # the loop keeps only a weak reference
        task.add_done_callback(self._leaving.discard)

    async def _unsubscribe(self, channel: str) -> None:
        async with self._membership:
            pubsub = self._pubsub
            if channel in self._joined or not self._subscribed or pubsub is None:
                return
            try:
                await pubsub.unsubscribe(channel)
            except (RedisError, OSError) as error:
                self._lost(error)

    async def publish(self, topic: str, message: dict[str, Any], key: str | None = None) -> None:
        if self._subscribed:
            data = json.dumps({"topic": topic, "from": self.hub_id, "message": message})
            try:
                await self._redis.publish(self.channel_for(topic, key), data)
                return  # this hub's own subscriber delivers it, like every other hub's
            except (RedisError, OSError) as error:
                self._lost(error)
        # Redis is gone: this hub's sockets still get it, once.
        await self._deliver(topic, message)

    @contextlib.asynccontextmanager
    async def lock(self, name: str) -> AsyncIterator[None]:
        """A Redis lock (per name, for every hub) inside this process's own lock; without
        Redis, the process's own lock only."""
        async with self._locks[name]:
            held = None
            if self._subscribed:
                key = f"{self.prefix}:lock:{name}"
                held = self._redis.lock(key, timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS)
                try:
                    if not await held.acquire():
                        held = None
                except (RedisError, OSError) as error:
                    self._lost(error)
                    held = None
            try:
                yield
            finally:
                if held is not None:
                    with contextlib.suppress(RedisError, OSError):
                        await held.release()

    def _lost(self, error: BaseException) -> None:
        self._subscribed = False
        if not self._lost_logged:
            self._lost_logged = True
            log.error(
                "Redis bus at %s unreachable (%s): this hub serves only its own sockets until "
                "it returns; other hubs do not see its messages meanwhile",
                _safe(self.url),
                error,
            )

    async def _listen(self) -> None:
        """Subscribe, deliver, and after any failure subscribe again, for as long as we run."""
        attempt = 0
        while True:
            pubsub = self._listener.pubsub()
            try:
                async with self._membership:  # no join or leave in between
                    channels = [self.channel, *sorted(self._joined)]
                    await pubsub.subscribe(*channels)
                    # The confirmations prove the subscriptions are live before we rely on them.
                    unconfirmed = set(channels)
                    deadline = asyncio.get_running_loop().time() + CONFIRM_SECONDS
                    while unconfirmed:
                        if asyncio.get_running_loop().time() > deadline:
                            raise RedisConnectionError("Redis did not confirm the subscriptions")
                        message = await pubsub.get_message(timeout=1.0)
                        if message is None:
                            continue
                        if message.get("type") == "subscribe":
                            unconfirmed.discard(_text(message["channel"]))
                        elif message.get("type") == "message":
                            await self._dispatch(message["data"])
                    self._pubsub = pubsub
                if self._lost_logged:
                    log.warning("Redis bus at %s is back: resubscribed", _safe(self.url))
                self._lost_logged = False
                self._subscribed = True
                self._ready.set()
                attempt = 0
                while self._subscribed:  # a failed publish ends it too: subscribe afresh
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message.get("type") == "message":
                        await self._dispatch(message["data"])
                    elif message.get("type") == "subscribe":
                        self._confirmed(_text(message["channel"]))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as error:
                self._lost(error)
            except Exception:  # never let the subscriber die: log and start over
                log.exception("Redis bus subscriber failed")
                self._subscribed = False
            finally:
                self._pubsub = None
                for confirmation in self._confirmations.values():
                    if not confirmation.done():  # its joiner stops waiting; joined it stays
                        confirmation.set_result(None)
                self._confirmations.clear()
                with contextlib.suppress(Exception):
                    await pubsub.reset()
            self._ready.set()  # start() stops waiting: the hub serves its own sockets meanwhile
            await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
            attempt += 1

    def _confirmed(self, channel: str) -> None:
        confirmation = self._confirmations.pop(channel, None)
        if confirmation is not None and not confirmation.done():
            confirmation.set_result(None)

    async def _dispatch(self, raw: bytes | str) -> None:
        try:
            envelope = json.loads(raw)
            topic, message = envelope["topic"], envelope["message"]
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed message on %s", self.channel)
            return
        await self._deliver(topic, message)


def client(url: str) -> aioredis.Redis:
    """A Redis client whose calls answer within seconds or count as an outage. A connection
    the pool kept across an outage is dead: one retry on a fresh connection (a refused write
    never reached Redis, so nothing is sent twice)."""
    return aioredis.Redis.from_url(
        url,
        socket_timeout=3,
        socket_connect_timeout=3,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _safe(url: str) -> str:
    """The URL without a password, for the log."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"


def make_bus(url: str, prefix: str) -> LocalBus:
    return RedisBus(url, prefix) if url else LocalBus()
