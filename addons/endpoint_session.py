"""Rasa's calls to the action server over kept-alive connections, with the body sent by orjson.

Rasa 3.6 opens a new aiohttp session, and so a new TCP connection, for every call to an endpoint
(`async with self.session()` in `EndpointConfig.request`) and closes it afterwards. Every message
calls the action server one or more times (forms' validation, lookups, fallbacks, handoff), so
each paid a connect, the action server's connection set-up and a teardown: 3-4% of a Rasa
replica's samples under the human-paced load went to building and closing sessions (py-spy,
docs/benchmark.md). Here each endpoint's settings (headers, basic auth) get one session per event
loop, which `async with` hands out and leaves open.

An idle connection is reused for at most KEEP_ALIVE_SECONDS, well inside the action server's own
keep-alive (Sanic's default is 5 s), so the server never closes a connection this side is about
to reuse; a connection the server dropped (a restart) is seen closed and not reused. Installed
when the `addons` package is imported.
"""

from __future__ import annotations

import asyncio
import json
from types import TracebackType

import aiohttp
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from addons.fast_json import dumps

KEEP_ALIVE_SECONDS = 2.0

_Key = tuple[str, str]
# The sessions of each running event loop (a server has one; tests start several).
_sessions: dict[asyncio.AbstractEventLoop, dict[_Key, aiohttp.ClientSession]] = {}


class _Borrowed:
    """`async with` gives the shared session and leaves it open for the next call."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


def new_session(config: EndpointConfig) -> aiohttp.ClientSession:
    """Rasa's `EndpointConfig.session` (headers, basic auth, timeout), the body encoded by
    `fast_json.dumps` and idle connections kept for KEEP_ALIVE_SECONDS."""
    auth = None
    if config.basic_auth:
        auth = aiohttp.BasicAuth(config.basic_auth["username"], config.basic_auth["password"])
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEP_ALIVE_SECONDS),
        headers=config.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        json_serialize=dumps,
    )


def session(self: EndpointConfig) -> aiohttp.ClientSession | _Borrowed:
    """What `async with endpoint.session() as s` uses: the shared session of this event loop for
    these headers and credentials (two endpoints never share one with different ones)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # outside a loop: a session of its own, as Rasa does
        return new_session(self)
    key = (
        json.dumps(self.headers or {}, sort_keys=True, default=str),
        json.dumps(self.basic_auth or {}, sort_keys=True, default=str),
    )
    shared = _sessions.get(loop)
    if shared is None:
        for finished in [other for other in _sessions if other.is_closed()]:
            del _sessions[finished]  # a loop that ended without close_all(): forget its sessions
        shared = _sessions[loop] = {}
    current = shared.get(key)
    if current is None or current.closed:
        current = shared[key] = new_session(self)
    return _Borrowed(current)


async def close_all() -> None:
    """Close this loop's shared sessions (a server stopping; tests)."""
    shared = _sessions.pop(asyncio.get_running_loop(), {})
    for kept in shared.values():
        await kept.close()


def install() -> None:
    EndpointConfig.session = session  # type: ignore[method-assign,assignment]
