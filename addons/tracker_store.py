"""Rasa's SQL tracker store, configured from one URL, that never stores personal data in full.

TRACKER_STORE_URL picks the database: `sqlite:///var/tracker.db` (the default, so conversations
survive a restart) or `postgresql://user:password@host:5432/db`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from privacy import redact_value

DEFAULT_URL = "sqlite:///var/tracker.db"


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
    """SQL tracker store that masks receipt numbers, A-numbers, SSNs and secrets in its events."""

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

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        for event in super()._additional_events(session, tracker):
            data = event.as_dict()
            redacted = redact_value(data)
            if isinstance(data.get("message_id"), str):
                # The hub's id for the message ("hub-<n>") is no personal data, and the REST
                # channel looks it up to answer a resent message once (addons/channels.py).
                redacted["message_id"] = data["message_id"]
            yield Event.from_parameters(redacted)
