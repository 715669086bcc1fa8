"""The handoff's settings, read once from the environment (settings.env, var/secrets.env)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from services.handoff.availability import HoursError, OpeningHours


class SettingsError(ValueError):
    """A handoff setting is invalid; the message says which and how to fix it."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from error
    if value <= 0:
        raise SettingsError(f"{name} must be above zero, not {value}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    return default if not raw else raw in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    username: str = ""
    password: str = ""
    starttls: bool = False
    sender: str = "no-reply@localhost"
    timeout: float = 15.0


@dataclass(frozen=True)
class HandoffSettings:
    # Transcripts, accounts and chats share one database by default: the hub's.
    db_url: str
    # The bearer token Rasa's action server shows on /internal/*; empty disables those routes.
    internal_token: str
    hours: OpeningHours
    smtp: SmtpSettings
    session_hours: int = 8
    service_request_hours: int = 48
    # Waiting visitors go back to the bot when live chat has been unavailable this long.
    give_up_seconds: int = 180
    tick_seconds: float = 5.0

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, default_db_url: str = "sqlite:///var/hub.db"
    ) -> HandoffSettings:
        env = os.environ if env is None else env
        try:
            hours = OpeningHours.parse(
                env.get("HANDOFF_HOURS", "Mon-Fri 08:00-20:00"),
                env.get("HANDOFF_TIMEZONE") or "America/New_York",
                env.get("HANDOFF_HOLIDAYS", ""),
                _flag(env, "HANDOFF_FEDERAL_HOLIDAYS", True),
            )
        except HoursError as error:
            raise SettingsError(f"opening hours (HANDOFF_HOURS...): {error}") from None
        smtp = SmtpSettings(
            host=env.get("HANDOFF_SMTP_HOST") or "127.0.0.1",
            port=_int(env, "HANDOFF_SMTP_PORT", 25),
            username=env.get("HANDOFF_SMTP_USER") or "",
            password=env.get("HANDOFF_SMTP_PASSWORD") or "",
            starttls=_flag(env, "HANDOFF_SMTP_STARTTLS", False),
            sender=env.get("HANDOFF_MAIL_FROM") or "no-reply@localhost",
        )
        token = env.get("HUB_INTERNAL_TOKEN") or ""
        if token and len(token) < 16:
            raise SettingsError("HUB_INTERNAL_TOKEN must be at least 16 characters long")
        return cls(
            db_url=env.get("HANDOFF_DB_URL") or env.get("HUB_DB_URL") or default_db_url,
            internal_token=token,
            hours=hours,
            smtp=smtp,
            session_hours=_int(env, "HANDOFF_SESSION_HOURS", 8),
            service_request_hours=_int(env, "HANDOFF_SERVICE_REQUEST_HOURS", 48),
            give_up_seconds=_int(env, "HANDOFF_GIVE_UP_SECONDS", 180),
        )
