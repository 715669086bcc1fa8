"""The service's settings, read once from the environment (settings.env and var/secrets.env)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_DB_URL = "sqlite:///var/case_status.db"


class SettingsError(ValueError):
    """A setting is missing or invalid; the message says which and how to fix it."""


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name) or str(default)
    try:
        value = float(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from error
    if value < 0:
        raise SettingsError(f"{name} must not be negative")
    return value


def _clients(env: Mapping[str, str]) -> dict[str, str]:
    """The API clients: the main one, plus `id:secret` pairs in CASE_STATUS_EXTRA_CLIENTS."""
    client_id = env.get("CASE_STATUS_CLIENT_ID", "")
    secret = env.get("CASE_STATUS_CLIENT_SECRET", "")
    if not client_id or not secret:
        raise SettingsError(
            "CASE_STATUS_CLIENT_ID and CASE_STATUS_CLIENT_SECRET must be set "
            "(`make run` writes random ones to var/secrets.env)"
        )
    clients = {client_id: secret}
    for pair in (env.get("CASE_STATUS_EXTRA_CLIENTS") or "").split(","):
        if pair.strip():
            extra_id, _, extra_secret = pair.strip().partition(":")
            if not extra_id or not extra_secret:
                raise SettingsError(
                    "CASE_STATUS_EXTRA_CLIENTS takes id:secret pairs, comma-separated"
                )
            clients[extra_id] = extra_secret
    return clients


@dataclass(frozen=True)
class ServiceSettings:
    host: str
    port: int
    db_url: str
    clients: dict[str, str] = field(repr=False)
    # Lifetime of an access token; the real API says "1800".
    token_ttl: int = 1800
    # Per-client limits, like the sandbox's spike arrest and daily quota.
    per_second: int = 5
    per_day: int = 1000
    # Test configuration of the real process: added latency, and a file whose presence means
    # "down for maintenance" (503), like the sandbox outside its weekday hours.
    delay_seconds: float = 0.0
    maintenance_file: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServiceSettings:
        env = os.environ if env is None else env
        host = env.get("CASE_STATUS_HOST") or "127.0.0.1"
        return cls(
            host=host,
            port=int(_number(env, "CASE_STATUS_PORT", 8001)),
            db_url=env.get("CASE_STATUS_DB_URL") or DEFAULT_DB_URL,
            clients=_clients(env),
            token_ttl=int(_number(env, "CASE_STATUS_TOKEN_TTL", 1800)),
            per_second=int(_number(env, "CASE_STATUS_RATE_PER_SECOND", 5)),
            per_day=int(_number(env, "CASE_STATUS_RATE_PER_DAY", 1000)),
            delay_seconds=_number(env, "CASE_STATUS_DELAY_SECONDS", 0),
            maintenance_file=env.get("CASE_STATUS_MAINTENANCE_FILE", ""),
        )
