"""Ours as the bench serves it: production mode (scripts/production.py) reached like a browser.

Visitors talk to nginx over the hub's WebSocket protocol (hello → welcome; message → entries,
then typing=false ends the turn), running scripts that cover what the assistant is for: FAQ
questions, a case-status lookup with a sandbox receipt number, an unclear message that goes to
the fallback, and a request for a person that ends in "leave a question" (nobody is signed in
to the console, so live chat is unavailable whatever the hour).

The stores are the machine's own PostgreSQL and Redis: three fresh databases per run (dropped
after) and three empty Redis databases (flushed after).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import websockets

from scripts.loadgen import Script, Turn
from scripts.preflight import read_env
from scripts.production import Production, isolated_settings, running_production
from scripts.stack import ROOT
from services.case_status.seed import SANDBOX_WITH_HISTORY, SANDBOX_WITHOUT_HISTORY

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379"
REDIS_DATABASES = range(15, 7, -1)  # searched from the top for three empty ones
RECEIPTS = SANDBOX_WITH_HISTORY + SANDBOX_WITHOUT_HISTORY

FAQ = (
    Turn("hello"),
    Turn("how do i renew my green card"),
    Turn("how much does it cost to apply for citizenship"),
    Turn("thanks"),
)
FALLBACK = (Turn("hi"), Turn("purple elephants dance on the moon"), Turn("bye"))
HANDOFF = (
    Turn("i want to talk to a person"),
    Turn("Connect me with a person", "/request_human"),
    Turn("Leave a question", "/leave_service_request"),
    Turn("Why was my interview moved to another date?"),
    Turn("visitor@example.com"),
)


def case_status(receipt: str) -> Script:
    return (Turn("hello"), Turn("check my case status"), Turn(receipt), Turn("thank you"))


def our_script(index: int) -> Script:
    """The `index`-th conversation: FAQ, case status, fallback, handoff in turn."""
    kind = index % 4
    if kind == 1:
        return case_status(RECEIPTS[(index // 4) % len(RECEIPTS)])
    return (FAQ, FAQ, FALLBACK, HANDOFF)[kind]


class HubConversation:
    """One browser tab on the hub's WebSocket; several messages may be in flight at once.

    The hub answers a conversation's messages one at a time, in order: the echo of a message
    (its entry, with our client id) opens its turn and the next typing=false closes it."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.pending: dict[str, asyncio.Future[bool]] = {}
        self.current: str | None = None
        self.current_ok = True
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, ws_url: str, origin: str, timeout: float = 60.0) -> HubConversation:
        ws = await websockets.connect(
            ws_url, origin=origin, open_timeout=timeout, max_size=None, close_timeout=2
        )
        try:
            hello = {"type": "hello", "page_url": f"{origin}/", "page_language": "en"}
            await ws.send(json.dumps(hello))
            while json.loads(await asyncio.wait_for(ws.recv(), timeout))["type"] != "welcome":
                pass
        except BaseException:
            await ws.close()
            raise
        return cls(ws)

    async def say(self, turn: Turn, timeout: float) -> bool:
        client_id = uuid.uuid4().hex
        answered: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.pending[client_id] = answered
        frame = {"type": "message", "id": client_id, "text": turn.text, "payload": turn.payload}
        try:
            await self.ws.send(json.dumps(frame))
            return await asyncio.wait_for(answered, timeout)
        except (websockets.WebSocketException, OSError, asyncio.TimeoutError):
            return False
        finally:
            self.pending.pop(client_id, None)

    def _settle(self, client_id: str | None, ok: bool) -> None:
        answered = self.pending.get(client_id or "")
        if answered is not None and not answered.done():
            answered.set_result(ok)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "entry":
                    entry = frame["entry"]
                    if entry.get("role") == "visitor" and entry.get("client_id") in self.pending:
                        self.current, self.current_ok = entry["client_id"], True
                    elif entry.get("role") == "system":
                        self.current_ok = False  # the hub apologised: Rasa did not answer
                elif kind == "typing" and not frame.get("active"):
                    self._settle(self.current, self.current_ok)
                    self.current = None
                elif kind == "error":
                    self._settle(frame.get("client_id"), False)
        except (websockets.WebSocketException, OSError, ValueError):
            pass
        finally:
            for client_id in list(self.pending):
                self._settle(client_id, False)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        self.reader.cancel()
        with contextlib.suppress(BaseException):
            await self.reader


