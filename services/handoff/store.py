"""Accounts, console sessions, handoff chats and service requests: SQLite or PostgreSQL.

Same engine rules as the hub's transcripts (services/hub/store.py), and by default the same
database, in tables of their own (`handoff_*`). Every chat's state lives here, so a hub restart
in the middle of a handoff loses nothing. Calls are blocking; the app runs them in a thread.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from privacy import redact_text
from services.hub.store import create_db_engine, create_tables

ROLES = ("agent", "supervisor")
QUEUES = ("tier_1", "tier_2", "technical_help_desk", "supervisor")
OPEN = ("waiting", "active")

metadata = sa.MetaData()

accounts = sa.Table(
    "handoff_accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    # What visitors see: a first name or an alias, never a full name.
    sa.Column("display_name", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

sessions = sa.Table(
    "handoff_sessions",
    metadata,
    # Only a hash of the token is kept: a copy of the database gives no usable session.
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column(
        "account_id",
        sa.Integer,
        sa.ForeignKey("handoff_accounts.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

chats = sa.Table(
    "handoff_chats",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("conversation_id", sa.String(64), nullable=False, index=True),
    sa.Column("queue", sa.String(32), nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("language", sa.String(2), nullable=False),
    # Intents asked and what the bot tried (JSON), never the visitor's words.
    sa.Column("summary", sa.Text, nullable=False),
    # waiting, active, ended (back to the bot), closed, cancelled (by the visitor), declined
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("declined_why", sa.String(16), nullable=True),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("agent_id", sa.Integer, nullable=True),
    sa.Column("agent_name", sa.String(64), nullable=True),
    # The last transcript entry before the handoff: what follows is the human part.
    sa.Column("start_entry_id", sa.Integer, nullable=True),
    # Has Rasa's tracker been given the human part and the resume event?
    sa.Column("rasa_synced", sa.Boolean, nullable=False, default=False),
)

service_requests = sa.Table(
    "handoff_service_requests",
    metadata,
    sa.Column("number", sa.String(8), primary_key=True),
    sa.Column("conversation_id", sa.String(64), nullable=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("language", sa.String(2), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # open, answered
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("answered_by", sa.String(64), nullable=True),
    sa.Column("answer", sa.Text, nullable=True),
)


# The statements asked for every visitor message, built once: SQLAlchemy then reuses their
# cache key and compiled form instead of building both again per call (services/hub/store.py).
_CHAT = sa.select(chats).where(chats.c.id == sa.bindparam("b_chat", type_=chats.c.id.type))
_OF_CONVERSATION = chats.c.conversation_id == sa.bindparam(
    "b_conversation", type_=chats.c.conversation_id.type
)
# IN of literal() values: an IN of plain Python values is expanded again at every execution.
_IS_OPEN = chats.c.status.in_([sa.literal(status, chats.c.status.type) for status in OPEN])
_OPEN_CHAT = sa.select(chats).where(_OF_CONVERSATION, _IS_OPEN)
_OPEN_OR_UNSYNCED = sa.select(chats).where(
    _OF_CONVERSATION, sa.or_(_IS_OPEN, chats.c.rasa_synced.is_(False))
)


def now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)  # SQLite drops the zone
    return moment


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    display_name: str
    role: str
    active: bool

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "name": self.display_name,
                "role": self.role}  # fmt: skip


@dataclass(frozen=True)
class Chat:
    id: str
    conversation_id: str
    queue: str
    reason: str
    language: str
    summary: dict[str, Any]
    status: str
    requested_at: datetime
    claimed_at: datetime | None = None
    ended_at: datetime | None = None
    agent_id: int | None = None
    agent_name: str | None = None
    start_entry_id: int | None = None
    rasa_synced: bool = False
    declined_why: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "queue": self.queue,
            "reason": self.reason,
            "language": self.language,
            "summary": self.summary,
            "status": self.status,
            "requested_at": self.requested_at.isoformat(),
            "claimed_at": self.claimed_at.isoformat() if self.claimed_at else None,
            "agent": self.agent_name,
            "agent_id": self.agent_id,
        }


@dataclass(frozen=True)
class ServiceRequest:
    number: str
    conversation_id: str | None
    question: str
    email: str
    language: str
    status: str
    created_at: datetime
    due_at: datetime
    answered_at: datetime | None = None
    answered_by: str | None = None
    answer: str | None = None

    def to_json(self) -> dict[str, Any]:
        """For the console; the e-mail address is shown only as its domain."""
        return {
            "number": self.number,
            "question": self.question,
            "email_domain": self.email.rpartition("@")[2],
            "language": self.language,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "due_at": self.due_at.isoformat(),
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "answered_by": self.answered_by,
        }


@dataclass
class Stats:
    requested: int = 0
    declined: int = 0
    claimed: int = 0
    average_wait_seconds: float | None = None
    hourly: list[dict[str, Any]] = field(default_factory=list)


def _account(row: Any) -> Account:
    return Account(row.id, row.username, row.display_name, row.role, bool(row.active))


def _chat(row: Any) -> Chat:
    return Chat(
        id=row.id,
        conversation_id=row.conversation_id,
        queue=row.queue,
        reason=row.reason,
        language=row.language,
        summary=json.loads(row.summary or "{}"),
        status=row.status,
        requested_at=_aware(row.requested_at),
        claimed_at=_aware(row.claimed_at),
        ended_at=_aware(row.ended_at),
        agent_id=row.agent_id,
        agent_name=row.agent_name,
        start_entry_id=row.start_entry_id,
        rasa_synced=bool(row.rasa_synced),
        declined_why=row.declined_why,
    )


def _request(row: Any) -> ServiceRequest:
    return ServiceRequest(
        number=row.number,
        conversation_id=row.conversation_id,
        question=row.question,
        email=row.email,
        language=row.language,
        status=row.status,
        created_at=_aware(row.created_at),
        due_at=_aware(row.due_at),
        answered_at=_aware(row.answered_at),
        answered_by=row.answered_by,
        answer=row.answer,
    )


class HandoffStore:
    def __init__(self, url: str) -> None:
        self.engine = create_db_engine(url)
        create_tables(metadata, self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # --- accounts
    def create_account(
        self, username: str, display_name: str, role: str, password_hash: str
    ) -> Account:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        with self.engine.begin() as db:
            new = db.execute(
                accounts.insert().values(
                    username=username.lower(),
                    display_name=display_name,
                    role=role,
                    password_hash=password_hash,
                    active=True,
                    created_at=now(),
                )
            ).inserted_primary_key[0]
        return Account(new, username.lower(), display_name, role, True)

    def account_with_hash(self, username: str) -> tuple[Account, str] | None:
        with self.engine.connect() as db:
            row = db.execute(
                sa.select(accounts).where(accounts.c.username == username.lower())
            ).first()
        return (_account(row), row.password_hash) if row else None

    def set_password_hash(self, account_id: int, password_hash: str) -> None:
        with self.engine.begin() as db:
            db.execute(
                accounts.update()
                .where(accounts.c.id == account_id)
                .values(password_hash=password_hash)
            )

    def set_active(self, username: str, active: bool) -> bool:
        with self.engine.begin() as db:
            result = db.execute(
                accounts.update()
                .where(accounts.c.username == username.lower())
                .values(active=active)
            )
            if not active:
                ids = sa.select(accounts.c.id).where(accounts.c.username == username.lower())
                db.execute(sessions.delete().where(sessions.c.account_id.in_(ids)))
        return result.rowcount > 0

    def list_accounts(self) -> list[Account]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(accounts).order_by(accounts.c.username)).all()
        return [_account(row) for row in rows]

    # --- console sessions
    def create_session(self, account_id: int, hours: int) -> str:
        token = secrets.token_urlsafe(32)
        moment = now()
        with self.engine.begin() as db:
            db.execute(sessions.delete().where(sessions.c.expires_at < moment))
            db.execute(
                sessions.insert().values(
                    token_hash=token_hash(token),
                    account_id=account_id,
                    created_at=moment,
                    expires_at=moment + timedelta(hours=hours),
                )
            )
        return token

    def session_account(self, token: str) -> Account | None:
        """The active account of an unexpired session, or None."""
        if not token or len(token) > 200:
            return None
        with self.engine.connect() as db:
            row = db.execute(
                sa.select(accounts, sessions.c.expires_at)
                .join(sessions, sessions.c.account_id == accounts.c.id)
                .where(sessions.c.token_hash == token_hash(token))
            ).first()
        if row is None or not row.active or _aware(row.expires_at) <= now():
            return None
        return _account(row)

    def delete_session(self, token: str) -> None:
        with self.engine.begin() as db:
            db.execute(sessions.delete().where(sessions.c.token_hash == token_hash(token)))

    # --- handoff chats
    def create_chat(
        self,
        conversation_id: str,
        queue: str,
        reason: str,
        language: str,
        summary: dict[str, Any],
        start_entry_id: int | None,
        status: str = "waiting",
        declined_why: str | None = None,
    ) -> Chat:
        values = {
            "id": secrets.token_hex(8),
            "conversation_id": conversation_id,
            "queue": queue,
            "reason": reason,
            "language": language,
            "summary": json.dumps(summary, ensure_ascii=False),
            "status": status,
            "declined_why": declined_why,
            "requested_at": now(),
            "start_entry_id": start_entry_id,
            "rasa_synced": status != "waiting",
        }
        with self.engine.begin() as db:
            db.execute(chats.insert().values(**values))
        return self.get_chat(values["id"])  # type: ignore[return-value]

    def get_chat(self, chat_id: str) -> Chat | None:
        with self.engine.connect() as db:
            row = db.execute(_CHAT, {"b_chat": chat_id}).first()
        return _chat(row) if row else None

    def open_chat_for(self, conversation_id: str) -> Chat | None:
        with self.engine.connect() as db:
            row = db.execute(_OPEN_CHAT, {"b_conversation": conversation_id}).first()
        return _chat(row) if row else None

    def open_or_unsynced_for(self, conversation_id: str) -> list[Chat]:
        """A conversation's open chat, if any, and its finished chats whose resume has not
        reached Rasa yet, in one query (with a shared bus the hubs ask for every visitor
        message, and for every entry while a handoff is on)."""
        with self.engine.connect() as db:
            rows = db.execute(_OPEN_OR_UNSYNCED, {"b_conversation": conversation_id}).all()
        return [_chat(row) for row in rows]

    def unsynced_for(self, conversation_id: str) -> list[Chat]:
        """A conversation's finished chats whose resume has not reached Rasa yet."""
        return [c for c in self.open_or_unsynced_for(conversation_id) if c.status not in OPEN]

    def open_chats(self) -> list[Chat]:
        """Every waiting or active chat, oldest request first."""
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(chats).where(chats.c.status.in_(OPEN)).order_by(chats.c.requested_at)
            ).all()
        return [_chat(row) for row in rows]

    def unsynced(self) -> list[Chat]:
        """Finished chats whose resume has not reached Rasa yet."""
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(chats).where(chats.c.rasa_synced.is_(False), chats.c.status.notin_(OPEN))
            ).all()
        return [_chat(row) for row in rows]

    def position(self, chat: Chat) -> int:
        """1 for the next chat to be taken from its queue."""
        with self.engine.connect() as db:
            ahead = db.execute(
                sa.select(sa.func.count())
                .select_from(chats)
                .where(
                    chats.c.status == "waiting",
                    chats.c.queue == chat.queue,
                    chats.c.requested_at < chat.requested_at,
                )
            ).scalar_one()
        return int(ahead) + 1

    def claim(self, chat_id: str, account: Account) -> Chat | None:
        """Take a waiting chat; None when someone else was quicker (or it is gone)."""
        with self.engine.begin() as db:
            result = db.execute(
                chats.update()
                .where(chats.c.id == chat_id, chats.c.status == "waiting")
                .values(
                    status="active",
                    claimed_at=sa.func.coalesce(chats.c.claimed_at, now()),
                    agent_id=account.id,
                    agent_name=account.display_name,
                )
            )
        return self.get_chat(chat_id) if result.rowcount == 1 else None

    def transfer(self, chat_id: str, agent_id: int, queue: str) -> Chat | None:
        """Put an agent's active chat back in a queue (keeping its place by request time)."""
        with self.engine.begin() as db:
            result = db.execute(
                chats.update()
                .where(
                    chats.c.id == chat_id, chats.c.status == "active", chats.c.agent_id == agent_id
                )
                .values(status="waiting", queue=queue, agent_id=None, agent_name=None)
            )
        return self.get_chat(chat_id) if result.rowcount == 1 else None

    def finish(self, chat_id: str, status: str, agent_id: int | None = None) -> Chat | None:
        """End an open chat (ended, closed, cancelled); with agent_id only the holder may."""
        condition = [chats.c.id == chat_id, chats.c.status.in_(OPEN)]
        if agent_id is not None:
            condition += [chats.c.status == "active", chats.c.agent_id == agent_id]
        with self.engine.begin() as db:
            result = db.execute(
                chats.update().where(*condition).values(status=status, ended_at=now())
            )
        return self.get_chat(chat_id) if result.rowcount == 1 else None

    def mark_synced(self, chat_id: str) -> None:
        with self.engine.begin() as db:
            db.execute(chats.update().where(chats.c.id == chat_id).values(rasa_synced=True))

    def stats(self, since: datetime) -> Stats:
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(chats.c.status, chats.c.requested_at, chats.c.claimed_at).where(
                    chats.c.requested_at >= since
                )
            ).all()
        result = Stats(requested=len(rows))
        result.declined = sum(1 for row in rows if row.status == "declined")
        waits = [
            (_aware(row.claimed_at) - _aware(row.requested_at)).total_seconds()
            for row in rows
            if row.claimed_at is not None
        ]
        result.claimed = len(waits)
        result.average_wait_seconds = sum(waits) / len(waits) if waits else None
        hours: dict[datetime, dict[str, Any]] = {}
        start = since.replace(minute=0, second=0, microsecond=0)
        moment = start
        while moment <= now():
            hours[moment] = {"hour": moment.isoformat(), "requested": 0, "waits": []}
            moment += timedelta(hours=1)
        for row in rows:
            bucket = hours.get(_aware(row.requested_at).replace(minute=0, second=0, microsecond=0))
            if bucket is None:
                continue
            bucket["requested"] += 1
            if row.claimed_at is not None:
                wait = (_aware(row.claimed_at) - _aware(row.requested_at)).total_seconds()
                bucket["waits"].append(wait)
        for bucket in hours.values():
            waits_in_hour = bucket.pop("waits")
            bucket["average_wait_seconds"] = (
                sum(waits_in_hour) / len(waits_in_hour) if waits_in_hour else None
            )
        result.hourly = list(hours.values())
        return result

    # --- service requests
    def create_service_request(
        self,
        conversation_id: str | None,
        question: str,
        email: str,
        language: str,
        due_hours: int,
    ) -> ServiceRequest:
        moment = now()
        for _ in range(20):
            number = f"{secrets.randbelow(90_000_000) + 10_000_000}"  # 8 digits
            try:
                with self.engine.begin() as db:
                    db.execute(
                        service_requests.insert().values(
                            number=number,
                            conversation_id=conversation_id,
                            question=redact_text(question),
                            email=email,
                            language=language,
                            status="open",
                            created_at=moment,
                            due_at=moment + timedelta(hours=due_hours),
                        )
                    )
            except sa.exc.IntegrityError:
                continue  # that number is taken: draw another
            return self.get_service_request(number)  # type: ignore[return-value]
        raise RuntimeError("could not draw a free service request number")

    def get_service_request(self, number: str) -> ServiceRequest | None:
        with self.engine.connect() as db:
            row = db.execute(
                sa.select(service_requests).where(service_requests.c.number == number)
            ).first()
        return _request(row) if row else None

    def open_service_requests(self) -> list[ServiceRequest]:
        """Open requests, the one due first on top."""
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(service_requests)
                .where(service_requests.c.status == "open")
                .order_by(service_requests.c.due_at)
            ).all()
        return [_request(row) for row in rows]

    def answer_service_request(self, number: str, agent: Account, answer: str) -> bool:
        with self.engine.begin() as db:
            result = db.execute(
                service_requests.update()
                .where(service_requests.c.number == number, service_requests.c.status == "open")
                .values(
                    status="answered",
                    answered_at=now(),
                    answered_by=agent.display_name,
                    answer=redact_text(answer),
                )
            )
        return result.rowcount == 1
