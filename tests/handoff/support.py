"""Helpers for the handoff tests: a hub with the handoff mounted, accounts, a console client,
a real local SMTP server and a fresh PostgreSQL database."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
import websockets
from aiosmtpd.controller import Controller

from scripts.stack import ROOT, HubProcess, Stack, free_port

PASSWORD = "correct horse battery staple"
INTERNAL_TOKEN = "internal-" + secrets.token_urlsafe(24)
ALWAYS_OPEN = {"HANDOFF_HOURS": "Mon-Sun 00:00-24:00", "HANDOFF_FEDERAL_HOLIDAYS": "false"}


def hub_env(
    workdir: Path,
    port: int,
    rasa_url: str = "http://127.0.0.1:9",
    rasa_token: str = "no-rasa",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    return {
        **os.environ,
        "HUB_HOST": "127.0.0.1",
        "HUB_PORT": str(port),
        "HUB_SECRET": secrets.token_urlsafe(32),
        "HUB_DB_URL": f"sqlite:///{workdir}/hub.db",
        "RASA_URL": rasa_url,
        "RASA_TOKEN": rasa_token,
        "HUB_INTERNAL_TOKEN": INTERNAL_TOKEN,
        **ALWAYS_OPEN,
        **(extra or {}),
    }


@contextlib.contextmanager
def handoff_hub(
    extra: dict[str, str] | None = None,
    port: int | None = None,
    rasa_url: str = "http://127.0.0.1:9",
    rasa_token: str = "no-rasa",
) -> Iterator[HubProcess]:
    """A real hub process (with the handoff mounted) and its own SQLite database."""
    workdir = Path(tempfile.mkdtemp(prefix="handoff-hub-"))
    port = port or free_port()
    hub = HubProcess(port, hub_env(workdir, port, rasa_url, rasa_token, extra), workdir / "hub.log")
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


def create_account(hub: HubProcess, username: str, name: str, role: str = "agent") -> None:
    """Through the real command, as an administrator would."""
    result = subprocess.run(
        [sys.executable, "-m", "services.handoff.accounts", "create", "--username", username,
         "--name", name, "--role", role, "--password-stdin"],
        input=PASSWORD + "\n", env=hub.env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


class ConsoleClient:
    """The console's HTTP API as the page uses it."""

    def __init__(self, hub: HubProcess, token: str | None = None) -> None:
        self.hub = hub
        self.token = token

    def sign_in(self, username: str, password: str = PASSWORD) -> requests.Response:
        reply = requests.post(
            f"{self.hub.url}/console/api/sign-in",
            json={"username": username, "password": password},
            timeout=20,
        )
        if reply.status_code == 200:
            self.token = reply.json()["token"]
        return reply

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str) -> requests.Response:
        return requests.get(
            f"{self.hub.url}/console/api/{path}", headers=self._headers(), timeout=20
        )

    def post(self, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return requests.post(
            f"{self.hub.url}/console/api/{path}", json=body, headers=self._headers(), timeout=30
        )


def internal(hub: HubProcess, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{hub.url}/internal/{path}",
        json=body,
        headers={"Authorization": f"Bearer {INTERNAL_TOKEN}"},
        timeout=20,
    )


class ConsoleSocket:
    """An agent's live channel: being connected is what makes an agent 'online'."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, hub: HubProcess, token: str) -> ConsoleSocket:
        ws = await websockets.connect(f"ws://127.0.0.1:{hub.port}/console/ws")
        await ws.send(json.dumps({"type": "auth", "token": token}))
        socket = cls(ws)
        ready = await socket.until(lambda f: f["type"] in ("ready", "error"))
        assert ready["type"] == "ready", ready
        return socket

    async def until(self, predicate: Any, timeout: float = 30.0) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), deadline - loop.time()))
            if predicate(frame):
                return frame

    async def close(self) -> None:
        await self.ws.close()


class Mailbox:
    """A real SMTP server on a free local port that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


@contextlib.contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test module, dropped afterwards."""
    name = f"handoff_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(
        "postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as db:
        db.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as db:
            db.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class HandoffStack:
    """Rasa and the action server, told to call a hub on `port`, and a mailbox."""

    stack: Stack
    port: int
    mailbox: Mailbox


@dataclass
class Live:
    """Everything a round trip needs: Rasa, the hub with the handoff on that port, a mailbox."""

    stack: Stack
    hub: HubProcess
    mailbox: Mailbox
