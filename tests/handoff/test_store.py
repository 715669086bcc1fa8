"""The handoff store on SQLite and on a real PostgreSQL: accounts, sessions, chats, requests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.handoff.accounts import AccountError, authenticate, create_account
from services.handoff.store import HandoffStore, now, sessions
from services.hub.store import conversations
from tests.handoff.support import PASSWORD, fresh_postgres


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('handoff')}/hub.db"
    else:
        with fresh_postgres() as url:
            yield url


@pytest.fixture
def store(database_url: str) -> Iterator[HandoffStore]:
    store = HandoffStore(database_url)
    yield store
    with store.engine.begin() as db:
        for table in ("handoff_sessions", "handoff_accounts", "handoff_chats",
                      "handoff_service_requests"):  # fmt: skip
            db.execute(sa.text(f"DELETE FROM {table}"))
    store.close()


def test_passwords_are_stored_as_argon2_hashes_and_checked(store: HandoffStore) -> None:
    account = create_account(store, "Maria", "Maria", "agent", PASSWORD)
    assert account.username == "maria"
    _, stored = store.account_with_hash("maria")  # type: ignore[misc]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert authenticate(store, "MARIA", PASSWORD) == account
    assert authenticate(store, "maria", PASSWORD + "x") is None
    assert authenticate(store, "nobody", PASSWORD) is None
    store.set_active("maria", False)
    assert authenticate(store, "maria", PASSWORD) is None


@pytest.mark.parametrize(
    ("username", "name", "role", "password"),
    [
        ("maria", "Maria", "agent", "short"),
        ("ma ria", "Maria", "agent", PASSWORD),
        ("maria", "", "agent", PASSWORD),
        ("maria", "Maria", "admin", PASSWORD),
    ],
)
def test_bad_accounts_are_refused(
    store: HandoffStore, username: str, name: str, role: str, password: str
) -> None:
    with pytest.raises(AccountError):
        create_account(store, username, name, role, password)


def test_a_user_name_is_taken_only_once(store: HandoffStore) -> None:
    create_account(store, "sam", "Sam", "supervisor", PASSWORD)
    with pytest.raises(AccountError, match="taken"):
        create_account(store, "SAM", "Samuel", "agent", PASSWORD)


def test_sessions_expire_and_end_at_sign_out(store: HandoffStore) -> None:
    account = create_account(store, "lee", "Lee", "agent", PASSWORD)
    token = store.create_session(account.id, hours=8)
    assert store.session_account(token) == account
    assert store.session_account(token + "x") is None
    store.delete_session(token)
    assert store.session_account(token) is None
    old = store.create_session(account.id, hours=8)
    with store.engine.begin() as db:
        db.execute(sessions.update().values(expires_at=now() - timedelta(seconds=1)))
    assert store.session_account(old) is None
    # Nothing but a hash of the token is kept.
    with store.engine.connect() as db:
        kept = [row.token_hash for row in db.execute(sa.select(sessions))]
    assert old not in kept


def test_queue_order_claim_once_transfer_and_finish(store: HandoffStore) -> None:
    maria = create_account(store, "maria2", "Maria", "agent", PASSWORD)
    lee = create_account(store, "lee2", "Lee", "agent", PASSWORD)
    first = store.create_chat("c1", "tier_1", "asked", "en", {"topics": ["faq/fees"]}, 3)
    second = store.create_chat("c2", "tier_1", "fallback", "es", {}, None)
    other = store.create_chat("c3", "tier_2", "needs_a_person", "en", {}, None)
    assert [store.position(c) for c in (first, second, other)] == [1, 2, 1]
    assert store.open_chat_for("c1") == first
    claimed = store.claim(first.id, maria)
    assert claimed is not None and claimed.agent_name == "Maria" and claimed.status == "active"
    assert store.claim(first.id, lee) is None  # somebody was quicker
    assert store.position(store.get_chat(second.id)) == 1  # type: ignore[arg-type]
    assert store.transfer(first.id, lee.id, "tier_2") is None  # not Lee's chat
    moved = store.transfer(first.id, maria.id, "tier_2")
    assert moved is not None and moved.status == "waiting" and moved.agent_id is None
    # It keeps its place: it was asked for before the other tier 2 chat.
    assert store.position(moved) == 1 and store.position(other) == 2
    assert store.claim(first.id, lee) is not None
    assert store.finish(first.id, "ended", maria.id) is None  # only the holder ends it
    done = store.finish(first.id, "ended", lee.id)
    assert done is not None and done.status == "ended" and not done.rasa_synced
    assert [c.id for c in store.unsynced()] == [first.id]
    assert [c.id for c in store.unsynced_for("c1")] == [first.id]
    assert store.unsynced_for("c3") == [] and store.open_or_unsynced_for("c3") == [other]
    assert store.open_or_unsynced_for("c1") == [store.get_chat(first.id)]
    store.mark_synced(first.id)
    assert store.unsynced() == [] and store.open_chat_for("c1") is None
    assert store.open_or_unsynced_for("c1") == [] and store.unsynced_for("c1") == []


def test_stats_count_requests_declines_and_waits(store: HandoffStore) -> None:
    maria = create_account(store, "maria3", "Maria", "agent", PASSWORD)
    chat = store.create_chat("c1", "tier_1", "asked", "en", {}, None)
    store.create_chat("c2", "tier_1", "asked", "en", {}, None, "declined", "no_agent")
    store.claim(chat.id, maria)
    stats = store.stats(now() - timedelta(hours=12))
    assert (stats.requested, stats.declined, stats.claimed) == (2, 1, 1)
    assert stats.average_wait_seconds is not None and stats.average_wait_seconds >= 0
    assert sum(hour["requested"] for hour in stats.hourly) == 2


def test_service_requests_get_a_number_a_due_time_and_masked_identifiers(
    store: HandoffStore,
) -> None:
    request = store.create_service_request(
        "c1", "Where is my card? My receipt is EAC9999103403", "ana@example.com", "es", 48
    )
    assert len(request.number) == 8 and request.number.isdigit()
    assert request.due_at - request.created_at == timedelta(hours=48)
    assert "EAC9999103403" not in request.question and "3403" in request.question
    assert request.to_json()["email_domain"] == "example.com"
    assert "ana@" not in str(request.to_json())
    assert [r.number for r in store.open_service_requests()] == [request.number]
    maria = create_account(store, "maria4", "Maria", "agent", PASSWORD)
    assert store.answer_service_request(request.number, maria, "It was mailed.")
    assert not store.answer_service_request(request.number, maria, "Again")
    assert store.open_service_requests() == []


def test_the_store_shares_the_hubs_database_file(tmp_path: Path) -> None:
    from services.hub.store import TranscriptStore

    url = f"sqlite:///{tmp_path}/hub.db"
    transcripts, handoff = TranscriptStore(url), HandoffStore(url)
    names = set(sa.inspect(handoff.engine).get_table_names())
    assert {"hub_conversations", "handoff_chats", "handoff_accounts"} <= names
    transcripts.close()
    handoff.close()


def test_a_visitor_message_is_stored_once_with_its_conversations_state(database_url: str) -> None:
    from services.hub.store import TranscriptStore

    transcripts = TranscriptStore(database_url)
    try:
        conversation = transcripts.create_conversation("visitor-state")
        entry, new, state = transcripts.append_and_read_state(
            conversation.id, "visitor", "hello", None, "tab-1"
        )
        assert new and state == "bot" and entry.text == "hello"
        transcripts.set_state(conversation.id, "waiting")
        # The same client message again (another hub, same moment): the first one stands.
        again, new, _ = transcripts.append_and_read_state(
            conversation.id, "visitor", "hello", None, "tab-1"
        )
        assert not new and again.id == entry.id
        _, _, state = transcripts.append_and_read_state(conversation.id, "visitor", "still there?")
        assert state == "waiting"
        # A turn's answers: stored together, in order, masked like any entry.
        answers = transcripts.append_many(
            conversation.id,
            [("bot", "One moment.", None), ("bot", "Your receipt EAC2190000001", {"x": 1})],
        )
        assert [a.id for a in answers] == sorted(a.id for a in answers)
        assert "EAC2190000001" not in (answers[1].text or "") and answers[1].data == {"x": 1}
        assert transcripts.append_many(conversation.id, []) == []
        texts = [e.text for e in transcripts.history(conversation.id)]
        assert texts == ["hello", "still there?", "One moment.", answers[1].text]
    finally:
        transcripts.close()


def test_new_entries_carry_the_state_they_were_stored_in_and_read_back_the_same(
    database_url: str,
) -> None:
    """The handoff's listener trusts this state to skip asking about the bot's answers."""
    from services.hub.store import TranscriptStore

    transcripts = TranscriptStore(database_url)
    try:
        conversation = transcripts.create_conversation("visitor-entries")
        visitor, new, state = transcripts.append_and_read_state(
            conversation.id, "visitor", "hi", {"payload": "/greet"}, "tab-9"
        )
        assert new and state == visitor.conversation_state == "bot"
        answers = transcripts.append_many(
            conversation.id, [("bot", "Hello!", None), ("bot", None, {"buttons": [{"t": 1}]})]
        )
        assert [a.conversation_state for a in answers] == ["bot", "bot"]
        transcripts.set_state(conversation.id, "agent")
        notice, _ = transcripts.append(conversation.id, "system", "Maria joined", {"n": 1})
        assert notice.conversation_state == "agent"
        # Read back (history, a resend's lookup): equal to what was stored, the state not known.
        stored = [visitor, *answers, notice]
        assert transcripts.history(conversation.id) == stored
        assert transcripts.history(conversation.id, limit=2) == stored[-2:]
        found = transcripts.find(conversation.id, "tab-9")
        assert found == visitor and found is not None and found.conversation_state is None
        assert transcripts.find(conversation.id, "tab-0") is None
        again, new, state = transcripts.append_and_read_state(
            conversation.id, "visitor", "hi", None, "tab-9"
        )
        assert (again, new, state) == (visitor, False, None)
        got = transcripts.get_conversation(conversation.id)
        assert got is not None and (got.visitor_id, got.state) == ("visitor-entries", "agent")
        assert transcripts.get_conversation("nobody") is None
        # The conversation's updated_at follows its latest entry.
        with transcripts.engine.connect() as db:
            updated = db.execute(
                sa.select(conversations.c.updated_at).where(conversations.c.id == conversation.id)
            ).scalar_one()
        if updated.tzinfo is None:
            updated = updated.replace(tzinfo=timezone.utc)  # SQLite drops the zone
        assert updated == notice.created_at
    finally:
        transcripts.close()


def test_the_chat_queries_of_every_message_find_the_same_chats(store: HandoffStore) -> None:
    waiting = store.create_chat("c1", "tier_1", "asked", "en", {}, None)
    store.create_chat("c2", "tier_1", "asked", "en", {}, None, "declined", "no_agent")
    ended = store.create_chat("c3", "tier_1", "asked", "en", {}, None)
    store.finish(ended.id, "cancelled")
    assert store.get_chat(waiting.id) == waiting and store.get_chat("nope") is None
    assert store.open_chat_for("c1") == waiting and store.open_or_unsynced_for("c1") == [waiting]
    assert store.open_chat_for("c2") is None and store.open_or_unsynced_for("c2") == []
    assert store.open_chat_for("c3") is None
    assert [c.status for c in store.open_or_unsynced_for("c3")] == ["cancelled"]
