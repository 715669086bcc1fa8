"""Conversation transcripts: SQLite by default, PostgreSQL when HUB_DB_URL names one.

Every entry has a role (visitor, bot, agent, system) so that a live agent's and the hub's own
messages join the same transcript as the bot's. Text is redacted before it is written.
Calls are blocking (SQLAlchemy Core); the app runs them in a worker thread. The calls every
visitor makes also have an asynchronous form: on PostgreSQL, once `start()` has run in the hub's
event loop, they go through asyncpg on that loop, with no thread and no SQLAlchemy around them
(docs/benchmark.md). Those are storing a turn's entries (`insert_async`, twice per message) and
opening a tab (`create_conversation_async`, or `get_conversation_async` and `history_async` when
it resumes): after a hub restarts, all its tabs open again within seconds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError

from privacy import redact_text, redact_value
from services.database import (
    AsyncPool,
    AsyncStatement,
    on_live_connection,
    run_once,
    single_statement_engine,
)
from services.hub.sessions import new_id

T = TypeVar("T")
Role = Literal["visitor", "bot", "agent", "system"]
ROLES: tuple[str, ...] = ("visitor", "bot", "agent", "system")

metadata = sa.MetaData()

conversations = sa.Table(
    "hub_conversations",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("visitor_id", sa.String(64), nullable=False, index=True),
    # Who answers the visitor: "bot" today; the live-agent handoff adds its own states.
    sa.Column("state", sa.String(16), nullable=False, server_default="bot"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

entries = sa.Table(
    "hub_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "conversation_id",
        sa.String(64),
        sa.ForeignKey("hub_conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=True),
    # Buttons, links, custom payloads, notice codes: JSON text, redacted like the text.
    sa.Column("data", sa.Text, nullable=True),
    # The widget's own id for a visitor message: makes a resend after a network drop a no-op.
    sa.Column("client_id", sa.String(64), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("conversation_id", "client_id", name="uq_hub_entries_client_id"),
    sa.Index("ix_hub_entries_conversation", "conversation_id", "id"),
)


# The hot statements, built once: SQLAlchemy then reuses their cache key and compiled form. Built
# per call, building them and computing their cache key cost more of the hub's CPU than running
# them. Values go in as parameters; `b_` keeps their names apart from the columns' (which
# SQLAlchemy reserves for the values of an INSERT or UPDATE).
_CONVERSATION_ID = sa.bindparam("b_conversation", type_=conversations.c.id.type)
_CONVERSATION = sa.select(conversations).where(conversations.c.id == _CONVERSATION_ID)
_STATE = sa.select(conversations.c.state).where(conversations.c.id == _CONVERSATION_ID)
_TOUCH = (
    conversations.update()
    .where(conversations.c.id == _CONVERSATION_ID)
    .values(updated_at=sa.bindparam("b_now", type_=conversations.c.updated_at.type))
)
_INSERT_ENTRY = entries.insert()
_ENTRY_CONVERSATION = sa.bindparam("b_conversation", type_=entries.c.conversation_id.type)
_FIND = sa.select(entries).where(
    entries.c.conversation_id == _ENTRY_CONVERSATION,
    entries.c.client_id == sa.bindparam("b_client", type_=entries.c.client_id.type),
)
_HISTORY = (
    sa.select(entries)
    .where(entries.c.conversation_id == _ENTRY_CONVERSATION)
    .order_by(entries.c.id.desc())
    .limit(sa.bindparam("b_limit", type_=sa.Integer))
)


# PostgreSQL: _INSERT_ENTRY for each entry, _TOUCH and _STATE, as one statement. The
# entries go in in their order (ORDER BY the position), so their ids rise in that order.
_APPEND_POSTGRESQL = f"""
WITH touched AS (
    UPDATE {conversations.name} SET updated_at = %(now)s WHERE id = %(conversation)s
    RETURNING state
), added AS (
    INSERT INTO {entries.name} (conversation_id, role, text, data, client_id, created_at)
    SELECT %(conversation)s, item.role, item.text, item.data, %(client)s, %(now)s
    FROM unnest(%(roles)s::varchar[], %(texts)s::text[], %(datas)s::text[])
        WITH ORDINALITY AS item(role, text, data, position)
    ORDER BY item.position
    RETURNING id
)
SELECT (SELECT state FROM touched), (SELECT array_agg(id) FROM added)
"""
_APPEND_ASYNC = AsyncStatement.from_pyformat(_APPEND_POSTGRESQL)
_CREATE = conversations.insert().values(
    id=_CONVERSATION_ID,
    visitor_id=sa.bindparam("b_visitor", type_=conversations.c.visitor_id.type),
    state="bot",
    created_at=sa.bindparam("b_now", type_=conversations.c.created_at.type),
    updated_at=sa.bindparam("b_now", type_=conversations.c.updated_at.type),
)
_CREATE_ASYNC = AsyncStatement.from_sqlalchemy(_CREATE)
_CONVERSATION_ASYNC = AsyncStatement.from_sqlalchemy(_CONVERSATION)
_HISTORY_ASYNC = AsyncStatement.from_sqlalchemy(_HISTORY)
# Any failure to write through asyncpg (unreachable, restarting, timed out, refused): the caller
# tells the visitor, as for SQLAlchemy's errors on the blocking path.
_FAILED = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class StoreUnavailable(Exception):
    """The database did not take a write (down, restarting, unreachable)."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Conversation:
    id: str
    visitor_id: str
    state: str


