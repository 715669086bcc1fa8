"""Helpers for the hub's tests: a visitor's WebSocket client and a cuttable link to Rasa."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import uuid
from collections.abc import Callable
from typing import Any

import websockets

from scripts.stack import HubProcess

TURN_TIMEOUT = 60.0


class Chat:
    """One browser tab's WebSocket, driven frame by frame."""

    # Every chat a test opened; the hub tests' conftest closes those the test left open.
    opened: list[Chat] = []

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.welcome: dict[str, Any] = {}
        # The test's event loop: a chat can only be closed politely from the loop that opened it.
        self.loop = asyncio.get_running_loop()
        Chat.opened.append(self)

    @classmethod
    async def open(
        cls,
        hub: HubProcess,
        token: str | None = None,
        page_language: str = "en",
        language: str | None = None,
        origin: str | None = None,
    ) -> Chat:
        ws = await websockets.connect(
            hub.ws_url, origin=origin or hub.url, max_size=None, close_timeout=2
        )
        chat = cls(ws)
        await chat.send_frame(
            {
                "type": "hello",
                "token": token,
                "page_url": f"{hub.url}/",
                "page_language": page_language,
                "language": language,
            }
        )
        chat.welcome = await chat.until(lambda f: f["type"] == "welcome")
        return chat

    @property
    def token(self) -> str:
        return self.welcome["token"]

    async def close(self) -> None:
        await self.ws.close()

    @classmethod
    async def close_all(cls) -> None:
        """Close every chat left open; one opened by an earlier test (another package's tests
        use this class too) belongs to a finished event loop, so its connection is just dropped."""
        loop = asyncio.get_running_loop()
        while cls.opened:
            chat = cls.opened.pop()
            if chat.loop is loop:
                await chat.close()
            else:
                with contextlib.suppress(RuntimeError):  # that loop may be closed already
                    chat.ws.transport.abort()

    async def send_frame(self, data: Any) -> None:
        await self.ws.send(data if isinstance(data, (str, bytes)) else json.dumps(data))

    async def next(self, timeout: float = TURN_TIMEOUT) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def until(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = TURN_TIMEOUT
    ) -> dict[str, Any]:
        """Read frames until one matches (frames before it are dropped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.next(max(0.1, deadline - loop.time()))
            if predicate(frame):
                return frame

    async def say(
        self,
        text: str,
        payload: str | None = None,
        language: str | None = None,
        client_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Send a message and return every entry of the turn (the echo, then the answers)."""
        client_id = client_id or uuid.uuid4().hex
        await self.send_frame(
            {
                "type": "message",
                "id": client_id,
                "text": text,
                "payload": payload,
                "language": language,
            }
        )
        return await self.turn()

    async def turn(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        while True:
            frame = await self.next()
            if frame["type"] == "entry":
                entries.append(frame["entry"])
            elif frame["type"] == "typing" and not frame["active"]:
                return entries
            elif frame["type"] == "error":
                raise AssertionError(f"unexpected error frame {frame}")


def bot_text(entries: list[dict[str, Any]]) -> str:
    return "\n".join(e.get("text") or "" for e in entries if e["role"] in ("bot", "system"))


def button_titles(entries: list[dict[str, Any]]) -> list[str]:
    return [b["title"] for e in entries for b in e.get("buttons", [])]


class FaultyLink:
    """A TCP relay between the hub and the real Rasa that a test can cut or stall.

    Rasa itself keeps running; only the network between it and the hub fails, the way a
    restarting or overloaded server looks from the hub.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.mode = "up"  # "up", "down" (connections are dropped) or "stalled" (never answered)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode: str) -> None:
        """Switch mode and drop the connections already open (the hub keeps them alive)."""
        with self._lock:
            self.mode = mode
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
            self._open.clear()

    def close(self) -> None:
        self.set_mode("down")
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                mode = self.mode
                if mode == "down":
                    client.close()
                    continue
                self._open.append(client)
            if mode == "up":
                threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _forward(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:
            client.close()
            return
        with self._lock:
            self._open.append(upstream)
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        _pump(client, upstream)


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.close()
