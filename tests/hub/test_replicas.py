"""Two hub processes behind one site: they share PostgreSQL and talk through Redis pub/sub.

One Rasa stack for the module; hub A (the one the action server calls for handoffs) and hub B
share one PostgreSQL database, one Redis and a channel prefix of their own. A visitor's tabs,
an agent's console and the rate limit may each sit on either hub.
"""

from __future__ import annotations

import contextlib
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests

from scripts.stack import HubProcess, Stack, free_port, running_stack, start_hub
from tests.handoff.support import (
    ALWAYS_OPEN,
    INTERNAL_TOKEN,
    ConsoleClient,
    ConsoleSocket,
    create_account,
    fresh_postgres,
)
from tests.hub.support import Chat
from tests.production.servers import PrivateRedis

pytestmark = pytest.mark.rasa

REDIS_URL = "redis://127.0.0.1:6379/11"
PER_MINUTE = 6


@dataclass
class Replicas:
    stack: Stack
    a: HubProcess
    b: HubProcess
    db_url: str


def replica_env(db_url: str, redis_url: str, secret: str) -> dict[str, str]:
    """What both hubs of one site share: the database, the bus, the secret and the limits."""
    return {
        "HUB_DB_URL": db_url,
        "HUB_BUS_URL": redis_url,
        "HUB_BUS_PREFIX": f"test-{uuid.uuid4().hex[:12]}",
        "HUB_SECRET": secret,
        "HUB_INTERNAL_TOKEN": INTERNAL_TOKEN,
        "HUB_MESSAGES_PER_MINUTE": str(PER_MINUTE),
        **ALWAYS_OPEN,
    }


@contextlib.contextmanager
def two_hubs(stack: Stack, env: dict[str, str], port_a: int | None = None) -> Iterator[tuple]:
    """Started one after the other: the first creates the tables."""
    hubs: list[HubProcess] = []
    try:
        hubs.append(start_hub(stack, {**env, **({"HUB_PORT": str(port_a)} if port_a else {})}))
        hubs.append(start_hub(stack, {k: v for k, v in env.items() if k != "HUB_PORT"}))
        yield tuple(hubs)
    finally:
        for hub in hubs:
            hub.stop()


@pytest.fixture(scope="module")
def replicas() -> Iterator[Replicas]:
    port_a = free_port()
    env = {"HUB_INTERNAL_URL": f"http://127.0.0.1:{port_a}", "HUB_INTERNAL_TOKEN": INTERNAL_TOKEN}
    with fresh_postgres() as db_url, running_stack(env) as stack:
        shared = replica_env(db_url, REDIS_URL, secrets.token_urlsafe(32))
        with two_hubs(stack, shared, port_a) as (a, b):
            create_account(a, "maria", "Maria")
            yield Replicas(stack, a, b, db_url)


