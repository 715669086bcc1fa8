"""The handoff itself: queues, claiming, messages both ways, transfer, the way back to the bot.

One `Handoff` object per hub process. Everything that must survive a restart is in the store
(chats, service requests, sessions) and in the hub's transcripts; only the consoles that are
connected right now (who is online) live in memory, and they reconnect by themselves.

With several hub processes (HUB_BUS_URL), each holds its own consoles; events for consoles, who
is online and the queue positions go through the hub's bus, so an agent on hub B follows a
visitor on hub A, and every hub knows whether an agent is online anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import aiohttp

from privacy.secrets import SECRET_PLACEHOLDER, looks_like_secret
from services.handoff import mailer, texts
from services.handoff.hubport import HubPort
from services.handoff.rasa_sync import append_events, human_part_events
from services.handoff.settings import HandoffSettings
from services.handoff.store import OPEN, QUEUES, Account, Chat, HandoffStore, now
from services.hub.bus import LocalBus
from services.hub.store import Entry

log = logging.getLogger("handoff")

VISITOR_QUEUES = ("tier_1", "tier_2", "technical_help_desk")
CANCEL_WORDS = {"/stop", "cancel", "cancelar", "stop"}
MAX_AGENT_MESSAGE = 2000


class Refused(Exception):
    """A console request that cannot be done; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


