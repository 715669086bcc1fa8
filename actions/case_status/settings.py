"""Where the case-status API is and how the lookup behaves, from the environment.

Without CASE_STATUS_URL there is no backend: the assistant points visitors to the official
online tool instead of asking for a receipt number.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        return float(env.get(name) or default)
    except ValueError:
        return default


@dataclass(frozen=True)
class ClientSettings:
    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    token_url: str = ""
    # Each HTTP attempt, and the whole lookup including retries: the visitor must hear back
    # within 5 seconds of sending the receipt number, outage or not.
    attempt_timeout: float = 1.5
    budget: float = 3.0
    max_attempts: int = 4
    backoff: float = 0.25
    # Circuit breaker: after this many failed lookups in a row, answer "unavailable" at once
    # for `breaker_cooldown` seconds, then let one lookup try again.
    breaker_failures: int = 3
    breaker_cooldown: float = 30.0

    @property
    def token_endpoint(self) -> str:
        return self.token_url or f"{self.base_url}/oauth/accesstoken"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ClientSettings | None:
        """The settings, or None when no backend is configured."""
        env = os.environ if env is None else env
        base_url = (env.get("CASE_STATUS_URL") or "").rstrip("/")
        if not base_url:
            return None
        return cls(
            base_url=base_url,
            client_id=env.get("CASE_STATUS_CLIENT_ID", ""),
            client_secret=env.get("CASE_STATUS_CLIENT_SECRET", ""),
            token_url=env.get("CASE_STATUS_TOKEN_URL", ""),
            attempt_timeout=_float(env, "CASE_STATUS_TIMEOUT", 1.5),
            budget=_float(env, "CASE_STATUS_BUDGET", 3.0),
            breaker_failures=int(_float(env, "CASE_STATUS_BREAKER_FAILURES", 3)),
            breaker_cooldown=_float(env, "CASE_STATUS_BREAKER_COOLDOWN", 30.0),
        )


@dataclass(frozen=True)
class LimitSettings:
    """Lookups allowed per conversation, and per visitor in 24 hours, against enumeration."""

    per_conversation: int = 5
    per_visitor: int = 10
    # Empty: counted in the action server's memory; redis://... shares them between servers.
    store_url: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LimitSettings:
        env = os.environ if env is None else env
        return cls(
            per_conversation=int(_float(env, "CASE_STATUS_MAX_PER_CONVERSATION", 5)),
            per_visitor=int(_float(env, "CASE_STATUS_MAX_PER_VISITOR", 10)),
            store_url=env.get("CASE_STATUS_LIMITS_URL", ""),
        )
