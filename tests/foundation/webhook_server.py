"""A local HTTP server standing in for the action server in tests of Rasa's endpoint calls."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

ANSWER = {"events": [], "responses": [{"text": "ok"}]}


class Server:
    """A local HTTP server that records, per request, the connection and headers it came on."""

    def __init__(self, keepalive_timeout: float = 75.0) -> None:
        self.seen: list[dict[str, Any]] = []
        self.keepalive_timeout = keepalive_timeout
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def _webhook(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.seen.append(
            {
                "peer": peer,
                "authorization": request.headers.get("Authorization"),
                "body": await request.json(),
            }
        )
        return web.json_response(ANSWER)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/webhook", self._webhook)
        self._runner = web.AppRunner(app, keepalive_timeout=self.keepalive_timeout)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def endpoint(self, **settings: Any) -> EndpointConfig:
        return EndpointConfig(f"http://127.0.0.1:{self.port}/webhook", **settings)
