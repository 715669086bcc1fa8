"""Fuzzing the visitor WebSocket of a real hub in front of the real Rasa: any frame (not JSON,
JSON of the wrong shape or types, binary, huge, lone surrogates, bidi and zero-width characters,
markup). The socket answers with a polite error or closes cleanly, the hub stays healthy, a
normal chat still works, typed text is kept as text, and no visitor sees another's messages."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import string
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
import websockets
from hypothesis import example, given
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed

from privacy import redact_text
from privacy.redact import RECEIPT_RE
from privacy.secrets import SECRET_PLACEHOLDER
from scripts.stack import HubProcess
from services.hub import texts
from services.hub.protocol import BadFrame, Ping, parse
from tests.fuzz.conftest import assert_healthy, fuzz
from tests.fuzz.strategies import dumps, json_values, nasty_text, receipt_like, with_surrogates

pytestmark = pytest.mark.rasa

MAX_FRAME = 64 * 1024  # HubSettings.max_frame_bytes
FRAME_TYPES = {"welcome", "entry", "typing", "error", "pong"}
# Every key an entry may carry (services/hub/store.py Entry.to_json and bot_entry_data).
ENTRY_KEYS = {
    "id", "role", "text", "client_id", "at", "buttons", "custom", "image", "attachment",
    "payload", "notice",
}  # fmt: skip
TAG_RE = re.compile(r"<\s*/?\s*[A-Za-z]")
TIMEOUT = 60.0


async def connect(hub: HubProcess) -> Any:
    return await websockets.connect(hub.ws_url, origin=hub.url, max_size=None, close_timeout=2)


async def hello(ws: Any, token: str | None = None, language: str = "en") -> dict[str, Any]:
    await ws.send(json.dumps({"type": "hello", "token": token, "page_language": language}))
    return await until(ws, "welcome")


async def until(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        if frame["type"] == kind:
            return frame


def is_ping(data: str | bytes) -> bool:
    try:
        return isinstance(parse(data), Ping)
    except BadFrame:
        return False


async def drain(ws: Any, pings: int = 0) -> list[dict[str, Any]]:
    """Every frame the hub sends up to the answer to our ping: the hub handles a socket's frames
    in order, so these are all its answers to what was sent before (`pings` of which were
    pings themselves)."""
    await ws.send('{"type": "ping"}')
    frames = []
    pongs = 0
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        if frame["type"] == "pong":
            pongs += 1
            if pongs > pings:
                return frames
        frames.append(frame)


def assert_polite(frames: list[dict[str, Any]]) -> None:
    """Only documented frames; every error names a known code and says it in English or
    Spanish; every entry carries text and known fields only."""
    for frame in frames:
        assert frame["type"] in FRAME_TYPES, frame
        if frame["type"] == "error":
            assert frame["code"] in texts.TEXTS, frame
            values = {k: frame[k] for k in ("length", "limit", "seconds") if k in frame}
            said = {texts.say(frame["code"], language, **values) for language in ("en", "es")}
            assert frame["text"] in said, frame
        if frame["type"] == "entry":
            entry = frame["entry"]
            assert set(entry) <= ENTRY_KEYS, entry
            assert entry["text"] is None or isinstance(entry["text"], str)
            if entry["role"] != "visitor":
                # The bot and the hub speak plain text: no markup, not even the visitor's.
                assert not TAG_RE.search(entry["text"] or ""), entry


async def normal_chat(hub: HubProcess) -> None:
    """What any visitor does after the fuzzing: say hello, get the bot's answer."""
    ws = await connect(hub)
    try:
        await hello(ws)
        await ws.send(json.dumps({"type": "message", "id": "hello-1", "text": "hello"}))
        entries = [f["entry"] for f in await drain(ws) if f["type"] == "entry"]
    finally:
        await ws.close()
    assert [e["text"] for e in entries if e["role"] == "visitor"] == ["hello"]
    assert any(e["role"] == "bot" and e["text"] for e in entries), entries


def after_fuzzing(hub: HubProcess) -> None:
    assert_healthy(hub)
    asyncio.run(normal_chat(hub))


