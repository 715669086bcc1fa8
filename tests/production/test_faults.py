"""Production mode under faults, with conversations running: every message sent is counted, and
every count is checked against what the visitors (and the agent) received and what was stored.

The Rasa replica is killed last: the other tests need both replicas.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import psycopg2
import pytest
import requests
import websockets

from scripts.production import Production
from tests.handoff.support import ConsoleClient, ConsoleSocket, create_account
from tests.hub.support import Chat
from tests.production.servers import PrivatePostgres, PrivateRedis

pytestmark = pytest.mark.rasa

# Payloads pin the intent, so the counts cannot depend on how the model reads a sentence.
SCRIPT = ["/greet", "/ask_capabilities", "/thank_you", "/bot_challenge", "/greet", "/thank_you"]


def role_count(entries: list[dict[str, Any]], role: str) -> int:
    return sum(1 for entry in entries if entry["role"] == role)


def notices(entries: list[dict[str, Any]]) -> list[str]:
    return [
        (entry.get("data") or {}).get("notice", "") or entry.get("notice", "")
        for entry in entries
        if entry["role"] == "system"
    ]


async def say_payload(chat: Chat, payload: str) -> list[dict[str, Any]]:
    return await chat.say(payload.lstrip("/").replace("_", " "), payload=payload)


async def reconnect(production: Production, token: str) -> Chat:
    """What the widget does when its socket drops: try again for a while."""
    deadline = time.monotonic() + 20
    while True:
        try:
            return await Chat.open(production, token=token)
        except (OSError, websockets.exceptions.InvalidStatusCode):
            assert time.monotonic() < deadline, "no hub took the visitor back"
            await asyncio.sleep(0.5)


async def say_to_agent(chat: Chat, text: str) -> None:
    """In a live chat the bot stays quiet: the turn ends when the hub echoes the message."""
    await chat.send_frame({"type": "message", "id": uuid.uuid4().hex, "text": text})
    await chat.until(lambda f: f["type"] == "entry" and f["entry"].get("text") == text)


async def history(production: Production, chat: Chat) -> list[dict[str, Any]]:
    """What the visitor's widget shows after a reload: the stored transcript, replayed."""
    again = await Chat.open(production, token=chat.token)
    await again.close()
    return again.welcome["history"]


async def visitor_runs_script(production: Production, started: asyncio.Event) -> Chat:
    """One visitor sending the script turn by turn; each turn must be answered by the bot."""
    chat = await Chat.open(production)
    for number, payload in enumerate(SCRIPT):
        if number == 2:
            started.set()
        entries = await say_payload(chat, payload)
        assert role_count(entries, "visitor") == 1, entries
        assert role_count(entries, "bot") >= 1, (payload, entries)
        assert not notices(entries), (payload, entries)
    return chat


def assert_each_message_answered_once(entries: list[dict[str, Any]], sent: int) -> None:
    """In the stored transcript: `sent` visitor messages, each followed by the bot's answer,
    and no answer repeated (a message handled twice answers twice)."""
    assert role_count(entries, "visitor") == sent, entries
    turns: list[list[dict[str, Any]]] = []
    for entry in entries:
        if entry["role"] == "visitor":
            turns.append([])
        elif turns:
            turns[-1].append(entry)
    for turn in turns:
        bot_texts = [entry.get("text") for entry in turn if entry["role"] == "bot"]
        assert bot_texts, turns
        assert len(bot_texts) == len(set(bot_texts)), f"an answer came twice: {bot_texts}"


async def test_the_product_answers_through_nginx_on_both_rasa_replicas(
    production: Production,
) -> None:
    chats = [await Chat.open(production) for _ in range(4)]
    for chat in chats:
        entries = await say_payload(chat, "/greet")
        assert "Ellis" in " ".join(entry.get("text") or "" for entry in entries)
    for name in ("rasa_1", "rasa_2"):
        log = (production.workdir / f"{name}.log").read_text(errors="replace")
        assert "Starting Rasa server" in log or "Rasa server is up" in log, name
    # The demo page and the console are served through the load balancer.
    assert requests.get(production.url + "/", timeout=10).status_code == 200
    assert requests.get(production.url + "/console/", timeout=10).status_code == 200
    for chat in chats:
        await chat.close()


