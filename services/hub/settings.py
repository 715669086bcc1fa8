"""The hub's settings, read once from the environment (settings.env and var/secrets.env)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DB_URL = "sqlite:///var/hub.db"
BUS_SCHEMES = ("redis://", "rediss://", "unix://")


class SettingsError(ValueError):
    """A setting is missing or invalid; the message says which and how to fix it."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    try:
        return int(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from error


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name) or str(default)
    try:
        return float(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from error


@dataclass(frozen=True)
class HubSettings:
    host: str
    port: int
    secret: str
    rasa_url: str
    rasa_token: str
    db_url: str
    # Origins whose pages may open the visitor WebSocket; ("*",) allows any page.
    allowed_origins: tuple[str, ...]
    max_message_chars: int = 1000
    messages_per_minute: int = 20
    # How long a visitor waits for Rasa before the hub apologises instead.
    rasa_timeout: float = 6.0
    # Largest WebSocket frame accepted; bigger frames close the connection (code 1009).
    max_frame_bytes: int = 64 * 1024
    session_days: int = 30
    # HUB_BUS_URL: empty = one hub process (sockets, rate limits in memory); redis://host:port/db
    # = several hubs behind a load balancer share socket traffic (Redis pub/sub) and rate limits.
    bus_url: str = ""
    # HUB_BUS_PREFIX: names the pub/sub channels and the keys; hubs that serve one site share it,
    # another site (or a test) on the same Redis picks its own.
    bus_prefix: str = "hub"

    @property
    def public_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    def origin_allowed(self, origin: str | None) -> bool:
        if "*" in self.allowed_origins:
            return True
        return bool(origin) and origin.rstrip("/") in self.allowed_origins

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HubSettings:
        env = os.environ if env is None else env
        host = env.get("HUB_HOST") or "127.0.0.1"
        port = _int(env, "HUB_PORT", 8000)
        secret = env.get("HUB_SECRET", "")
        if len(secret) < 16:
            raise SettingsError(
                "HUB_SECRET is missing or shorter than 16 characters: `make run` writes a random "
                "one to var/secrets.env; elsewhere set it in the environment."
            )
        token = env.get("RASA_TOKEN", "")
        if not token:
            raise SettingsError("RASA_TOKEN is missing: the hub needs it to call Rasa.")
        rasa_url = env.get("RASA_URL") or (
            f"http://{env.get('RASA_HOST') or '127.0.0.1'}:{env.get('RASA_PORT') or '5005'}"
        )
        origins = tuple(
            origin.strip().rstrip("/")
            for origin in (env.get("HUB_ALLOWED_ORIGINS") or "").split(",")
            if origin.strip()
        )
        if not origins:
            # The hub's own pages (the demo page) under the names a developer types.
            origins = tuple(f"http://{name}:{port}" for name in (host, "localhost", "127.0.0.1"))
        bus_url = (env.get("HUB_BUS_URL") or "").strip()
        if bus_url and not bus_url.startswith(BUS_SCHEMES):
            raise SettingsError(
                f"HUB_BUS_URL must start with one of {', '.join(BUS_SCHEMES)} (or be empty for "
                "a single hub process)"
            )
        return cls(
            host=host,
            port=port,
            secret=secret,
            rasa_url=rasa_url.rstrip("/"),
            rasa_token=token,
            db_url=env.get("HUB_DB_URL") or DEFAULT_DB_URL,
            allowed_origins=origins,
            max_message_chars=_int(env, "HUB_MAX_MESSAGE_CHARS", 1000),
            messages_per_minute=_int(env, "HUB_MESSAGES_PER_MINUTE", 20),
            rasa_timeout=_float(env, "HUB_RASA_TIMEOUT", 6.0),
            bus_url=bus_url,
            bus_prefix=(env.get("HUB_BUS_PREFIX") or "hub").strip(),
        )
