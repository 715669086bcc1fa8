"""Rasa's SQL tracker store, configured from one URL, that never stores personal data in full.

TRACKER_STORE_URL picks the database: `sqlite:///var/tracker.db` (the default, so conversations
survive a restart) or `postgresql://user:password@host:5432/db`.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
from sqlalchemy.engine import make_url

from addons.fast_json import dumps, loads
from privacy.redact import plain_strings, redact_value
from services.database import (
    AsyncPool,
    AsyncStatement,
    on_live_connection,
    run_once,
    single_statement_engine,
)

DEFAULT_URL = "sqlite:///var/tracker.db"
# Set on each tracker this store hands out: how many of its events are already stored.
STORED_EVENTS = "_assistant_stored_events"


def sql_settings(url: str) -> dict[str, Any]:
    """Translate a database URL into SQLTrackerStore's keyword arguments."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or "var/tracker.db"
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        return {"dialect": "sqlite", "db": database}
    return {
        "dialect": parsed.drivername,
        "host": parsed.host,
        "port": parsed.port,
        "db": parsed.database,
        "username": parsed.username,
        "password": parsed.password,
        "query": dict(parsed.query),
    }


class RedactingSQLTrackerStore(SQLTrackerStore):
    """SQL tracker store that masks receipt numbers, A-numbers, SSNs and secrets in its events.

    It also spares the work Rasa's store repeats on every message: the tracker it hands out
    remembers how many of its events are stored, so saving needs no count query; the masking
    works on the event dicts being written instead of rebuilding events from them; and the
    per-message statements are built once and run on a plain connection instead of through an
    ORM session, whose statement building was the store's largest cost under load. On
    PostgreSQL those two statements go through asyncpg on Rasa's event loop, which a blocking
    call would hold up for every other conversation of the replica (services/database.py).
    """

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        url: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("host", None)
        database_url = url or os.environ.get("TRACKER_STORE_URL") or DEFAULT_URL
        super().__init__(domain=domain, event_broker=event_broker, **sql_settings(database_url))
        self._statements = _Statements(self.SQLEvent.__table__)
        # Reading a conversation and appending its events are one statement each: on
        # PostgreSQL each goes alone, in one round trip (services/database.py).
        self._single = single_statement_engine(self.engine, **create_engine_kwargs(self.engine.url))
        self._async: AsyncPool | None = None
        if self.engine.dialect.name == "postgresql":
            self._async = AsyncPool(database_url, max_size=5)
        self._plain: tuple[Domain | None, frozenset[str]] = (None, frozenset())

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """Rasa's retrieval (the latest session's events, or all of them), same queries."""
        query = self._statements.all_sessions
        if not fetch_events_from_all_sessions:
            query = self._statements.latest_session
        params = {"sender_id": sender_id}
        if self._async is not None:
            statement = self._statements.in_async(query)
            arguments = statement.arguments(params)
            rows = await on_live_connection(
                self._async, lambda db: db.fetch(statement.sql, *arguments)
            )
        else:
            rows = run_once(self._single, lambda db: db.execute(query, params).all())
        if not rows or not self.domain:
            return None
        events = _deserialise([loads(row["data"]) for row in rows])
        tracker = DialogueStateTracker.from_events(sender_id, events, self.domain.slots)
        if not fetch_events_from_all_sessions:
            # What Rasa's save() would count again: the events of the latest session.
            setattr(tracker, STORED_EVENTS, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save, writing only the events after the ones stored, each masked."""
        await self.stream_events(tracker)
        stored = getattr(tracker, STORED_EVENTS, None)
        if stored is None:  # a tracker this store did not hand out
            count = self._statements.count_latest_session
            params = {"sender_id": tracker.sender_id}
            stored = run_once(self._single, lambda db: db.execute(count, params).scalar_one())
        memo: dict[str, str | None] = {}  # the events share the model's id and more
        rows = [
            self._row(tracker.sender_id, event, memo)
            for event in itertools.islice(tracker.events, stored, None)
        ]
        if rows and self._async is not None:
            insert = self._statements.in_async(self._statements.insert)
            arguments = [insert.arguments(row) for row in rows]
            await on_live_connection(self._async, lambda db: db.executemany(insert.sql, arguments))
        elif rows:
            run_once(self._single, lambda db: db.execute(self._statements.insert, rows))
        setattr(tracker, STORED_EVENTS, len(tracker.events))

    def _plain_strings(self) -> frozenset[str]:
        """The domain's names (intents, actions, responses, slots, entities, event types) and
        its responses' texts, buttons and payloads, which fill most strings of an event and
        need no masking; worked out again for a new domain. A response with a slot in it is
        filled in when sent, so its text is no longer this one and gets checked."""
        domain, plain = self._plain
        if domain is not self.domain:
            names: set[str] = {cls.type_name for cls in all_subclasses(Event)}
            if self.domain is not None:
                names.update(self.domain.intents, self.domain.entities)
                names.update(self.domain.action_names_or_texts, self.domain.responses)
                names.update(key.removeprefix("utter_") for key in self.domain.responses)
                names.update(_strings_in(self.domain.responses))
                for slot in self.domain.slots:
                    names.add(slot.name)
                    names.update(str(value) for value in getattr(slot, "values", None) or [])
            plain = plain_strings(name for name in names if isinstance(name, str))
            self._plain = (self.domain, plain)
        return plain

    def _row(
        self, sender_id: str, event: Event, memo: dict[str, str | None] | None = None
    ) -> dict[str, Any]:
        data = event.as_dict()
        redacted = redact_value(data, self._plain_strings(), memo)
        if isinstance(data.get("message_id"), str):
            # The hub's id for the message ("hub-<n>") is no personal data, and the REST
            # channel looks it up to answer a resent message once (addons/channels.py).
            redacted["message_id"] = data["message_id"]
        parse_data = redacted.get("parse_data") or {}
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": redacted.get("timestamp"),
            "intent_name": (parse_data.get("intent") or {}).get("name"),
            "action_name": redacted.get("name"),
            "data": dumps(redacted),
        }


def _strings_in(value: Any) -> Iterator[str]:
    """Every string inside JSON-like data (values, not keys)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _strings_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings_in(inner)


@lru_cache(maxsize=1)
def _event_classes() -> dict[str, type[Event]]:
    """Event classes by type name, first one wins as in Rasa's `Event.resolve_by_type`, which
    lists every subclass again for each event it reads (5% of a replica's time). A type not in
    the table (a class imported later) goes to Rasa's own lookup."""
    classes: dict[str, type[Event]] = {}
    for cls in all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    return classes


def _deserialise(dumps: list[dict[str, Any]]) -> list[Event]:
    """Rasa's `deserialise_events`, with the event classes looked up in a table."""
    classes = _event_classes()
    events: list[Event] = []
    for dump in dumps:
        cls = classes.get(dump.get("event"))  # type: ignore[arg-type]
        event = cls._from_parameters(dump) if cls else Event.from_parameters(dump)
        if event is not None:  # Rasa also drops what it cannot read (old "topic" events)
            events.append(event)
    return events


class _Statements:
    """The store's statements, built once: SQLAlchemy then reuses their compiled form."""

    def __init__(self, events: sa.Table) -> None:
        sender = events.c.sender_id == sa.bindparam("sender_id")
        # Rasa's query: the events from the latest session start on (or all when none).
        session_start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(sender, events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        self.all_sessions = sa.select(events.c.data).where(sender).order_by(events.c.id)
        latest = sa.or_(events.c.timestamp >= session_start, session_start.is_(None))
        self.latest_session = self.all_sessions.where(latest)
        self.count_latest_session = (
            sa.select(sa.func.count()).select_from(events).where(sender, latest)
        )
        self.insert = events.insert()
        # The same statements in asyncpg's form (PostgreSQL), made when first used.
        self._async: dict[int, AsyncStatement] = {}
        self._columns = [column.name for column in events.columns if not column.primary_key]

    def in_async(self, statement: sa.sql.ClauseElement) -> AsyncStatement:
        """One of the statements above in asyncpg's form; the insert names every column but
        the id (which the database numbers) and returns nothing."""
        key = id(statement)
        if key not in self._async:
            if statement is self.insert:
                compiled = AsyncStatement.from_sqlalchemy(
                    self.insert.inline(), column_keys=self._columns
                )
            else:
                compiled = AsyncStatement.from_sqlalchemy(statement)
            self._async[key] = compiled
        return self._async[key]
