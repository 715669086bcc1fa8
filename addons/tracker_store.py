"""Rasa's SQL tracker store, configured from one URL, that never stores personal data in full.

TRACKER_STORE_URL picks the database: `sqlite:///var/tracker.db` (the default, so conversations
survive a restart) or `postgresql://user:password@host:5432/db`.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from privacy import redact_value

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

    It also spares the database work Rasa's store repeats on every message: the tracker it
    hands out remembers how many of its events are stored, so saving needs no count query, and
    the masking works on the event dicts being written instead of rebuilding events from them.
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

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        tracker = await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        if tracker is not None and not fetch_events_from_all_sessions:
            # What Rasa's save() would count again: the events of the latest session.
            setattr(tracker, STORED_EVENTS, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save, writing only the events after the ones stored, each masked."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            stored = getattr(tracker, STORED_EVENTS, None)
            if stored is None:  # a tracker this store did not hand out
                stored = self._event_query(
                    session, tracker.sender_id, fetch_events_from_all_sessions=False
                ).count()
            for event in itertools.islice(tracker.events, stored, None):
                session.add(self._row(tracker.sender_id, event))
            session.commit()
        setattr(tracker, STORED_EVENTS, len(tracker.events))

    def _row(self, sender_id: str, event: Event) -> Any:
        data = event.as_dict()
        redacted = redact_value(data)
        if isinstance(data.get("message_id"), str):
            # The hub's id for the message ("hub-<n>") is no personal data, and the REST
            # channel looks it up to answer a resent message once (addons/channels.py).
            redacted["message_id"] = data["message_id"]
        parse_data = redacted.get("parse_data") or {}
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=redacted.get("timestamp"),
            intent_name=(parse_data.get("intent") or {}).get("name"),
            action_name=redacted.get("name"),
            data=json.dumps(redacted),
        )

    async def has_message(self, sender_id: str, message_id: str) -> bool:
        """Whether the conversation holds a visitor message with this `message_id`, in any
        session; one indexed query instead of rebuilding the tracker."""
        needle = f'"message_id": {json.dumps(message_id)}'
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self.session_scope() as session:
            found = (
                session.query(self.SQLEvent.id)
                .filter(
                    self.SQLEvent.sender_id == sender_id,
                    self.SQLEvent.type_name == UserUttered.type_name,
                    self.SQLEvent.data.like(f"%{escaped}%", escape="\\"),
                )
                .first()
            )
        return found is not None
