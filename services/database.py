"""Database engines for the calls made on every message, shared by the services and Rasa's
tracker store (addons/tracker_store.py).

Each of those calls is one SQL statement (the hub stores a turn in one statement, the tracker store
reads a conversation in one and appends its new events in one), which PostgreSQL makes atomic by
itself. Through a default engine each cost up to four round trips: the pool's ping (where pre-ping
is on), BEGIN, the statement, and COMMIT (or ROLLBACK). `single_statement_engine` sends the
statement alone. Instead of pinging before every use, a call on a connection that turns out to be
dead (the database restarted since it was opened) is made once more on a fresh one: SQLAlchemy's
"optimistic" disconnect handling, which also recycles the pool's other old connections.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

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