def hub_opener(production: Production) -> Any:
    async def opener() -> HubConversation:
        return await HubConversation.open(production.ws_url, production.url)

    return opener


# --- the stores
def _empty_redis_databases(count: int) -> list[int]:
    import redis

    found = []
    for number in REDIS_DATABASES:
        client = redis.Redis.from_url(f"{REDIS}/{number}")
        try:
            if client.dbsize() == 0:
                found.append(number)
        finally:
            client.close()
        if len(found) == count:
            return found
    raise RuntimeError(f"need {count} empty Redis databases among {list(REDIS_DATABASES)}")


def _flush_redis(numbers: list[int]) -> None:
    import redis

    for number in numbers:
        client = redis.Redis.from_url(f"{REDIS}/{number}")
        with contextlib.suppress(redis.RedisError):
            client.flushdb()
        client.close()


def _each_database(statement: str, names: list[str]) -> None:
    """Run DROP DATABASE for each name (outside a transaction, as PostgreSQL needs)."""
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(f"{POSTGRES}/postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(sql.SQL(statement).format(sql.Identifier(name)))
    finally:
        connection.close()


class _Stores:
    """The machine's servers, named the way tests/production/conftest.py asks its own for URLs."""

    def __init__(self, databases: dict[str, str], redis_numbers: list[int]) -> None:
        self.databases, self.redis_numbers = databases, redis_numbers

    def url(self, name: str | int = "postgres") -> str:
        if isinstance(name, int):
            return f"{REDIS}/{self.redis_numbers[name]}"
        return f"{POSTGRES}/{self.databases.get(name, name)}"


def bench_overrides(
    databases: dict[str, str], redis_numbers: list[int], rasa_replicas: int, hub_replicas: int
) -> dict[str, str]:
    """The fault tests' production settings (free ports, fresh secrets) on these stores, with
    live chat back to its real hours (nobody signs in to the console anyway, so a request for a
    person ends in "leave a question") and the guards against abuse lifted (messages per minute,
    lookups per conversation): the bench measures speed."""
    stores = _Stores(databases, redis_numbers)
    overrides = isolated_settings(stores, stores, rasa_replicas, hub_replicas)
    for name in ("HANDOFF_HOURS", "HANDOFF_FEDERAL_HOLIDAYS"):
        overrides.pop(name, None)
    return {
        **overrides,
        "HUB_MESSAGES_PER_MINUTE": "1000000",
        "HUB_RASA_TIMEOUT": "60",
        "CASE_STATUS_MAX_PER_CONVERSATION": "1000000",
        "CASE_STATUS_MAX_PER_VISITOR": "1000000",
        "CASE_STATUS_RATE_PER_SECOND": "100000",
        "CASE_STATUS_RATE_PER_DAY": "100000000",
    }


@contextlib.contextmanager
def running_bench_production(
    rasa_replicas: int | None = None, hub_replicas: int | None = None
) -> Iterator[Production]:
    """Production mode on fresh stores; the stores are removed when it stops. The numbers of
    replicas are production.env's (what `make prod` runs) unless given."""
    stamp = secrets.token_hex(4)
    databases = {name: f"bench_{stamp}_{name}" for name in ("tracker", "hub", "case_status")}
    redis_numbers = _empty_redis_databases(3)
    names = list(databases.values())
    planned = read_env(ROOT / "production.env")
    rasa_replicas = rasa_replicas or len(planned["RASA_REPLICA_PORTS"].split(","))
    hub_replicas = hub_replicas or len(planned["HUB_REPLICA_PORTS"].split(","))
    overrides = bench_overrides(databases, redis_numbers, rasa_replicas, hub_replicas)
    try:
        # running_production creates the databases (scripts/production.ensure_databases).
        with running_production(overrides) as production:
            yield production
    finally:
        _each_database("DROP DATABASE IF EXISTS {} WITH (FORCE)", names)
        _flush_redis(redis_numbers)