# --- frames of every kind
field_values = st.one_of(json_values, st.just("x"), st.just("/greet"), st.just("en"))
shaped_frames = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(["hello", "message", "ping"]), json_values)},
    optional={
        key: field_values
        for key in ("text", "id", "payload", "language", "token", "page_url", "page_language")
    },
).map(dumps)
frames = st.one_of(
    nasty_text,  # mostly not JSON at all
    json_values.map(dumps),  # JSON, rarely an object
    shaped_frames,  # objects with the right keys and wrong values
    st.binary(max_size=200),
    st.sampled_from(
        [
            "x" * (MAX_FRAME + 1),
            b"\x00" * (MAX_FRAME + 1),
            '{"type": "message", "text": "' + "y" * (MAX_FRAME - 100) + '"}',  # fits, too long
            '{"type": "message", "text": "' + "z" * 5000 + '"}',
            '{"type": "hello", "token": "' + "a" * 5000 + '"}',
        ]
    ),
)


async def send_frames(hub: HubProcess, say_hello: bool, sent: list[str | bytes]) -> None:
    ws = await connect(hub)
    try:
        if say_hello:
            await hello(ws)
        for data in sent:
            await ws.send(data)
            try:
                assert_polite(await drain(ws, pings=is_ping(data)))
            except ConnectionClosed as closed:
                # Only a frame over the limit may end the chat, and with "message too big".
                assert len(data) > MAX_FRAME and closed.code == 1009, (closed.code, data[:200])
                return
    finally:
        await ws.close()


def test_any_frame_gets_a_polite_answer_or_a_clean_close(hub: HubProcess) -> None:
    @fuzz(40)
    @given(say_hello=st.booleans(), sent=st.lists(frames, min_size=1, max_size=4))
    @example(True, ['{"type": "message", "id": "a1", "text": "hi \\ud800 there"}'])
    @example(True, ['{"type": "hello", "token": "\\udc00"}'])
    @example(True, ['{"type": "message", "text": "x", "payload": "/greet{\\"a\\":\\"\\ud800\\"}"}'])
    def fuzz_frames(say_hello: bool, sent: list[str | bytes]) -> None:
        asyncio.run(send_frames(hub, say_hello, sent))

    fuzz_frames()
    after_fuzzing(hub)


# --- what a visitor types is kept, and shown, as text
typed_text = st.one_of(
    nasty_text, with_surrogates, st.tuples(nasty_text, receipt_like, nasty_text).map(" ".join)
)


def stored_texts(hub: HubProcess, conversation_id: str) -> list[str | None]:
    """The visitor entries as the hub's database (SQLite or PostgreSQL) holds them."""
    engine = sa.create_engine(hub.env["HUB_DB_URL"])
    try:
        with engine.connect() as db:
            rows = db.execute(
                sa.text(
                    "SELECT text FROM hub_entries WHERE conversation_id = :id "
                    "AND role = 'visitor' ORDER BY id"
                ),
                {"id": conversation_id},
            ).all()
    finally:
        engine.dispose()
    return [row[0] for row in rows]


async def type_and_reload(hub: HubProcess, text: str, language: str) -> None:
    ws = await connect(hub)
    try:
        welcome = await hello(ws, language=language)
        await ws.send(dumps({"type": "message", "id": secrets.token_hex(8), "text": text}))
        frames = await drain(ws)
    finally:
        await ws.close()
    assert_polite(frames)
    expected = redact_text(re.sub("[\x00\ud800-\udfff]", "\ufffd", text).strip())
    echoes = [
        f["entry"] for f in frames if f["type"] == "entry" and f["entry"]["role"] == "visitor"
    ]
    if not expected or len(expected) > welcome["limits"]["max_chars"]:
        assert echoes == [] and [f["code"] for f in frames if f["type"] == "error"], frames
        return
    # The echo, the history replayed on reconnect and the database all hold exactly what was
    # typed (masked where it names a receipt): text, never markup turned into anything else.
    assert [e["text"] for e in echoes] == [expected]
    reopened = await connect(hub)
    try:
        replay = await hello(reopened, token=welcome["token"])
    finally:
        await reopened.close()
    assert replay["resumed"] is True
    history = replay["history"]
    assert_polite([{"type": "entry", "entry": entry} for entry in history])
    assert [e["text"] for e in history if e["role"] == "visitor"] == [expected]
    claims = jwt.decode(welcome["token"], options={"verify_signature": False})
    assert stored_texts(hub, claims["cid"]) == [expected]
    # The hub logs no message text: a receipt number typed is nowhere in its log.
    for receipt in RECEIPT_RE.finditer(text):
        digits = re.sub(r"\D", "", receipt.group(0))
        assert digits not in hub.log.read_text(encoding="utf-8", errors="replace")


