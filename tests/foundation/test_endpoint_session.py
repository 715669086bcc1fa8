"""Rasa's calls to the action server reuse their connections (addons/endpoint_session.py), and
that never costs a call: endpoints keep their own credentials, and a server that restarted or
closed an idle connection still gets the next call."""

from __future__ import annotations

import asyncio
from typing import Any

import addons  # noqa: F401  (importing the package installs the sessions)
from addons import endpoint_session
from tests.foundation.webhook_server import ANSWER, Server


def test_calls_reuse_one_connection_and_each_gets_its_answer() -> None:
    async def scenario() -> tuple[list[Any], list[dict[str, Any]]]:
        server = Server()
        await server.start()
        try:
            endpoint = server.endpoint()
            answers = [await endpoint.request(json={"call": n}) for n in range(3)]
            # A second EndpointConfig with the same settings (Rasa copies them) shares it too.
            answers.append(await server.endpoint().request(json={"call": 3}))
        finally:
            await endpoint_session.close_all()
            await server.stop()
        return answers, server.seen

    answers, seen = asyncio.run(scenario())
    assert answers == [ANSWER] * 4
    assert [request["body"] for request in seen] == [{"call": n} for n in range(4)]
    assert len({request["peer"] for request in seen}) == 1  # one TCP connection for all four


def test_endpoints_with_other_credentials_never_share_headers() -> None:
    async def scenario() -> list[dict[str, Any]]:
        server = Server()
        await server.start()
        try:
            await server.endpoint(headers={"Authorization": "Bearer one"}).request(json={})
            await server.endpoint(headers={"Authorization": "Bearer two"}).request(json={})
            await server.endpoint().request(json={})
        finally:
            await endpoint_session.close_all()
            await server.stop()
        return server.seen

    seen = asyncio.run(scenario())
    assert [request["authorization"] for request in seen] == ["Bearer one", "Bearer two", None]


def test_a_restarted_server_gets_the_next_call() -> None:
    async def scenario() -> tuple[Any, Any, int]:
        server = Server()
        await server.start()
        endpoint = server.endpoint()
        try:
            first = await endpoint.request(json={"call": 1})
            await server.stop()  # closes its connections, like an action server restarting
            await server.start()  # the same port
            second = await endpoint.request(json={"call": 2})
        finally:
            await endpoint_session.close_all()
            await server.stop()
        return first, second, len(server.seen)

    first, second, calls = asyncio.run(scenario())
    assert first == second == ANSWER
    assert calls == 2


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    """The server closes idle connections after 3 s (Sanic's default is 5 s): the call after
    3.5 s of quiet goes out on a new connection and gets its answer."""

    async def scenario() -> tuple[Any, list[dict[str, Any]]]:
        server = Server(keepalive_timeout=3.0)
        await server.start()
        endpoint = server.endpoint()
        try:
            await endpoint.request(json={"call": 1})
            await asyncio.sleep(3.5)
            answer = await endpoint.request(json={"call": 2})
        finally:
            await endpoint_session.close_all()
            await server.stop()
        return answer, server.seen

    answer, seen = asyncio.run(scenario())
    assert answer == ANSWER
    assert len(seen) == 2 and seen[0]["peer"] != seen[1]["peer"]


def test_each_event_loop_gets_its_own_session() -> None:
    """A session belongs to the loop it was made in: a second loop (a test, `rasa shell` after
    training) must not reuse the first one's, even when the first never closed it."""
    server_ports: list[int] = []
    peers: list[Any] = []

    async def one_call() -> Any:
        server = Server()
        server.port = server_ports[0] if server_ports else 0
        await server.start()
        server_ports[:] = [server.port]
        try:
            return await server.endpoint().request(json={"call": 1})
        finally:
            peers.extend(request["peer"] for request in server.seen)
            await server.stop()  # the shared session is left open, as a crashed test would

    first = asyncio.run(one_call())
    second = asyncio.run(one_call())
    assert first == second == ANSWER
    assert len(peers) == 2
