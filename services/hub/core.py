"""What the hub does with visitors: sessions, transcripts, relaying to Rasa, fan-out to tabs.

One Hub object per process. Every socket of a conversation (a second tab, a reconnect) receives
every new entry, so all of a visitor's tabs show the same transcript. Frames for sockets go
through the bus (services/hub/bus.py): with several hub processes, each delivers them to the
tabs it holds, so tabs on different hubs see the same thing, once.

Hooks for the live-agent handoff: `add_listener` sees every new entry (with the conversation's
state read when it was stored), `post` adds an entry (an agent's message) and delivers it to the
visitor, `broadcast` sends any frame (typing) to the visitor's tabs, and `store.set_state` says
who answers; while a conversation's state is not "bot" the visitor's messages are stored and
announced to listeners but not sent to Rasa.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from services.hub import texts
from services.hub.bus import LocalBus
from services.hub.limits import make_limiter
from services.hub.protocol import Hello, Message
from services.hub.rasa import RasaClient, RasaUnavailable
from services.hub.sessions import Session, SessionSigner, new_id
from services.hub.settings import HubSettings
from services.hub.store import Conversation, Entry, Role, StoreUnavailable, TranscriptStore

log = logging.getLogger("hub")

Listener = Callable[[Entry], Awaitable[None]]
# Longest wait for one tab to take a frame before it is cut off.
SEND_SECONDS = 10.0
_closing: set[asyncio.Future] = set()
T = TypeVar("T")


class Socket(Protocol):
    async def send(self, data: str) -> None: ...


@dataclass
class Visitor:
    """One open WebSocket and what its hello frame said."""

    socket: Socket
    session: Session
    page_url: str = ""
    page_language: str | None = None
    language: str | None = None

    @property
    def speaks(self) -> str:
        return texts.language_or_default(self.language or self.page_language)


@dataclass
class _Room:
    sockets: set[Any] = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def bot_entry_data(message: dict[str, Any]) -> dict[str, Any]:
    """The parts of a Rasa message beyond its text that the widget can show."""
    data: dict[str, Any] = {}
    buttons = [
        {"title": str(b["title"]), "payload": str(b.get("payload") or b["title"])}
        for b in message.get("buttons") or []
        if isinstance(b, dict) and b.get("title")
    ]
    if buttons:
        data["buttons"] = buttons
    if isinstance(message.get("custom"), dict):
        data["custom"] = message["custom"]
    for key in ("image", "attachment"):
        if isinstance(message.get(key), str):
            data[key] = message[key]
    return data


def frame(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, **fields}, ensure_ascii=False)


class Hub:
    def __init__(
        self,
        settings: HubSettings,
        store: TranscriptStore,
        rasa: RasaClient,
        bus: LocalBus | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.rasa = rasa
        self.bus = bus or LocalBus()
        self.bus.subscribe("room", self._deliver)
        self.signer = SessionSigner(settings.secret, settings.session_days)
        self.limiter = make_limiter(
            settings.bus_url, settings.bus_prefix, settings.messages_per_minute
        )
        self._rooms: dict[str, _Room] = {}
        self._listeners: list[Listener] = []
        # SQLite takes one writer at a time: one thread in arrival order beats threads
        # contending for its lock (long, unfair waits under load). PostgreSQL gets a pool.
        sqlite = store.engine.dialect.name == "sqlite"
        self._db_pool = ThreadPoolExecutor(1 if sqlite else 8, thread_name_prefix="hub-db")

    async def shutdown(self) -> None:
        await self.rasa.close()
        await self.limiter.close()
        await self.bus.close()
        await self.store.close_async()
        self._db_pool.shutdown(wait=True)
        self.store.close()

    async def db(self, call: Callable[..., T], *args: Any) -> T:
        """Run a blocking store call off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._db_pool, call, *args)

    async def store_entries(
        self,
        conversation_id: str,
        items: list[tuple[Role, str | None, dict | None]],
        client_id: str | None = None,
    ) -> tuple[list[Entry], bool]:
        """`store.insert`, made twice per visitor message."""
        return await self._store_call(
            self.store.insert_async, self.store.insert, conversation_id, items, client_id
        )

    async def _store_call(
        self, on_loop: Callable[..., Awaitable[T]], blocking: Callable[..., T], *args: Any
    ) -> T:
        """A store call every visitor makes: on PostgreSQL on the event loop (asyncpg),
        elsewhere (SQLite) in a worker thread."""
        if self.store.runs_async:
            return await on_loop(*args)
        return await self.db(blocking, *args)

    async def _get_conversation(self, conversation_id: str) -> Conversation | None:
        return await self._store_call(
            self.store.get_conversation_async, self.store.get_conversation, conversation_id
        )

    # --- hooks for other parts of the product (live-agent handoff)
    def add_listener(self, listener: Listener) -> None:
        """Call `listener` with every new entry of every conversation."""
        self._listeners.append(listener)

    async def post(
        self, conversation_id: str, role: Role, text: str | None, data: dict | None = None
    ) -> Entry:
        """Add an entry (an agent's message, a notice) and deliver it to the visitor's tabs."""
        (entry,), _ = await self.store_entries(conversation_id, [(role, text, data)])
        await self._publish([entry])
        return entry

    # --- visitor sockets
    async def open(self, socket: Socket, hello: Hello) -> Visitor:
        """Resume the conversation the token names, or start one; send the history."""
        session = self.signer.verify(hello.token)
        conversation = None
        if session is not None:
            conversation = await self._get_conversation(session.conversation_id)
            if conversation is None or conversation.visitor_id != session.visitor_id:
                conversation = None
        resumed = conversation is not None
        if conversation is None:
            visitor_id = session.visitor_id if session is not None else new_id()
            conversation = await self._store_call(
                self.store.create_conversation_async, self.store.create_conversation, visitor_id
            )
            session = Session(visitor_id, conversation.id)
        assert session is not None
        visitor = Visitor(socket, session, hello.page_url, hello.page_language, hello.language)
        room = self._rooms.setdefault(session.conversation_id, _Room())
        room.sockets.add(socket)
        # Subscribed (and confirmed) before the history is read: an entry stored from now on
        # reaches this tab, from whichever hub stores it.
        await self.bus.join("room", session.conversation_id)
        history: list[Entry] = []  # a conversation just created has none yet
        if resumed:
            history = await self._store_call(
                self.store.history_async, self.store.history, session.conversation_id
            )
        await socket.send(
            frame(
                "welcome",
                token=self.signer.issue(session),
                resumed=resumed,
                history=[entry.to_json() for entry in history],
                limits={"max_chars": self.settings.max_message_chars},
            )
        )
        return visitor

    def close(self, visitor: Visitor) -> None:
        room = self._rooms.get(visitor.session.conversation_id)
        if room is None:
            return
        room.sockets.discard(visitor.socket)
        self._forget_if_idle(visitor.session.conversation_id)

    def _forget_if_idle(self, conversation_id: str) -> None:
        """Keep memory bounded: drop a conversation's room once no tab and no turn uses it."""
        room = self._rooms.get(conversation_id)
        if room is not None and not room.sockets and not room.lock.locked():
            del self._rooms[conversation_id]
            self.bus.leave("room", conversation_id)
            self.limiter.forget_idle()

    async def error(self, socket: Socket, code: str, language: object, **extra: Any) -> None:
        """Tell one tab, in its language, why its frame was refused; nothing is stored."""
        values = {k: v for k, v in extra.items() if k in ("length", "limit", "seconds")}
        await socket.send(
            frame("error", code=code, text=texts.say(code, language, **values), **extra)
        )

    async def receive(self, visitor: Visitor, message: Message) -> None:
        """One visitor message: check it, store it once, relay it, deliver the answers."""
        if message.language:
            visitor.language = message.language
        language = visitor.speaks
        text = message.text.strip()
        if not text:
            await self.error(visitor.socket, "empty", language, client_id=message.client_id)
            return
        limit = self.settings.max_message_chars
        if len(text) > limit:
            await self.error(
                visitor.socket,
                "too_long",
                language,
                client_id=message.client_id,
                length=len(text),
                limit=limit,
            )
            return
        try:
            await self._receive_checked(visitor, message, text)
        except (SQLAlchemyError, StoreUnavailable) as error:
            # The database is down: say so and keep the socket; the widget puts the text back
            # in the input box, and the next message works as soon as the database is back.
            log.warning("transcript store unavailable: %s", type(error).__name__)
            await self.error(
                visitor.socket, "store_unavailable", language, client_id=message.client_id
            )

    async def _receive_checked(self, visitor: Visitor, message: Message, text: str) -> None:
        language = visitor.speaks
        conversation_id = visitor.session.conversation_id
        room = self._rooms.setdefault(conversation_id, _Room())
        async with room.lock:
            # A resend after a network drop counts like any message; storing it finds it (the
            # client id is unique per conversation) and only acknowledges it, so the usual
            # message costs no lookup of its own.
            wait = await self.limiter.check(conversation_id)
            if wait:
                seen = None
                if message.client_id is not None:
                    seen = await self.db(self.store.find, conversation_id, message.client_id)
                if seen is not None:
                    await visitor.socket.send(frame("entry", entry=seen.to_json()))
                else:
                    await self.error(
                        visitor.socket,
                        "too_many",
                        language,
                        client_id=message.client_id,
                        seconds=wait,
                    )
                return
            await self._relay(visitor, message, text)
        self._forget_if_idle(conversation_id)

    async def _relay(self, visitor: Visitor, message: Message, text: str) -> None:
        conversation_id = visitor.session.conversation_id
        data = {"payload": message.payload} if message.payload else None
        # The store redacts: identifiers are masked, a password-like message is hidden. A
        # client id already stored (a resend) gives back the stored entry, not a new one.
        (entry,), new = await self.store_entries(
            conversation_id, [("visitor", text, data)], message.client_id
        )
        state = entry.conversation_state  # None for a client_id seen
        if not new:
            # A resend, or the same message through another hub at the same moment: it was
            # relayed the first time; acknowledge it, never relay it twice.
            await visitor.socket.send(frame("entry", entry=entry.to_json()))
            return
        typing = frame("typing", active=True)
        if state in (None, "bot"):
            # The usual case: the message and "the bot is typing" go out as one bus message.
            await self._publish([entry], then=[typing])
        else:
            await self._publish([entry])
            # The handoff's listener may just have handed it back (the visitor cancelled).
            conversation = await self._get_conversation(conversation_id)
            if conversation is not None and conversation.state not in ("bot", "resuming"):
                return  # a person answers this conversation (handoff)
            await self.broadcast(conversation_id, typing)
        # The entry's id names this message to Rasa: sent again (nginx retrying at another
        # replica), it is answered from the tracker instead of twice (addons/channels.py).
        metadata: dict[str, Any] = {"page_url": visitor.page_url, "message_id": f"hub-{entry.id}"}
        if visitor.page_language:
            metadata["page_language"] = visitor.page_language
        if visitor.language:
            metadata["language"] = visitor.language
        ended = False
        try:
            ended = await self._answer(visitor, message.payload or text, metadata)
        finally:
            if not ended:
                # After the answers: the end of this turn for every tab.
                await self.broadcast(conversation_id, frame("typing", active=False))

    async def _answer(self, visitor: Visitor, text: str, metadata: dict[str, Any]) -> bool:
        """Ask Rasa, store and deliver its answers; True when the end of the turn (typing
        false) went out with them."""
        conversation_id = visitor.session.conversation_id
        try:
            replies = await self.rasa.send(conversation_id, text, metadata)
        except RasaUnavailable as error:
            log.warning("rasa unavailable for a visitor message: %s", error)
            notice = "bot_unavailable"
        else:
            notice = "" if replies else "no_answer"
        if notice:
            await self.post(
                conversation_id, "system", texts.say(notice, visitor.speaks), {"notice": notice}
            )
            return False
        answers: list[tuple[Role, str | None, dict | None]] = []
        for reply in replies:
            text_part = reply.get("text") if isinstance(reply.get("text"), str) else None
            data_part = bot_entry_data(reply)
            if text_part or data_part:
                answers.append(("bot", text_part, data_part or None))
        if not answers:
            return False
        # One transaction for the turn's answers; they and the end of the turn go out in order,
        # as one bus message.
        stored, _ = await self.store_entries(conversation_id, answers)
        await self._publish(stored, then=[frame("typing", active=False)])
        return True

    async def _publish(self, entries: list[Entry], then: list[str] | None = None) -> None:
        """Deliver new entries of one conversation (and frames after them) to its tabs, in one
        bus message, then tell the listeners about each entry."""
        if not entries:
            return
        frames = [frame("entry", entry=entry.to_json()) for entry in entries] + (then or [])
        await self.broadcast(entries[0].conversation_id, *frames)
        for entry in entries:
            for listener in self._listeners:
                try:
                    await listener(entry)
                except Exception:  # a broken listener must not break the visitor's chat
                    log.exception("entry listener failed")

    async def broadcast(self, conversation_id: str, *frames: str) -> None:
        """Send frames, in order, to every open tab of a conversation (entries, typing), on
        every hub that holds one; several frames travel as one bus message."""
        message = {"conversation": conversation_id, "frames": list(frames)}
        await self.bus.publish("room", message, key=conversation_id)

    async def _deliver(self, message: dict[str, Any]) -> None:
        """Frames from the bus: to the tabs of their conversation that this hub holds."""
        conversation_id, frames = message.get("conversation"), message.get("frames")
        if isinstance(message.get("frame"), str):  # from a hub of an earlier version
            frames = [message["frame"]]
        if not isinstance(conversation_id, str) or not isinstance(frames, list):
            return
        room = self._rooms.get(conversation_id)
        if room is None:
            return
        for socket in list(room.sockets):
            try:
                for data in frames:
                    if isinstance(data, str):
                        # Every conversation on this hub waits for this send: a tab that stops
                        # reading is cut off (it reconnects and gets the transcript) instead of
                        # stalling them.
                        await asyncio.wait_for(socket.send(data), SEND_SECONDS)
            except Exception:  # that tab went away; its handler cleans up
                room.sockets.discard(socket)
                _cut_off(socket)


def _cut_off(socket: Socket) -> None:
    """Close a tab's socket in the background (its own handler then forgets it)."""
    with contextlib.suppress(Exception):
        closing = socket.close()  # type: ignore[attr-defined]
        if inspect.isawaitable(closing):
            task = asyncio.ensure_future(closing)
            _closing.add(task)  # the loop keeps only a weak reference
            task.add_done_callback(_closing.discard)