def test_typed_text_is_kept_as_text(hub: HubProcess) -> None:
    @fuzz(25)
    @given(text=typed_text, language=st.sampled_from(["en", "es"]))
    @example("<script>alert(1)</script>", "en")
    @example("<img src=x onerror=alert(1)>\u202e\u200b", "es")
    @example("\ud800 hi", "en")
    def round_trip(text: str, language: str) -> None:
        asyncio.run(type_and_reload(hub, text, language))

    round_trip()
    after_fuzzing(hub)


# --- two visitors at once never see each other's messages
def mark(word: str) -> str:
    """A word no fuzzer writes and no redaction touches (letters only: no digits to mask)."""
    return word + "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))


async def visitor(hub: HubProcess, word: str, said: list[str], junk: list[str | bytes]) -> str:
    """One visitor: messages that all carry `word`, junk frames between them, then a reload.
    Returns everything this visitor's sockets received."""
    received: list[str] = []
    ws = await connect(hub)
    try:
        await ws.send(json.dumps({"type": "hello", "token": None}))
        for index, text in enumerate(said):
            await ws.send(
                dumps({"type": "message", "id": f"{word}-{index}", "text": f"{word} {text}"})
            )
            if index < len(junk):
                await ws.send(junk[index])
        await ws.send('{"type": "ping"}')
        pongs = 1 + sum(is_ping(frame) for frame in junk[: len(said)])
        while pongs:
            raw = await asyncio.wait_for(ws.recv(), TIMEOUT)
            received.append(raw)
            pongs -= json.loads(raw)["type"] == "pong"
        frames = [json.loads(raw) for raw in received]
        token = next(frame["token"] for frame in frames if frame["type"] == "welcome")
    finally:
        await ws.close()
    again = await connect(hub)
    try:
        received.append(json.dumps(await hello(again, token=token), ensure_ascii=False))
    finally:
        await again.close()
    return "\n".join(received)


def test_two_visitors_fuzzing_at_once_see_only_their_own(hub: HubProcess) -> None:
    said = st.lists(nasty_text.filter(lambda t: len(t) < 900), min_size=1, max_size=2)
    junk = st.lists(frames.filter(lambda f: len(f) <= MAX_FRAME), max_size=2)

    @fuzz(8)
    @given(said_a=said, said_b=said, junk_a=junk, junk_b=junk)
    def both(said_a: list[str], said_b: list[str], junk_a: list, junk_b: list) -> None:
        mark_a, mark_b = mark("alpha"), mark("bravo")

        async def run() -> tuple[str, str]:
            return await asyncio.gather(
                visitor(hub, mark_a, said_a, junk_a), visitor(hub, mark_b, said_b, junk_b)
            )

        seen_a, seen_b = asyncio.run(run())
        # Each sees its own words (unless the privacy filter hid a password-like message) and
        # never the other's.
        assert mark_a in seen_a or SECRET_PLACEHOLDER in seen_a
        assert mark_b in seen_b or SECRET_PLACEHOLDER in seen_b
        assert mark_b not in seen_a and mark_a not in seen_b

    both()
    after_fuzzing(hub)


async def open_with(hub: HubProcess, token: Any) -> dict[str, Any]:
    ws = await connect(hub)
    try:
        await ws.send(dumps({"type": "hello", "token": token}))
        return await until(ws, "welcome")
    finally:
        await ws.close()


