"""The hub's HTTP and WebSocket surface: demo page, widget files, USWDS assets, /ws, /health."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from sanic import Request, Sanic, response
from sanic.response import HTTPResponse
from websockets.exceptions import ConnectionClosed

from services.collector import freeze_when_started
from services.hub.bus import make_bus
from services.hub.core import Hub, Visitor
from services.hub.health import add_probes
from services.hub.protocol import BadFrame, Hello, Message, Ping, parse
from services.hub.rasa import RasaClient
from services.hub.settings import HubSettings, SettingsError
from services.hub.store import TranscriptStore

ROOT = Path(__file__).resolve().parents[2]
WIDGET_DIR = ROOT / "widget"
USWDS_DIR = ROOT / "node_modules" / "@uswds" / "uswds" / "dist"
DEMO_PAGES = {"/": "demo.html", "/es/": "demo-es.html"}

log = logging.getLogger("hub")

# The demo page loads only its own files; the widget talks only to this hub.
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def create_app(settings: HubSettings, name: str = "chat_hub") -> Sanic:
    app = Sanic(name)
    app.config.WEBSOCKET_MAX_SIZE = settings.max_frame_bytes
    app.config.WEBSOCKET_PING_INTERVAL = 20
    app.config.WEBSOCKET_PING_TIMEOUT = 20
    app.config.FALLBACK_ERROR_FORMAT = "json"

    @app.exception(IsADirectoryError)
    async def directory_is_no_file(request: Request, _error: Exception) -> HTTPResponse:
        """/widget/ or /uswds/css/ names a folder: not found, not a server error."""
        return response.json({"error": "not found"}, status=404)

    app.static("/widget", str(WIDGET_DIR), name="widget")
    if USWDS_DIR.is_dir():
        app.static("/uswds", str(USWDS_DIR), name="uswds")
    else:
        log.warning("%s is missing: run `npm ci` for the demo page's styles", USWDS_DIR)

    @app.listener("before_server_start")
    async def start(app: Sanic, _loop: object) -> None:
        store = await asyncio.to_thread(TranscriptStore, settings.db_url)
        await store.start()
        rasa = RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout)
        await rasa.start()
        bus = make_bus(settings.bus_url, settings.bus_prefix)
        await bus.start()  # subscribed before the first socket opens (or logged why not)
        app.ctx.hub = Hub(settings, store, rasa, bus)

    @app.listener("after_server_stop")
    async def stop(app: Sanic, _loop: object) -> None:
        await app.ctx.hub.shutdown()

    @app.middleware("request")
    async def check_origin(request: Request) -> HTTPResponse | None:
        # Before the WebSocket handshake: only allowed pages may open a chat.
        if request.path == "/ws" and not settings.origin_allowed(request.headers.get("origin")):
            return response.json({"error": "origin not allowed"}, status=403)
        return None

    @app.middleware("request")
    async def refuse_what_sanic_fails_on(request: Request) -> HTTPResponse | None:
        """Two requests Sanic answers with 500: a NUL in a static file's path, and a plain
        GET (no upgrade) of a WebSocket route."""
        if "%00" in request.path:
            return response.json({"error": "not found"}, status=404)
        upgrade = request.headers.get("upgrade", "").lower()
        if request.path in ("/ws", "/console/ws") and upgrade != "websocket":
            return response.json({"error": "WebSocket only"}, status=426)
        return None

    @app.middleware("response")
    async def security_headers(request: Request, reply: HTTPResponse) -> None:
        if reply is None:
            return
        for key, value in SECURITY_HEADERS.items():
            reply.headers.setdefault(key, value)

    async def demo(request: Request) -> HTTPResponse:
        page = (WIDGET_DIR / DEMO_PAGES[request.path]).read_text(encoding="utf-8")
        return response.html(page, headers={"Content-Security-Policy": DEMO_CSP})

    for path in DEMO_PAGES:
        app.add_route(demo, path, name=f"demo_{DEMO_PAGES[path].split('.')[0]}")

    add_probes(app)  # /live and /ready for orchestrators (services/hub/health.py)

    @app.get("/health")
    async def health(request: Request) -> HTTPResponse:
        hub: Hub = request.app.ctx.hub
        try:
            await hub.db(hub.store.get_conversation, "health-check")
            store_ok = True
        except Exception:  # the store's own error is in the log
            log.exception("transcript store health check failed")
            store_ok = False
        rasa_ok = await hub.rasa.reachable()
        body = {
            "status": "ok" if store_ok else "error",
            "store": "ok" if store_ok else "error",
            "rasa": "ok" if rasa_ok else "unreachable",
        }
        if hub.bus.shared:
            # "ok", or "lost" (Redis unreachable: only this hub's own tabs and consoles get its
            # messages). Not an error: the hub still serves what it holds.
            body["bus"] = hub.bus.state
        return response.json(body, status=200 if store_ok else 503)

    @app.websocket("/ws")
    async def visitor_socket(request: Request, ws: object) -> None:
        hub: Hub = request.app.ctx.hub
        visitor: Visitor | None = None
        try:
            while True:
                raw = await ws.recv()  # type: ignore[attr-defined]
                if raw is None:
                    break
                language = visitor.speaks if visitor else "en"
                try:
                    incoming = parse(raw)
                except BadFrame as error:
                    await hub.error(ws, error.code, language)  # type: ignore[arg-type]
                    continue
                if isinstance(incoming, Ping):
                    await ws.send('{"type": "pong"}')  # type: ignore[attr-defined]
                elif isinstance(incoming, Hello):
                    if visitor is not None:
                        hub.close(visitor)
                    visitor = await hub.open(ws, incoming)  # type: ignore[arg-type]
                elif isinstance(incoming, Message):
                    if visitor is None:
                        await hub.error(
                            ws,  # type: ignore[arg-type]
                            "hello_first",
                            incoming.language,
                            client_id=incoming.client_id,
                        )
                        continue
                    await hub.receive(visitor, incoming)
        except ConnectionClosed:
            pass
        finally:
            if visitor is not None:
                hub.close(visitor)

    # --- handoff (issue 4): agent console, its WebSocket and the internal handoff API, mounted
    # after the hub's own listener so that app.ctx.hub exists when it starts (docs/handoff.md).
    from services.handoff import attach

    attach(app)
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        settings = HubSettings.from_env()
    except SettingsError as error:
        raise SystemExit(f"error: {error}") from None
    app = create_app(settings)
    # In the hub's own process only, not where a test builds the app (services/collector.py).
    app.register_listener(freeze_when_started, "after_server_start")
    for name in ("sanic.root", "sanic.error", "sanic.access"):
        logging.getLogger(name).propagate = False  # Sanic prints these itself: no doubles
    # The websockets library logs "connection open" for every tab through Sanic's error
    # logger: a line per visitor that says nothing, and CPU when thousands reconnect at once.
    logging.getLogger("sanic.error").setLevel(logging.WARNING)
    print(f"Chat hub: demo page at {settings.public_url}/", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        app.run(host=settings.host, port=settings.port, access_log=False, motd=False, workers=1)