@dataclass(frozen=True)
class Entry:
    id: int
    conversation_id: str
    role: str
    text: str | None
    data: dict[str, Any] = field(default_factory=dict)
    client_id: str | None = None
    created_at: datetime | None = None
    # Who answered the conversation ("bot" or a handoff state) in the transaction that stored
    # this entry; None when not known (an entry read back). Lets a listener skip asking.
    conversation_state: str | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """What the widget (and later the agent console) receives."""
        return {
            "id": self.id,
            "role": self.role,
            "text": self.text,
            **self.data,
            "client_id": self.client_id,
            "at": self.created_at.isoformat() if self.created_at else None,
        }


def _entry(row: Any) -> Entry:
    created = row.created_at
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)  # SQLite drops the zone
    return Entry(
        id=row.id,
        conversation_id=row.conversation_id,
        role=row.role,
        text=row.text,
        data=json.loads(row.data) if row.data else {},
        client_id=row.client_id,
        created_at=created,
    )


def create_db_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def create_tables(tables: sa.MetaData, engine: Engine) -> None:
    """Create missing tables; on PostgreSQL under an advisory lock, since hub replicas starting
    together on a fresh database would otherwise race to create the same tables."""
    if engine.dialect.name != "postgresql":
        tables.create_all(engine)
        return
    with engine.begin() as connection:
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(7270501)"))
        tables.create_all(connection)