def test_a_forged_token_never_opens_another_conversation(hub: HubProcess) -> None:
    secret_word = mark("secret")

    async def conversation() -> str:
        ws = await connect(hub)
        try:
            welcome = await hello(ws)
            await ws.send(
                json.dumps({"type": "message", "id": "m1", "text": f"{secret_word} hello"})
            )
            await drain(ws)
        finally:
            await ws.close()
        return welcome["token"]

    token = asyncio.run(conversation())
    secret = hub.env["HUB_SECRET"]

    @fuzz(60)
    @given(
        position=st.integers(min_value=0, max_value=len(token) - 1),
        replacement=st.one_of(st.characters(), st.sampled_from(["", ".", "==", "\ud800"])),
        extra=st.sampled_from(["", "x", ".", token]),
    )
    @example(0, "", "")  # the token itself: the same conversation
    def forged(position: int, replacement: str, extra: str) -> None:
        candidate = token[:position] + replacement + token[position + 1 :] + extra
        welcome = asyncio.run(open_with(hub, candidate))
        try:
            claims = jwt.decode(candidate, secret, algorithms=["HS256"])
        except Exception:  # anything the hub's own check would refuse
            claims = None
        original = jwt.decode(token, secret, algorithms=["HS256"])
        if claims is not None and claims["cid"] == original["cid"]:
            return  # an equivalent encoding of the same signed token: the same visitor
        assert welcome["resumed"] is False and welcome["history"] == [], candidate
        assert secret_word not in json.dumps(welcome)

    forged()
    assert_healthy(hub)


# --- quick-reply payloads that carry hostile entity values to Rasa
INTENTS = ["greet", "check_case_status", "account_help", "account_choose_type", "faq", "deny"]
ENTITIES = ["account_type", "receipt_number", "language", "handoff_queue", "account_step"]
payloads = st.builds(
    lambda intent, entity, value: f"/{intent}" + json.dumps({entity: value}),
    st.sampled_from(INTENTS),
    st.sampled_from(ENTITIES),
    nasty_text.filter(lambda text: len(json.dumps(text)) < 150),
)


async def press(hub: HubProcess, payload: str) -> None:
    ws = await connect(hub)
    try:
        await hello(ws)
        await ws.send(json.dumps({"type": "message", "text": "OK", "payload": payload}))
        frames = await drain(ws)
    finally:
        await ws.close()
    # The bot's answer (or the hub's apology) is text without markup, whatever the entity held.
    assert_polite(frames)
    assert any(f["type"] == "entry" and f["entry"]["role"] != "visitor" for f in frames), frames


def test_button_payloads_with_hostile_entities_get_plain_answers(hub: HubProcess) -> None:
    @fuzz(12)
    @given(payload=payloads)
    @example('/account_choose_type{"account_type": "<script>alert(1)</script>"}')
    @example('/check_case_status{"receipt_number": "<img src=x onerror=alert(1)>"}')
    def quick_reply(payload: str) -> None:
        asyncio.run(press(hub, payload))

    quick_reply()
    after_fuzzing(hub)


# --- the agent console's WebSocket
async def console_frames(hub: HubProcess, first: str | bytes, rest: list[str | bytes]) -> None:
    ws = await websockets.connect(f"ws://127.0.0.1:{hub.port}/console/ws", max_size=None)
    try:
        await ws.send(first)
        reply = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        # No session behind any fuzzed frame: refused, and the socket closed with 4001.
        assert reply == {"type": "error", "error": "sign in first"}
        with pytest.raises(ConnectionClosed) as closed:
            for data in rest:
                await ws.send(data)
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert closed.value.code == 4001, closed.value
    finally:
        await ws.close()


def test_console_socket_refuses_any_frame_without_a_session(hub: HubProcess) -> None:
    auth_frames = st.one_of(
        frames.filter(lambda f: len(f) <= MAX_FRAME),
        st.fixed_dictionaries({"type": st.just("auth"), "token": json_values}).map(dumps),
    )

    @fuzz(30)
    @given(first=auth_frames, rest=st.lists(frames.filter(lambda f: len(f) <= 1000), max_size=2))
    @example('{"type": "auth", "token": "\\ud800"}', [])
    def console(first: str | bytes, rest: list[str | bytes]) -> None:
        asyncio.run(console_frames(hub, first, rest))

    console()
    assert_healthy(hub)