class ConsoleSocket(Protocol):
    async def send(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


@dataclass
class Console:
    account: Account
    token: str
    socket: ConsoleSocket


@dataclass
class _Live:
    """In-memory view of open chats, rebuilt from the store at start."""

    by_conversation: dict[str, str] = field(default_factory=dict)  # conversation -> chat id
    unsynced: set[str] = field(default_factory=set)  # conversations Rasa has not resumed
    positions: dict[str, int] = field(default_factory=dict)  # chat id -> last told position


class Handoff:
    def __init__(self, settings: HandoffSettings, store: HandoffStore, hub: HubPort) -> None:
        self.settings = settings
        self.store = store
        self.hub = hub
        self.consoles: list[Console] = []
        self._live = _Live()
        # Other hubs' online agents: hub id -> (when last told, accounts). Told at every change
        # and every tick; a hub that stops telling (it died) is forgotten after a few ticks.
        self._remote: dict[str, tuple[float, list[Account]]] = {}
        self._http: aiohttp.ClientSession | None = None
        self._task: asyncio.Task | None = None
        self._sending: set[str] = set()

    @property
    def bus(self) -> LocalBus:
        return self.hub.bus

    # --- life cycle
    async def start(self) -> None:
        self._http = aiohttp.ClientSession()
        self.bus.subscribe("console", self._notify_here)
        self.bus.subscribe("console_sign_out", self._sign_out_here)
        self.bus.subscribe("presence", self._on_presence)
        self.bus.subscribe("position", self._on_position)
        for chat in await self._db(self.store.open_chats):
            self._live.by_conversation[chat.conversation_id] = chat.id
            if chat.status == "waiting":
                self._live.positions[chat.id] = await self._db(self.store.position, chat)
        self._live.unsynced = {c.conversation_id for c in await self._db(self.store.unsynced)}
        self.hub.add_listener(self.on_entry)
        await self._announce(ask=True)  # and the other hubs tell who is online there
        self._task = asyncio.create_task(self._retry_syncs())

    async def stop(self) -> None:
        self.consoles.clear()
        with contextlib.suppress(Exception):  # the other hubs forget this one's agents now
            await self._announce()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._http is not None:
            await self._http.close()

    @staticmethod
    async def _db(function: Any, *args: Any) -> Any:
        return await asyncio.to_thread(function, *args)

    # --- availability
    def agents_online(self) -> list[Account]:
        """Agents with a console open on this hub or, with a shared bus, on any hub."""
        seen = {console.account.id: console.account for console in self.consoles}
        horizon = time.monotonic() - 3 * self.settings.tick_seconds - 2
        for told_at, accounts in self._remote.values():
            if told_at >= horizon:
                for account in accounts:
                    seen.setdefault(account.id, account)
        return list(seen.values())

    async def _announce(self, ask: bool = False) -> None:
        """Tell the other hubs which agents are online here (`ask`: and to tell theirs)."""
        if not self.bus.shared:
            return
        accounts = {c.account.id: c.account.to_json() for c in self.consoles}
        await self.bus.publish(
            "presence", {"hub": self.bus.hub_id, "accounts": list(accounts.values()), "ask": ask}
        )

    async def _on_presence(self, message: dict[str, Any]) -> None:
        hub = message.get("hub")
        if not isinstance(hub, str) or hub == self.bus.hub_id:
            return
        accounts = [
            Account(int(a["id"]), str(a["username"]), str(a["name"]), str(a["role"]), True)
            for a in message.get("accounts") or []
            if isinstance(a, dict)
        ]
        self._remote[hub] = (time.monotonic(), accounts)
        if message.get("ask"):
            await self._announce()

    def unavailable_because(self) -> str | None:
        """None when live chat can take a visitor now, else why not: closed or no_agent."""
        if not self.settings.hours.is_open():
            return "closed"
        if not self.agents_online():
            return "no_agent"
        return None

    # --- requests from the action server (internal API)
    async def request(
        self,
        conversation_id: str,
        reason: str,
        language: str,
        queue: str,
        summary: dict[str, Any],
    ) -> dict[str, Any]:
        if not await self.hub.exists(conversation_id):
            raise Refused("unknown conversation", 404)
        language = language if language in ("en", "es") else "en"
        queue = queue if queue in VISITOR_QUEUES else "tier_1"
        summary = _clean_summary(summary)
        if await self._db(self.store.open_chat_for, conversation_id):
            return {"status": "already"}
        history = await self.hub.history(conversation_id)
        start_entry = history[-1].id if history else None
        why = self.unavailable_because()
        if why:
            await self._db(
                lambda: self.store.create_chat(
                    conversation_id, queue, reason, language, summary, start_entry, "declined", why
                )
            )
            await self._refresh()
            return {"status": "unavailable", "why": why}
        chat = await self._db(
            lambda: self.store.create_chat(
                conversation_id, queue, reason, language, summary, start_entry
            )
        )
        await self.hub.set_state(conversation_id, "waiting")
        self._live.by_conversation[conversation_id] = chat.id
        position = await self._db(self.store.position, chat)
        await self._set_position(chat.id, position)
        await self._notify({"type": "new_handoff", "chat": chat.id, "queue": chat.queue})
        return {"status": "queued", "position": position, "handoff_id": chat.id}

    async def service_request(
        self, conversation_id: str | None, question: str, email: str, language: str
    ) -> dict[str, Any]:
        language = language if language in ("en", "es") else "en"
        hours = self.settings.service_request_hours
        request = await self._db(
            lambda: self.store.create_service_request(
                conversation_id, question, email, language, hours
            )
        )
        await self._notify({"type": "new_service_request", "number": request.number})
        return {"number": request.number, "due_at": request.due_at.isoformat(), "due_hours": hours}

    # --- what a console sees
    async def state_for(self, account: Account) -> dict[str, Any]:
        chats = await self._db(self.store.open_chats)
        moment = now()
        waiting = []
        for chat in chats:
            if chat.status != "waiting":
                continue
            if chat.queue == "supervisor" and account.role != "supervisor":
                continue
            item = chat.to_json()
            item["waiting_seconds"] = int((moment - chat.requested_at).total_seconds())
            item["position"] = self._live.positions.get(chat.id)
            waiting.append(item)
        mine = [c.to_json() for c in chats if c.status == "active" and c.agent_id == account.id]
        requests = await self._db(self.store.open_service_requests)
        return {
            "me": account.to_json(),
            "open": self.settings.hours.is_open(),
            "agents_online": len(self.agents_online()),
            "queues": [q for q in QUEUES if q != "supervisor" or account.role == "supervisor"],
            "waiting": waiting,
            "mine": mine,
            "service_requests": [r.to_json() for r in requests],
        }

    async def transcript(self, account: Account, chat_id: str) -> dict[str, Any]:
        chat = await self._chat_for_reading(account, chat_id)
        entries = await self.hub.history(chat.conversation_id)
        return {"chat": chat.to_json(), "entries": [e.to_json() for e in entries]}

    async def supervisor_view(self) -> dict[str, Any]:
        since = now() - timedelta(hours=12)
        stats = await self._db(self.store.stats, since)
        conversations = await self.hub.conversations_since(since)
        chats = await self._db(self.store.open_chats)
        active_by_agent: dict[int, int] = {}
        for chat in chats:
            if chat.status == "active" and chat.agent_id is not None:
                active_by_agent[chat.agent_id] = active_by_agent.get(chat.agent_id, 0) + 1
        return {
            "agents": [
                {**a.to_json(), "active_chats": active_by_agent.get(a.id, 0)}
                for a in self.agents_online()
            ],
            "waiting_by_queue": {
                q: sum(1 for c in chats if c.status == "waiting" and c.queue == q) for q in QUEUES
            },
            "active": sum(1 for c in chats if c.status == "active"),
            "conversations": conversations,
            "handoffs_requested": stats.requested,
            "handoffs_declined": stats.declined,
            "handoff_rate": round(stats.requested / conversations, 3) if conversations else 0.0,
            "average_wait_seconds": stats.average_wait_seconds,
            "hourly": stats.hourly,
            "open": self.settings.hours.is_open(),
        }

    # --- console actions
    async def claim(self, account: Account, chat_id: str) -> dict[str, Any]:
        chat = await self._db(self.store.get_chat, chat_id)
        if chat is None:
            raise Refused("no such chat", 404)
        if chat.queue == "supervisor" and account.role != "supervisor":
            raise Refused("only a supervisor can take this chat", 403)
        claimed = await self._db(self.store.claim, chat_id, account)
        if claimed is None:
            raise Refused("this chat was already taken or has ended")
        self._live.by_conversation[claimed.conversation_id] = chat_id
        await self._set_position(chat_id, None)
        await self.hub.set_state(claimed.conversation_id, "agent")
        await self.hub.post(
            claimed.conversation_id,
            "system",
            texts.say("joined", claimed.language, agent=account.display_name),
            {"notice": "agent_joined", "agent": account.display_name},
        )
        await self._tell_positions(claimed.queue)
        await self._refresh()
        return await self.transcript(account, chat_id)

    async def send(self, account: Account, chat_id: str, text: str) -> dict[str, Any]:
        chat = await self._held(account, chat_id)
        text = (text or "").strip()
        if not text:
            raise Refused("the message is empty", 400)
        if len(text) > MAX_AGENT_MESSAGE:
            raise Refused(f"the message is longer than {MAX_AGENT_MESSAGE} characters", 400)
        if looks_like_secret(text):
            text = SECRET_PLACEHOLDER
        await self.hub.typing(chat.conversation_id, False)
        entry = await self.hub.post(
            chat.conversation_id, "agent", text, {"agent": account.display_name}
        )
        return entry.to_json()

    async def typing(self, account: Account, chat_id: str, active: bool) -> None:
        chat = await self._held(account, chat_id)
        await self.hub.typing(chat.conversation_id, active)

    async def transfer(self, account: Account, chat_id: str, target: str) -> None:
        if target not in QUEUES:
            raise Refused("unknown queue", 400)
        chat = await self._held(account, chat_id)
        moved = await self._db(self.store.transfer, chat_id, account.id, target)
        if moved is None:
            raise Refused("this chat is no longer yours")
        await self.hub.set_state(chat.conversation_id, "waiting")
        position = await self._db(self.store.position, moved)
        await self._set_position(chat_id, position)
        await self.hub.post(
            chat.conversation_id,
            "system",
            texts.say("transferred", chat.language, agent=account.display_name, position=position),
            {"notice": "transferred", "position": position},
        )
        await self._notify({"type": "new_handoff", "chat": chat_id, "queue": target})

    async def finish(self, account: Account, chat_id: str, how: str) -> None:
        """End (back to the bot) or close an agent's chat."""
        if how not in ("ended", "closed"):
            raise Refused("unknown way to finish", 400)
        await self._held(account, chat_id)
        done = await self._db(self.store.finish, chat_id, how, account.id)
        if done is None:
            raise Refused("this chat is no longer yours")
        await self._back_to_bot(done, texts.say(how, done.language, agent=account.display_name))

    async def answer_service_request(self, account: Account, number: str, answer: str) -> None:
        answer = (answer or "").strip()
        if not (1 <= len(answer) <= 5000):
            raise Refused("the answer must have 1 to 5000 characters", 400)
        request = await self._db(self.store.get_service_request, number)
        if request is None:
            raise Refused("no such service request", 404)
        if request.status != "open" or number in self._sending:
            raise Refused("this service request was already answered")
        self._sending.add(number)
        try:
            message = mailer.answer_message(
                self.settings.smtp, request, answer, account.display_name
            )
            try:
                await mailer.send(self.settings.smtp, message)
            except mailer.MailError as error:
                log.warning("service request %s: mail not sent (%s)", number, error)
                raise Refused("the e-mail could not be sent; please try again later", 502) from None
            await self._db(self.store.answer_service_request, number, account, answer)
        finally:
            self._sending.discard(number)
        await self._refresh()

    # --- consoles
    def add_console(self, console: Console) -> None:
        self.consoles.append(console)

    async def remove_console(self, console: Console) -> None:
        with contextlib.suppress(ValueError):
            self.consoles.remove(console)
        await self._refresh()

    async def sign_out(self, token: str) -> None:
        await self._db(self.store.delete_session, token)
        # Consoles of this session may be open on any hub; the bus carries a digest, not the token.
        await self.bus.publish("console_sign_out", {"session": _digest(token)})
        await self._refresh()

    async def _sign_out_here(self, message: dict[str, Any]) -> None:
        for console in [c for c in self.consoles if _digest(c.token) == message.get("session")]:
            self.consoles.remove(console)
            with contextlib.suppress(Exception):
                await console.socket.close(4001, "signed out")

    async def _notify(self, event: dict[str, Any], account_id: int | None = None) -> None:
        """Send an event to the consoles (of one account) on every hub."""
        await self.bus.publish("console", {"event": event, "account": account_id})

    async def _notify_here(self, message: dict[str, Any]) -> None:
        event, account_id = message.get("event"), message.get("account")
        data = json.dumps(event, ensure_ascii=False)
        for console in list(self.consoles):
            if account_id is not None and console.account.id != account_id:
                continue
            try:
                await console.socket.send(data)
            except Exception:  # that console went away; its handler cleans up
                with contextlib.suppress(ValueError):
                    self.consoles.remove(console)

    async def _refresh(self) -> None:
        await self._announce()  # who is online may be what changed; told before the refresh
        await self._notify({"type": "refresh"})

    async def _set_position(self, chat_id: str, position: int | None) -> None:
        """Remember a waiting chat's last told place in line (None: no longer waiting), here
        and on the other hubs, which tell the visitor when it gets better."""
        self._apply_position(chat_id, position)
        if self.bus.shared:
            await self.bus.publish("position", {"chat": chat_id, "position": position})

    async def _on_position(self, message: dict[str, Any]) -> None:
        chat_id, position = message.get("chat"), message.get("position")
        if isinstance(chat_id, str) and (position is None or isinstance(position, int)):
            self._apply_position(chat_id, position)

    def _apply_position(self, chat_id: str, position: int | None) -> None:
        if position is None:
            self._live.positions.pop(chat_id, None)
        else:
            self._live.positions[chat_id] = position

    # --- the visitor's side
    async def on_entry(self, entry: Entry) -> None:
        """Every new transcript entry: forward it to the agent, spot a cancel, resume Rasa."""
        chat_id = self._live.by_conversation.get(entry.conversation_id)
        pending: list[Chat] | None = None
        if (
            chat_id is None
            and entry.conversation_state == "bot"
            and entry.conversation_id not in self._live.unsynced
        ):
            # Stored while the bot answers (the hub read the state in the same transaction):
            # no chat is open, since a handoff sets its state when it opens one, and Rasa knows
            # of every chat that ended, since one it was not told of leaves the conversation
            # "resuming". So nothing to forward, nothing to tell Rasa, nothing to ask the store:
            # a turn with the bot costs the handoff no query at all.
            return
        if chat_id is None and self.bus.shared:
            # Another hub may have opened or taken it, or ended it: the store knows. One query
            # for both questions (open chat? a finished one whose resume has not reached Rasa?).
            chats = await self._db(self.store.open_or_unsynced_for, entry.conversation_id)
            opened = next((chat for chat in chats if chat.status in OPEN), None)
            pending = [chat for chat in chats if chat.status not in OPEN]
            if opened is not None:
                chat_id = self._live.by_conversation[entry.conversation_id] = opened.id
        if chat_id is None:
            unsynced = entry.conversation_id in self._live.unsynced or self.bus.shared
            if entry.role == "visitor" and unsynced:
                await self._sync_pending(entry.conversation_id, pending)
            return
        chat = await self._db(self.store.get_chat, chat_id)
        if chat is None or chat.status not in ("waiting", "active"):
            self._live.by_conversation.pop(entry.conversation_id, None)
            return
        if chat.agent_id is not None:
            await self._notify(
                {"type": "entry", "chat": chat.id, "entry": entry.to_json()}, chat.agent_id
            )
        if entry.role == "visitor" and chat.status == "waiting":
            said = (entry.data.get("payload") or entry.text or "").strip().lower()
            if said in CANCEL_WORDS:
                # The hub relays this very message to Rasa once the state is "bot" again, and
                # the bot answers the cancel itself (its "stop" rule), after the resume.
                done = await self._db(self.store.finish, chat.id, "cancelled")
                if done is not None:
                    await self._back_to_bot(done, None, last_entry_id=entry.id)
            else:
                await self._refresh()

    async def _back_to_bot(
        self, chat: Chat, notice: str | None, last_entry_id: int | None = None
    ) -> None:
        self._live.by_conversation.pop(chat.conversation_id, None)
        await self._set_position(chat.id, None)
        synced = await self._sync(chat, last_entry_id)
        # Not told (Rasa down): "resuming" makes the next visitor message try again first.
        await self.hub.set_state(chat.conversation_id, "bot" if synced else "resuming")
        await self.hub.typing(chat.conversation_id, False)
        if notice:
            await self.hub.post(chat.conversation_id, "system", notice, {"notice": "back_to_bot"})
        await self._tell_positions(chat.queue)
        await self._refresh()

    async def _sync(self, chat: Chat, last_entry_id: int | None = None) -> bool:
        """Give Rasa the human part and the resume; remembered for a retry when Rasa is down."""
        # One at a time, on every hub: Rasa must get the human part once.
        async with self.bus.lock("handoff-sync"):
            fresh = await self._db(self.store.get_chat, chat.id)
            if fresh is None or fresh.rasa_synced:
                return True
            history = await self.hub.history(chat.conversation_id)
            part = [
                e
                for e in history
                if (chat.start_entry_id is None or e.id > chat.start_entry_id)
                and (last_entry_id is None or e.id < last_entry_id)
                # Told later (Rasa was down): not what the visitor said after the chat ended,
                # which reaches Rasa as their next message.
                and (
                    fresh.ended_at is None or e.created_at is None or e.created_at <= fresh.ended_at
                )
            ]
            assert self._http is not None
            ok = await append_events(
                self._http,
                self.hub.rasa_url,
                self.hub.rasa_token,
                chat.conversation_id,
                human_part_events(part),
            )
            if ok:
                await self._db(self.store.mark_synced, chat.id)
                self._live.unsynced.discard(chat.conversation_id)
            else:
                self._live.unsynced.add(chat.conversation_id)
            return ok

    async def _sync_pending(self, conversation_id: str, known: list[Chat] | None = None) -> None:
        """Before a visitor's message reaches Rasa again, make sure Rasa was resumed."""
        if known is None:
            known = await self._db(self.store.unsynced_for, conversation_id)
        synced = [await self._sync(chat) for chat in known]
        if all(synced):
            # Rasa knows of every ended chat; another hub may have told it just before this one
            # set "resuming", so say "bot" here too.
            await self.hub.resume(conversation_id)

    async def _retry_syncs(self) -> None:
        """Every few seconds: resume Rasa where it failed, give up when nobody can come."""
        unavailable_since: datetime | None = None
        while True:
            with contextlib.suppress(Exception):
                await self._announce()  # still online here (other hubs forget silent hubs)
                for chat in await self._db(self.store.unsynced):
                    if await self._sync(chat):
                        await self.hub.resume(chat.conversation_id)  # "resuming" -> "bot"
                if self.unavailable_because() is None:
                    unavailable_since = None
                else:
                    unavailable_since = unavailable_since or now()
                    waited = (now() - unavailable_since).total_seconds()
                    if waited >= self.settings.give_up_seconds:
                        await self._give_up_waiting()
            await asyncio.sleep(self.settings.tick_seconds)

    async def _give_up_waiting(self) -> None:
        """Live chat closed or every agent left: waiting visitors go back to the bot, told so."""
        for chat in await self._db(self.store.open_chats):
            if chat.status == "waiting":
                done = await self._db(self.store.finish, chat.id, "abandoned")
                if done is not None:
                    await self._back_to_bot(done, texts.say("gave_up", done.language))

    async def _tell_positions(self, queue: str) -> None:
        """Tell each visitor still waiting in `queue` when their place in line got better."""
        for chat in await self._db(self.store.open_chats):
            if chat.status != "waiting" or chat.queue != queue:
                continue
            position = await self._db(self.store.position, chat)
            before = self._live.positions.get(chat.id)
            await self._set_position(chat.id, position)
            if before is not None and position < before:
                await self.hub.post(
                    chat.conversation_id,
                    "system",
                    texts.say("position", chat.language, position=position),
                    {"notice": "queue_position", "position": position},
                )

    # --- checks
    async def _held(self, account: Account, chat_id: str) -> Chat:
        chat = await self._db(self.store.get_chat, chat_id)
        if chat is None:
            raise Refused("no such chat", 404)
        if chat.status != "active" or chat.agent_id != account.id:
            raise Refused("this chat is not yours", 403)
        return chat

    async def _chat_for_reading(self, account: Account, chat_id: str) -> Chat:
        chat = await self._db(self.store.get_chat, chat_id)
        if chat is None:
            raise Refused("no such chat", 404)
        if account.role != "supervisor" and chat.agent_id != account.id:
            raise Refused("this chat is not yours", 403)
        return chat


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _clean_summary(summary: Any) -> dict[str, Any]:
    """Keep only short intent and action names: the summary must not carry personal data."""
    clean: dict[str, Any] = {}
    if isinstance(summary, dict):
        for key in ("topics", "tried"):
            items = summary.get(key)
            if isinstance(items, list):
                clean[key] = [str(i)[:60] for i in items if isinstance(i, str)][:20]
    return clean