class TranscriptStore:
    def __init__(self, url: str) -> None:
        self.engine = create_db_engine(url)
        create_tables(metadata, self.engine)
        # The stores are SQLite or PostgreSQL; PostgreSQL stores a turn in one statement.
        self._postgresql = self.engine.dialect.name == "postgresql"
        # Every call below is one statement: on PostgreSQL it goes alone, in one round trip
        # (services/database.py); `self.engine` stays for several statements in one transaction.
        self._single = single_statement_engine(self.engine, pool_size=5, max_overflow=5)
        self._url = url
        self._pool: AsyncPool | None = None

    async def start(self) -> None:
        """On PostgreSQL, set up the pool the `..._async` calls use, in the running event loop; on
        SQLite nothing: every call goes to a worker thread."""
        if self._postgresql and self._pool is None:
            self._pool = AsyncPool(self._url, max_size=8)
            await self._pool.get()

    @property
    def runs_async(self) -> bool:
        """Whether the `..._async` calls can be used (PostgreSQL, started)."""
        return self._pool is not None

    async def close_async(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    def close(self) -> None:
        self.engine.dispose()
        self._single.dispose()

    def create_conversation(self, visitor_id: str) -> Conversation:
        conversation = Conversation(id=new_id(), visitor_id=visitor_id, state="bot")
        params = _new_conversation(conversation)
        run_once(self._single, lambda db: db.execute(_CREATE, params))
        return conversation

    async def create_conversation_async(self, visitor_id: str) -> Conversation:
        """`create_conversation` on the event loop (PostgreSQL, after `start()`)."""
        conversation = Conversation(id=new_id(), visitor_id=visitor_id, state="bot")
        arguments = _CREATE_ASYNC.arguments(_new_conversation(conversation))
        await self._on_loop(lambda db: db.execute(_CREATE_ASYNC.sql, *arguments))
        return conversation

    async def get_conversation_async(self, conversation_id: str) -> Conversation | None:
        """`get_conversation` on the event loop (PostgreSQL, after `start()`)."""
        arguments = _CONVERSATION_ASYNC.arguments({"b_conversation": conversation_id})
        row = await self._on_loop(lambda db: db.fetchrow(_CONVERSATION_ASYNC.sql, *arguments))
        return Conversation(row["id"], row["visitor_id"], row["state"]) if row else None

    async def history_async(self, conversation_id: str, limit: int = 500) -> list[Entry]:
        """`history` on the event loop (PostgreSQL, after `start()`)."""
        params = {"b_conversation": conversation_id, "b_limit": limit}
        arguments = _HISTORY_ASYNC.arguments(params)
        rows = await self._on_loop(lambda db: db.fetch(_HISTORY_ASYNC.sql, *arguments))
        return [_entry(_Row(row)) for row in reversed(rows)]

    async def _on_loop(self, use: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """One statement through the pool; StoreUnavailable when the database does not answer."""
        assert self._pool is not None, "TranscriptStore.start() was not called"
        try:
            return await on_live_connection(self._pool, use)
        except _FAILED as error:
            raise StoreUnavailable(type(error).__name__) from error

    def get_conversation(self, conversation_id: str) -> Conversation | None:
        params = {"b_conversation": conversation_id}
        row = run_once(self._single, lambda db: db.execute(_CONVERSATION, params).first())
        return Conversation(row.id, row.visitor_id, row.state) if row else None

    def set_state(self, conversation_id: str, state: str, only_from: str | None = None) -> None:
        """Who answers the conversation: "bot" (Rasa) or a handoff state set by the handoff;
        with `only_from`, only a conversation in that state changes."""
        update = conversations.update().where(conversations.c.id == conversation_id)
        if only_from is not None:
            update = update.where(conversations.c.state == only_from)
        update = update.values(state=state, updated_at=_now())
        run_once(self._single, lambda db: db.execute(update))

    def append(
        self,
        conversation_id: str,
        role: Role,
        text: str | None,
        data: dict[str, Any] | None = None,
        client_id: str | None = None,
    ) -> tuple[Entry, bool]:
        """Store one entry; returns it and whether it is new (False: this client_id was seen)."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        if client_id is not None and (existing := self.find(conversation_id, client_id)):
            return existing, False
        stored, new = self.insert(conversation_id, [(role, text, data)], client_id)
        return stored[0], new

    def append_many(
        self, conversation_id: str, items: list[tuple[Role, str | None, dict[str, Any] | None]]
    ) -> list[Entry]:
        """Store several entries (the answers of one turn) in order, in one transaction."""
        if not items:
            return []
        return self.insert(conversation_id, items)[0]

    def append_and_read_state(
        self,
        conversation_id: str,
        role: Role,
        text: str | None,
        data: dict[str, Any] | None = None,
        client_id: str | None = None,
    ) -> tuple[Entry, bool, str | None]:
        """append(), with the conversation's state read in the same transaction, and without
        looking for the client_id first: a resend is rare, and the unique client id turns it
        into the stored entry (new False). The relay needs both answers, and each call costs
        a round trip to the database."""
        stored, new = self.insert(conversation_id, [(role, text, data)], client_id)
        return stored[0], new, stored[0].conversation_state  # None for a client_id seen

    def insert(
        self,
        conversation_id: str,
        items: list[tuple[Role, str | None, dict[str, Any] | None]],
        client_id: str | None = None,
    ) -> tuple[list[Entry], bool]:
        """Store the entries, touch the conversation and read its state, in one transaction
        (the state rides along: on PostgreSQL with the update, on SQLite one primary-key read).
        Returns the entries and True, or for a client_id already stored, that entry and False."""
        rows, created_at = _rows(conversation_id, items, client_id)
        try:
            if self._postgresql:
                ids, state = self._insert_postgresql(conversation_id, rows, created_at)
            else:
                ids, state = self._insert_generic(conversation_id, rows, created_at)
        except IntegrityError:
            # Two connections raced to store the same client message: the first one won.
            if client_id is not None and (existing := self.find(conversation_id, client_id)):
                return [existing], False
            raise
        return _stored(rows, ids, state), True

    async def insert_async(
        self,
        conversation_id: str,
        items: list[tuple[Role, str | None, dict[str, Any] | None]],
        client_id: str | None = None,
    ) -> tuple[list[Entry], bool]:
        """`insert` on the event loop (PostgreSQL, after `start()`): the same statement through
        asyncpg. Raises StoreUnavailable when the database does not take it."""
        assert self._pool is not None, "TranscriptStore.start() was not called"
        rows, created_at = _rows(conversation_id, items, client_id)
        arguments = _APPEND_ASYNC.arguments(_append_values(conversation_id, rows, created_at))
        try:
            record = await on_live_connection(
                self._pool, lambda db: db.fetchrow(_APPEND_ASYNC.sql, *arguments)
            )
        except asyncpg.UniqueViolationError as error:
            # As in `insert`: the same client message stored first through another connection.
            if client_id is not None:
                existing = await asyncio.to_thread(self.find, conversation_id, client_id)
                if existing is not None:
                    return [existing], False
            raise StoreUnavailable(type(error).__name__) from error
        except _FAILED as error:
            raise StoreUnavailable(type(error).__name__) from error
        state, ids = record[0], record[1]
        return _stored(rows, sorted(ids or []), state), True

    def _insert_generic(
        self, conversation_id: str, rows: list[dict[str, Any]], created_at: datetime
    ) -> tuple[list[int], str | None]:
        """SQLite: one statement per entry, then touch the conversation and read its state."""
        touch = {"b_conversation": conversation_id, "b_now": created_at}
        with self.engine.begin() as db:
            ids = [db.execute(_INSERT_ENTRY, row).inserted_primary_key[0] for row in rows]
            db.execute(_TOUCH, touch)
            state = db.execute(_STATE, {"b_conversation": conversation_id}).scalar()
        return ids, state

    def _insert_postgresql(
        self, conversation_id: str, rows: list[dict[str, Any]], created_at: datetime
    ) -> tuple[list[int], str | None]:
        """PostgreSQL: the entries, the touch and the state in one statement, one round trip
        (the hub stores twice per visitor message: its text, then the bot's answers)."""
        params = _append_values(conversation_id, rows, created_at)
        state, ids = run_once(
            self._single, lambda db: db.exec_driver_sql(_APPEND_POSTGRESQL, params).one()
        )
        # Ids come from the sequence in the entries' order, so sorted they match the rows.
        return sorted(ids or []), state

    def find(self, conversation_id: str, client_id: str) -> Entry | None:
        params = {"b_conversation": conversation_id, "b_client": client_id}
        row = run_once(self._single, lambda db: db.execute(_FIND, params).first())
        return _entry(row) if row else None

    def history(self, conversation_id: str, limit: int = 500) -> list[Entry]:
        """The latest `limit` entries, oldest first."""
        params = {"b_conversation": conversation_id, "b_limit": limit}
        rows = run_once(self._single, lambda db: db.execute(_HISTORY, params).all())
        return [_entry(row) for row in reversed(rows)]


def _new_conversation(conversation: Conversation) -> dict[str, Any]:
    """The values of `_CREATE` for a conversation just made."""
    return {
        "b_conversation": conversation.id,
        "b_visitor": conversation.visitor_id,
        "b_now": _now(),
    }


class _Row:
    """An asyncpg record read by attribute, as `_entry` reads SQLAlchemy's rows."""

    __slots__ = ("_record",)

    def __init__(self, record: asyncpg.Record) -> None:
        self._record = record

    def __getattr__(self, name: str) -> Any:
        return self._record[name]


def _rows(
    conversation_id: str,
    items: list[tuple[Role, str | None, dict[str, Any] | None]],
    client_id: str | None,
) -> tuple[list[dict[str, Any]], datetime]:
    """The entries as they are stored (redacted), and their time."""
    for role, _, _ in items:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
    created_at = _now()
    rows = [
        {
            "conversation_id": conversation_id,
            "role": role,
            "text": redact_text(text),
            "data": json.dumps(redact_value(data), ensure_ascii=False) if data else None,
            "client_id": client_id,
            "created_at": created_at,
        }
        for role, text, data in items
    ]
    return rows, created_at


def _append_values(
    conversation_id: str, rows: list[dict[str, Any]], created_at: datetime
) -> dict[str, Any]:
    """The values of the PostgreSQL statement that stores a turn."""
    return {
        "conversation": conversation_id,
        "now": created_at,
        "client": rows[0]["client_id"],
        "roles": [row["role"] for row in rows],
        "texts": [row["text"] for row in rows],
        "datas": [row["data"] for row in rows],
    }


def _stored(rows: list[dict[str, Any]], ids: list[int], state: str | None) -> list[Entry]:
    """The entries just stored, with their ids and the conversation's state."""
    return [
        Entry(
            id=id_,
            conversation_id=row["conversation_id"],
            role=row["role"],
            text=row["text"],
            data=json.loads(row["data"]) if row["data"] else {},
            client_id=row["client_id"],
            created_at=row["created_at"],
            conversation_state=state,
        )
        for id_, row in zip(ids, rows, strict=True)
    ]
