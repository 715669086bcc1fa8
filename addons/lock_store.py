"""Lock store chosen by LOCK_STORE_URL: in-memory when empty, Redis for a `redis://` URL."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlparse

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore


def lock_store_from_url(url: str | None) -> LockStore:
    """Build the lock store a URL names; an empty URL keeps locks in this process."""
    if not url:
        return InMemoryLockStore()
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss"):
        raise ValueError(f"LOCK_STORE_URL must be empty or a redis:// URL, not {parsed.scheme!r}")
    db = int(parsed.path.lstrip("/") or 0)
    return RedisLockStore(
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
