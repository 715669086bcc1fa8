"""The handoff's HTTP and WebSocket surface, as a Sanic Blueprint the hub mounts.

/console/                       the agent console (static page, console/)
/console/api/...                JSON API; every route but sign-in needs a valid session
/console/ws                     the console's WebSocket (first frame: {"type":"auth","token"})
/internal/handoff               from the action server, with HUB_INTERNAL_TOKEN
/internal/service_requests      same
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse
from websockets.exceptions import ConnectionClosed

from services.handoff.accounts import authenticate
from services.handoff.canned import CANNED
from services.handoff.service import Console, Handoff, Refused
from services.handoff.store import Account
from services.hub.protocol import UNSTORABLE_RE

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_DIR = ROOT / "console"
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# Sign-in attempts per user name in a window, against password guessing.
SIGN_IN_LIMIT = 8
SIGN_IN_WINDOW = 300.0
AUTH_TIMEOUT = 10.0
# The action server's rule for the visitor's address (actions/handoff.py): it goes into the
# answer's To header, so no line breaks, spaces or markup.
EMAIL_RE = re.compile(r"[^@\s<>()\[\],;:\"]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

log = logging.getLogger("handoff")


def _bearer(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.startswith("Bearer ") else ""
    # Tokens are ASCII; other bytes arrive as surrogates that neither hashing nor
    # compare_digest accept: they are no token at all.
    return token if token.isascii() else ""


def _storable(value: Any) -> bool:
    """No lone surrogate (valid in JSON, not text) and no NUL (PostgreSQL's text refuses it)."""
    if isinstance(value, str):
        return not UNSTORABLE_RE.search(value)
    if isinstance(value, dict):
        return all(_storable(key) and _storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


def _body(request: Request) -> dict[str, Any]:
    try:
        body = request.json
    except Exception:  # malformed JSON: Sanic raises InvalidUsage
        return {}
    return body if isinstance(body, dict) and _storable(body) else {}


def _refused(error: Refused) -> HTTPResponse:
    return response.json({"error": str(error)}, status=error.status)


def blueprint(handoff_of: Any) -> Blueprint:
    """`handoff_of(request_app)` gives the running Handoff (it is built when the server starts)."""
    bp = Blueprint("handoff")
    failures: dict[str, deque[float]] = defaultdict(deque)

    def service(request: Request) -> Handoff:
        return handoff_of(request.app)

    bp.static("/console/static", str(CONSOLE_DIR), name="console_static")

    @bp.get("/console/", strict_slashes=False)
    async def console_page(request: Request) -> HTTPResponse:
        page = (CONSOLE_DIR / "index.html").read_text(encoding="utf-8")
        return response.html(
            page, headers={"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-store"}
        )

    # --- sessions
    @bp.middleware("request")
    async def require_session(request: Request) -> HTTPResponse | None:
        path = request.path
        if not path.startswith("/console/api/") or path == "/console/api/sign-in":
            return None
        token = _bearer(request)
        account = await asyncio.to_thread(service(request).store.session_account, token)
        if account is None:
            return response.json({"error": "sign in first"}, status=401)
        request.ctx.account = account
        request.ctx.token = token
        return None

    @bp.post("/console/api/sign-in")
    async def sign_in(request: Request) -> HTTPResponse:
        body = _body(request)
        username, password = body.get("username"), body.get("password")
        if not (isinstance(username, str) and isinstance(password, str)):
            return response.json({"error": "user name and password are required"}, status=400)
        key = username.strip().lower()[:64]
        recent = failures[key]
        moment = time.monotonic()
        while recent and moment - recent[0] > SIGN_IN_WINDOW:
            recent.popleft()
        if len(recent) >= SIGN_IN_LIMIT:
            return response.json({"error": "too many attempts; try again later"}, status=429)
        handoff = service(request)
        account = await asyncio.to_thread(authenticate, handoff.store, username, password[:1000])
        if account is None:
            recent.append(moment)
            return response.json({"error": "wrong user name or password"}, status=401)
        recent.clear()
        hours = handoff.settings.session_hours
        token = await asyncio.to_thread(handoff.store.create_session, account.id, hours)
        return response.json({"token": token, "me": account.to_json(), "hours": hours})

    @bp.post("/console/api/sign-out")
    async def sign_out(request: Request) -> HTTPResponse:
        await service(request).sign_out(request.ctx.token)
        return response.empty()

    # --- queues and chats
    @bp.get("/console/api/state")
    async def state(request: Request) -> HTTPResponse:
        return response.json(await service(request).state_for(request.ctx.account))

    @bp.get("/console/api/canned")
    async def canned(request: Request) -> HTTPResponse:
        return response.json({"replies": CANNED})

    @bp.get("/console/api/chats/<chat_id:str>")
    async def transcript(request: Request, chat_id: str) -> HTTPResponse:
        try:
            return response.json(await service(request).transcript(request.ctx.account, chat_id))
        except Refused as error:
            return _refused(error)

    @bp.post("/console/api/chats/<chat_id:str>/<verb:str>")
    async def chat_action(request: Request, chat_id: str, verb: str) -> HTTPResponse:
        handoff, account, body = service(request), request.ctx.account, _body(request)
        try:
            if verb == "claim":
                return response.json(await handoff.claim(account, chat_id))
            if verb == "messages":
                text = body.get("text")
                if not isinstance(text, str):
                    return response.json({"error": "text is required"}, status=400)
                return response.json(await handoff.send(account, chat_id, text))
            if verb == "transfer":
                await handoff.transfer(account, chat_id, str(body.get("queue") or ""))
            elif verb in ("end", "close"):
                await handoff.finish(account, chat_id, "ended" if verb == "end" else "closed")
            else:
                return response.json({"error": "unknown action"}, status=404)
        except Refused as error:
            return _refused(error)
        return response.json({"ok": True})

    @bp.post("/console/api/service-requests/<number:str>/answer")
    async def answer(request: Request, number: str) -> HTTPResponse:
        text = _body(request).get("text")
        try:
            await service(request).answer_service_request(
                request.ctx.account, number, text if isinstance(text, str) else ""
            )
        except Refused as error:
            return _refused(error)
        return response.json({"ok": True})

    @bp.get("/console/api/supervisor")
    async def supervisor(request: Request) -> HTTPResponse:
        if request.ctx.account.role != "supervisor":
            return response.json({"error": "supervisors only"}, status=403)
        return response.json(await service(request).supervisor_view())

    # --- the console's live channel
    @bp.websocket("/console/ws")
    async def console_socket(request: Request, ws: Any) -> None:
        handoff = service(request)
        console: Console | None = None
        try:
            first = await asyncio.wait_for(ws.recv(), AUTH_TIMEOUT)
            account, token = await _authenticate_frame(handoff, first)
            if account is None:
                await ws.send(json.dumps({"type": "error", "error": "sign in first"}))
                await ws.close(4001, "sign in first")
                return
            console = Console(account, token, ws)
            handoff.add_console(console)
            await ws.send(json.dumps({"type": "ready", "me": account.to_json()}))
            await handoff._refresh()
            while True:
                raw = await ws.recv()
                if raw is None:
                    break
                await _console_frame(handoff, console, raw)
        except (ConnectionClosed, asyncio.TimeoutError):
            pass
        finally:
            if console is not None:
                await handoff.remove_console(console)

    # --- from the action server
    def internal_allowed(request: Request) -> bool:
        expected = service(request).settings.internal_token
        return bool(expected) and hmac.compare_digest(_bearer(request), expected)

    @bp.post("/internal/handoff")
    async def internal_handoff(request: Request) -> HTTPResponse:
        if not internal_allowed(request):
            return response.json({"error": "forbidden"}, status=403)
        body = _body(request)
        conversation = body.get("conversation_id")
        if not isinstance(conversation, str) or not conversation:
            return response.json({"error": "conversation_id is required"}, status=400)
        try:
            result = await service(request).request(
                conversation,
                str(body.get("reason") or "asked")[:32],
                str(body.get("language") or "en"),
                str(body.get("queue") or "tier_1"),
                body.get("summary") or {},
            )
        except Refused as error:
            return _refused(error)
        return response.json(result)

    @bp.post("/internal/service_requests")
    async def internal_service_request(request: Request) -> HTTPResponse:
        if not internal_allowed(request):
            return response.json({"error": "forbidden"}, status=403)
        body = _body(request)
        question, email = body.get("question"), body.get("email")
        if not (isinstance(question, str) and question.strip() and len(question) <= 2000):
            return response.json({"error": "question is required"}, status=400)
        if not (isinstance(email, str) and len(email) <= 254 and EMAIL_RE.fullmatch(email.strip())):
            return response.json({"error": "a valid e-mail address is required"}, status=400)
        conversation = body.get("conversation_id")
        result = await service(request).service_request(
            conversation if isinstance(conversation, str) else None,
            question.strip(),
            email.strip(),
            str(body.get("language") or "en"),
        )
        return response.json(result)

    return bp


async def _authenticate_frame(handoff: Handoff, raw: Any) -> tuple[Account | None, str]:
    with contextlib.suppress(ValueError, TypeError):
        frame = json.loads(raw)
        if isinstance(frame, dict) and frame.get("type") == "auth":
            token = frame.get("token")
            if isinstance(token, str):
                account = await asyncio.to_thread(handoff.store.session_account, token)
                return account, token
    return None, ""


async def _console_frame(handoff: Handoff, console: Console, raw: Any) -> None:
    """typing and ping frames; everything else goes through the HTTP API."""
    try:
        frame = json.loads(raw)
    except (ValueError, TypeError):
        return
    if not isinstance(frame, dict):
        return
    if frame.get("type") == "ping":
        await console.socket.send('{"type": "pong"}')
    elif frame.get("type") == "typing" and isinstance(frame.get("chat"), str):
        # The session may have ended since the socket opened.
        account = await asyncio.to_thread(handoff.store.session_account, console.token)
        if account is None:
            await console.socket.close(4001, "signed out")
            return
        with contextlib.suppress(Refused):
            await handoff.typing(account, frame["chat"], bool(frame.get("active")))
