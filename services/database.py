"""Database engines for the calls made on every message, shared by the services and Rasa's
tracker store (addons/tracker_store.py).

Each of those calls is one SQL statement (the hub stores a turn in one statement, the tracker store
reads a conversation in one and appends its new events in one), which PostgreSQL makes atomic by
itself. Through a default engine each cost up to four round trips: the pool's ping (where pre-ping
is on), BEGIN, the statement, and COMMIT (or ROLLBACK). `single_statement_engine` sends the
statement alone. Instead of pinging before every use, a call on a connection that turns out to be
dead (the database restarted since it was opened) is made once more on a fresh one: SQLAlchemy's
"optimistic" disconnect handling, which also recycles the pool's other old connections.

On PostgreSQL the two busiest of those calls (the hub's write of a turn, the tracker store's
read and append) go through asyncpg instead, on the caller's event loop: no worker thread, no
blocked loop, no ORM layer, and statements the server keeps prepared. `AsyncStatement` turns the
same statements into asyncpg's form, `AsyncPool` holds a pool for the running loop, and
`on_live_connection` gives the statement the same second try on a fresh connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

T = TypeVar("T")


def single_statement_engine(engine: Engine, **options: Any) -> Engine:
    """For calls that run one statement each, never for several that must commit together: on
    PostgreSQL a second engine for `engine`'s database, in autocommit mode and without a ping on
    checkout; on any other database (SQLite) `engine` itself."""
    if engine.dialect.name != "postgresql":
        return engine
    return sa.create_engine(
        engine.url, isolation_level="AUTOCOMMIT", pool_pre_ping=False, **options
    )


def run_once(engine: Engine, call: Callable[[Connection], T]) -> T:
    """`call` on a connection of `engine`, inside `begin()` (which commits on SQLite and sends
    nothing in autocommit mode); made once more on a fresh connection if its connection had
    died. That is safe for a statement that never reached the database, which is what a dead
    pooled connection means; a database that goes down during the statement fails the second
    try as well."""

    def attempt() -> T:
        with engine.begin() as connection:
            return call(connection)

    try:
        return attempt()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
    return attempt()


# --- asyncpg
# A pooled connection found closed when used (the database restarted or dropped it since): the
# statement never reached the database, so it may be sent once more on a fresh connection.
DEAD_CONNECTION = (
    asyncpg.InterfaceError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.AdminShutdownError,
)
_PYFORMAT = re.compile(r"%\((\w+)\)s")
# Statements compiled for PostgreSQL as psycopg2 writes them (`%(name)s`), then numbered.
_DIALECT = PGDialect_psycopg2()


@dataclass(frozen=True)
class AsyncStatement:
    """A statement in asyncpg's form: parameters numbered ($1, $2...) instead of named."""

    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_pyformat(cls, sql: str) -> AsyncStatement:
        """From SQL written for psycopg2 (`%(name)s`); a name used twice is one parameter."""
        names = tuple(dict.fromkeys(_PYFORMAT.findall(sql)))
        return cls(_PYFORMAT.sub(lambda m: f"${names.index(m.group(1)) + 1}", sql), names)

    @classmethod
    def from_sqlalchemy(cls, statement: ClauseElement, **compile_options: Any) -> AsyncStatement:
        """From a SQLAlchemy statement; the values it binds itself become defaults."""
        compiled = statement.compile(dialect=_DIALECT, **compile_options)
        plain = cls.from_pyformat(str(compiled))
        binds = {compiled.bind_names[bind]: bind for bind in compiled.binds.values()}
        defaults = {
            name: binds[name].value
            for name in plain.names
            if name in binds and not binds[name].required
        }
        return cls(plain.sql, plain.names, defaults)

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        """The values in the statement's order."""
        return [values[name] if name in values else self.defaults[name] for name in self.names]


class AsyncPool:
    """An asyncpg pool for the event loop that uses it. A server has one loop for its life; a
    caller on another loop (a script, a test) gets a pool of its own, since connections cannot
    serve a loop they were not opened on. The previous pool is terminated; if its loop has
    already finished, its sockets close only when collected (a ResourceWarning under -X dev)."""

    def __init__(self, url: str, max_size: int) -> None:
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
        self._max_size = max_size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pool: asyncpg.Pool | None = None
        self._ready: asyncio.Task | None = None
        self._set_up = False  # the current pool's set-up finished

    async def get(self) -> asyncpg.Pool:
        loop = asyncio.get_running_loop()
        if self._set_up and self._loop is loop and self._pool is not None:
            return self._pool  # every statement but the first: no waiting, no shield
        if self._loop is not loop or self._pool is None or self._ready is None:
            self.terminate()
            self._loop = loop
            # No connection is opened here (min_size 0): the first statement opens one.
            self._pool = asyncpg.create_pool(
                self._dsn,
                min_size=0,
                max_size=self._max_size,
                timeout=3,  # to connect
                command_timeout=15,
                reset=_session_unchanged,
            )
            self._ready = asyncio.ensure_future(self._pool)  # awaited: the pool's set-up
        ready = self._ready
        try:
            # Shielded: a caller cancelled meanwhile (a visitor gone) must not cancel the set-up
            # that every other caller waits for (its CancelledError passes the clause below).
            await asyncio.shield(ready)
        except Exception:
            if self._ready is ready:  # not a newer pool another caller has begun since
                self.terminate()  # the next call starts afresh
            raise
        if self._ready is ready:
            self._set_up = True
        return ready.result()  # this set-up's pool, whatever has begun since

    async def close(self) -> None:
        pool, self._pool, self._loop, self._ready = self._pool, None, None, None
        self._set_up = False
        if pool is not None:
            await pool.close()

    def terminate(self) -> None:
        """Close the connections at once, from any loop (or none)."""
        pool, self._pool, self._loop, self._ready = self._pool, None, None, None
        self._set_up = False
        if pool is not None:
            with contextlib.suppress(Exception):
                pool.terminate()


async def _session_unchanged(_connection: asyncpg.Connection) -> None:
    """Nothing to reset when a connection goes back to its pool: the statements sent through
    these pools change no session state (no SET, LISTEN, advisory lock or open cursor), and the
    default reset (a query of its own, on every release) cost a round trip per statement. The
    pool still rolls back a transaction left open."""


async def on_live_connection(
    pool: AsyncPool, use: Callable[[asyncpg.Connection], Awaitable[T]]
) -> T:
    """`use` on a connection of the pool; made once more on a fresh one if its connection had
    died (what `run_once` does on the blocking side)."""
    connections = await pool.get()
    try:
        async with connections.acquire() as connection:
            return await use(connection)
    except DEAD_CONNECTION:
        pass
    async with connections.acquire() as connection:
        return await use(connection)