async def frames_until(
    reader: Any, predicate: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """Every frame up to and including the first that matches (a Chat or a ConsoleSocket)."""
    seen: list[dict[str, Any]] = []

    def keep(frame: dict[str, Any]) -> bool:
        seen.append(frame)
        return predicate(frame)

    await reader.until(keep)
    return seen


def entry_texts(frames: list[dict[str, Any]]) -> list[str]:
    return [f["entry"].get("text") or "" for f in frames if f["type"] == "entry"]


def wait_until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


async def test_two_tabs_on_two_hubs_see_every_message_once(replicas: Replicas) -> None:
    tab_a = await Chat.open(replicas.a)
    tab_b = await Chat.open(replicas.b, token=tab_a.token)
    assert tab_b.welcome["resumed"]

    first = await tab_a.say("hello")
    assert await tab_b.turn() == first
    assert first[0]["text"] == "hello" and any(e["role"] == "bot" for e in first)

    # And back: written on hub B, answered through hub B, shown on hub A.
    second = await tab_b.say("what can you help me with?")
    assert await tab_a.turn() == second
    assert second[0]["text"] == "what can you help me with?"

    # Each tab got every entry once: exactly the stored transcript, nothing doubled.
    history = (await Chat.open(replicas.a, token=tab_a.token)).welcome["history"]
    assert [e["id"] for e in first + second] == [e["id"] for e in history]
    # Tabs opening leave no line each in the hubs' logs (thousands do after a restart), and
    # each hub kept what it loaded out of full garbage collections (services/collector.py).
    for hub in (replicas.a, replicas.b):
        log = hub.log.read_text(encoding="utf-8")
        assert "connection open" not in log
        assert "objects from start-up moved out of the garbage collector's reach" in log


async def test_the_rate_limit_counts_the_messages_sent_through_every_hub(
    replicas: Replicas,
) -> None:
    tabs = [await Chat.open(replicas.a)]
    tabs.append(await Chat.open(replicas.b, token=tabs[0].token))
    for number in range(PER_MINUTE):
        sender, other = tabs[number % 2], tabs[(number + 1) % 2]
        await sender.say(f"hello number {number}")
        await other.turn()
    # Neither hub has seen the limit alone (3 and 2 messages); together they have.
    late = tabs[PER_MINUTE % 2]
    await late.send_frame({"type": "message", "id": uuid.uuid4().hex, "text": "one too many"})
    refused = await late.until(lambda f: f["type"] in ("error", "entry"))
    assert refused["type"] == "error" and refused["code"] == "too_many"


async def test_an_agent_on_hub_b_and_a_visitor_on_hub_a_talk_both_ways(
    replicas: Replicas,
) -> None:
    console = ConsoleClient(replicas.b)
    assert console.sign_in("maria").status_code == 200
    agent = await ConsoleSocket.open(replicas.b, console.token or "")
    # Hub A, which the action server asks, knows that Maria is online on hub B.
    on_a = ConsoleClient(replicas.a, console.token)
    wait_until(lambda: on_a.get("state").json()["agents_online"] == 1, "hub A never saw Maria")

    visitor = await Chat.open(replicas.a)
    second_tab = await Chat.open(replicas.b, token=visitor.token)
    offer = await visitor.say("i want to talk to a person")
    await second_tab.turn()
    button = next(
        b for e in offer for b in e.get("buttons", []) if b["title"] == "Connect me with a person"
    )
    queued = await visitor.say(button["title"], payload=button["payload"])
    await second_tab.turn()
    assert "number 1 in line" in "\n".join(e.get("text") or "" for e in queued)

    new = await agent.until(lambda f: f["type"] == "new_handoff")
    claimed = console.post(f"chats/{new['chat']}/claim")
    assert claimed.status_code == 200, claimed.text
    for tab in (visitor, second_tab):
        await tab.until(notice("agent_joined"))

    # Agent -> visitor: each message once in each tab, on either hub.
    for text in ("Hello, this is Maria.", "How can I help?"):
        assert console.post(f"chats/{new['chat']}/messages", {"text": text}).status_code == 200
    for tab in (visitor, second_tab):
        seen = entry_texts(await frames_until(tab, lambda f: _is_entry(f, "How can I help?")))
        assert seen == ["Hello, this is Maria.", "How can I help?"]

    # Visitor (hub A) -> agent (hub B): each message once on the console.
    for text in ("I need to change my address", "thank you"):
        await visitor.send_frame({"type": "message", "id": uuid.uuid4().hex, "text": text})
    seen = entry_texts(await frames_until(agent, lambda f: _is_entry(f, "thank you")))
    assert seen[-2:] == ["I need to change my address", "thank you"]
    assert len(seen) == len(set(seen))  # the notice and Maria's own messages, once each too

    # Back to the bot: Rasa hears about the human part once, whichever hub ends it.
    assert console.post(f"chats/{new['chat']}/end").status_code == 200
    await visitor.until(notice("back_to_bot"))
    answer = await visitor.say("hello")
    assert any(e["role"] == "bot" for e in answer)
    sender = jwt.decode(visitor.token, replicas.a.env["HUB_SECRET"], algorithms=["HS256"])["cid"]
    events = replicas.stack.tracker(sender)["events"]
    assert [e["event"] for e in events].count("resume") == 1
    said = [e.get("text") for e in events if e["event"] == "bot"]
    assert said.count("Hello, this is Maria.") == 1
    await agent.close()


def _is_entry(frame: dict[str, Any], text: str) -> bool:
    return frame["type"] == "entry" and frame["entry"].get("text") == text


def notice(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f["type"] == "entry" and f["entry"].get("notice") == name


# --- Redis goes away and comes back (private_redis, tests/hub/conftest.py)
def bus_state(hub: HubProcess) -> str:
    return requests.get(f"{hub.url}/health", timeout=10).json().get("bus", "")


async def test_without_redis_each_hub_serves_its_own_tabs_and_catches_up_after(
    replicas: Replicas, private_redis: PrivateRedis
) -> None:
    env = replica_env(replicas.db_url, private_redis.url(0), secrets.token_urlsafe(32))
    with two_hubs(replicas.stack, env) as (c, d):
        tab_c = await Chat.open(c)
        tab_d = await Chat.open(d, token=tab_c.token)

        private_redis.stop()
        wait_until(lambda: bus_state(c) == "lost", "hub C did not notice that Redis was gone")
        # Hub C still answers its own tab (hub D's tab is not told meanwhile), and says why.
        answer = await tab_c.say("hello")
        assert answer[0]["text"] == "hello" and any(e["role"] == "bot" for e in answer)
        assert "Redis bus at" in c.log.read_text(encoding="utf-8")

        # Redis returns: both hubs subscribe again by themselves, no restart.
        private_redis.start()
        wait_until(lambda: bus_state(c) == bus_state(d) == "ok", "a hub did not resubscribe")
        on_c = await tab_c.say("what can you help me with?")
        assert await tab_d.turn() == on_c
        assert "is back: resubscribed" in d.log.read_text(encoding="utf-8")