async def test_restarting_each_hub_keeps_visitors_and_the_agent_with_their_history(
    production: Production,
) -> None:
    create_account(production, "ana", "Ana")  # type: ignore[arg-type]
    console = ConsoleClient(production)  # type: ignore[arg-type]
    assert console.sign_in("ana").status_code == 200
    agent_socket = await ConsoleSocket.open(production, console.token)  # type: ignore[arg-type]

    visitor = await Chat.open(production)
    await say_payload(visitor, "/request_human")  # the bot offers a person first
    await say_payload(visitor, "/request_human")
    waiting = []
    deadline = time.monotonic() + 30
    while not waiting and time.monotonic() < deadline:
        state = console.get("state").json()
        waiting = state["waiting"]
        await asyncio.sleep(0.3)
    assert waiting, "the handoff never reached a queue"
    chat_id = waiting[0]["id"]
    assert console.post(f"chats/{chat_id}/claim").status_code == 200

    sent_by_agent = sent_by_visitor = 0
    bystanders = [await Chat.open(production) for _ in range(3)]
    for hub in ("hub_1", "hub_2"):
        assert console.post(f"chats/{chat_id}/messages", {"text": f"agent {hub}"}).ok
        sent_by_agent += 1
        await visitor.until(lambda f: f["type"] == "entry" and f["entry"]["role"] == "agent")
        await say_to_agent(visitor, f"visitor before {hub} restarts")
        sent_by_visitor += 1

        production.stop(hub)  # connections on it drop; nginx sends new ones to the other hub
        visitor = await reconnect(production, visitor.token)
        await agent_socket.close()
        agent_socket = await ConsoleSocket.open(production, console.token)  # type: ignore[arg-type]
        bystanders = [await reconnect(production, chat.token) for chat in bystanders]
        for chat in bystanders:
            assert not notices(await say_payload(chat, "/thank_you"))
        production.start(hub)

    # Both ways still work, and the transcript holds every message exactly once.
    assert console.post(f"chats/{chat_id}/messages", {"text": "agent after restarts"}).ok
    sent_by_agent += 1
    await visitor.until(lambda f: f["type"] == "entry" and f["entry"]["role"] == "agent")
    await say_to_agent(visitor, "visitor after restarts")
    sent_by_visitor += 1

    entries = await history(production, visitor)
    agent_texts = [e["text"] for e in entries if e["role"] == "agent"]
    assert agent_texts == ["agent hub_1", "agent hub_2", "agent after restarts"]
    # Two payload turns asking for a person, then what the visitor typed to the agent.
    assert role_count(entries, "visitor") == 2 + sent_by_visitor
    transcript = console.get(f"chats/{chat_id}").json()
    typed = [m["text"] for m in transcript["entries"] if m["role"] == "visitor"][2:]
    assert typed == [
        "visitor before hub_1 restarts",
        "visitor before hub_2 restarts",
        "visitor after restarts",
    ]
    for chat in bystanders:
        assert_each_message_answered_once(await history(production, chat), 2)  # one per restart
        await chat.close()
    await visitor.close()
    await agent_socket.close()


async def attempt(chat: Chat, payload: str) -> str:
    """Send one message; return how the product reacted: "answer" (the bot's), "notice" (the
    hub's polite "unavailable"), or "refused:<code>" (an error frame: not stored, the widget puts
    the text back in the input box). Anything else (silence, a closed socket) fails the test."""
    await chat.send_frame(
        {"type": "message", "id": uuid.uuid4().hex, "text": payload, "payload": payload}
    )
    entries: list[dict[str, Any]] = []
    while True:
        frame = await chat.next()
        if frame["type"] == "error":
            return f"refused:{frame['code']}"
        if frame["type"] == "entry":
            entries.append(frame["entry"])
        elif frame["type"] == "typing" and not frame["active"]:
            if notices(entries):
                return "notice"
            assert role_count(entries, "bot"), entries
            return "answer"


async def outage_then_recovery(production: Production, server: Any, what: str) -> None:
    """Visitors talk before, during and after an outage of a server the product needs; every
    message sent gets exactly one clear reaction, then answers come back by themselves."""
    chats = [await Chat.open(production) for _ in range(3)]
    for chat in chats:
        assert await attempt(chat, "/greet") == "answer"

    await asyncio.to_thread(server.stop)
    try:
        reactions = [await attempt(chat, "/thank_you") for chat in chats]
        # Each of the three got one reaction (attempt() fails on silence or a dropped socket).
        assert len(reactions) == len(chats)
        assert set(reactions) <= {"answer", "notice", "refused:store_unavailable"}, reactions
    finally:
        await asyncio.to_thread(server.start)

    # Recovery without restarting the product: within a few tries each visitor gets answers.
    for chat in chats:
        deadline = time.monotonic() + 60
        while (reaction := await attempt(chat, "/bot_challenge")) != "answer":
            assert time.monotonic() < deadline, f"no recovery after {what} came back: {reaction}"
            await asyncio.sleep(1)
        await chat.close()


async def test_redis_outage_gets_clear_answers_then_recovers_by_itself(
    production: Production, redis_server: PrivateRedis
) -> None:
    await outage_then_recovery(production, redis_server, "Redis")


async def test_postgresql_outage_gets_clear_answers_then_recovers_by_itself(
    production: Production, postgres_server: PrivatePostgres
) -> None:
    await outage_then_recovery(production, postgres_server, "PostgreSQL")


async def test_killing_a_rasa_replica_loses_and_doubles_no_message(
    production: Production, postgres_server: PrivatePostgres
) -> None:
    before = user_turns_by_conversation(postgres_server)
    started = asyncio.Event()
    visitors = [asyncio.create_task(visitor_runs_script(production, started)) for _ in range(6)]
    await started.wait()
    await asyncio.to_thread(production.kill, "rasa_1")
    chats = await asyncio.gather(*visitors)
    for chat in chats:
        assert_each_message_answered_once(await history(production, chat), len(SCRIPT))
        await chat.close()
    # Rasa's own record agrees: one user turn per message sent, in each new conversation.
    after = user_turns_by_conversation(postgres_server)
    new = {sender: turns for sender, turns in after.items() if sender not in before}
    assert sorted(new.values()) == [len(SCRIPT)] * len(chats), new


def user_turns_by_conversation(postgres: PrivatePostgres) -> dict[str, int]:
    """From the tracker store itself: visitor turns per conversation."""
    with psycopg2.connect(postgres.url("tracker")) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT sender_id, count(*) FROM events WHERE type_name = 'user' GROUP BY sender_id"
        )
        return dict(cursor.fetchall())
