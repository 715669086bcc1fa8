"""The tracker store's shortcuts keep Rasa's behaviour: every event stored once and masked, and
a visitor message found by its hub id whatever characters the id holds (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    FollowupAction,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from addons.tracker_store import RedactingSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
# domain.yml with the responses kept beside the training data, as training merges them.
DOMAIN = Domain.from_path(ROOT / "domain.yml").merge(Domain.from_directory(ROOT / "data"))
RECEIPT = "EAC2190000001"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/tracker.db"
    return request.getfixturevalue("postgres_database")


def replica(url: str) -> RedactingSQLTrackerStore:
    """A store as one Rasa replica holds it; two of them share the database."""
    return RedactingSQLTrackerStore(domain=DOMAIN, url=url)


def stored_texts(store: RedactingSQLTrackerStore, sender: str) -> list[str]:
    with store.session_scope() as session:
        rows = session.query(store.SQLEvent).filter_by(sender_id=sender).all()
    return [row.data for row in rows]


async def one_turn(
    store: RedactingSQLTrackerStore, sender: str, text: str, message_id: str
) -> None:
    """What Rasa does for one message: read (or create) the tracker, add the turn, save."""
    tracker = await store.retrieve(sender) or await store.create_tracker(sender, False)
    if not tracker.events:
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(text, {"name": "greet"}, message_id=message_id))
    tracker.update(BotUttered("Hi!"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)


def test_turns_on_two_replicas_store_each_event_once(store_url: str) -> None:
    first, second = replica(store_url), replica(store_url)
    sender = f"replicas-{uuid.uuid4().hex}"

    async def conversation() -> None:
        await one_turn(first, sender, "hello", "hub-1")
        await one_turn(second, sender, "how are you", "hub-2")
        await one_turn(first, sender, "thanks", "hub-3")

    asyncio.run(conversation())
    tracker = asyncio.run(second.retrieve(sender))
    user_texts = [event.text for event in tracker.events if isinstance(event, UserUttered)]
    assert user_texts == ["hello", "how are you", "thanks"]
    # 3 events start the session, 3 for each turn; none written twice.
    assert len(stored_texts(first, sender)) == 12


def test_saving_the_same_tracker_twice_adds_only_the_new_events(store_url: str) -> None:
    store = replica(store_url)
    sender = f"twice-{uuid.uuid4().hex}"
    asyncio.run(one_turn(store, sender, "hello", "hub-1"))
    tracker = asyncio.run(store.retrieve(sender))
    asyncio.run(store.save(tracker))
    tracker.update(BotUttered("Anything else?"))
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))
    assert len(stored_texts(store, sender)) == 7


def test_receipt_numbers_are_masked_but_the_hub_message_id_is_kept(store_url: str) -> None:
    store = replica(store_url)
    sender = f"mask-{uuid.uuid4().hex}"
    asyncio.run(one_turn(store, sender, f"my receipt is {RECEIPT}", "hub-42"))
    rows = "\n".join(stored_texts(store, sender))
    assert RECEIPT not in rows
    assert "hub-42" in [json.loads(row).get("message_id") for row in stored_texts(store, sender)]
    tracker = asyncio.run(store.retrieve(sender))
    user = next(event for event in tracker.events if isinstance(event, UserUttered))
    assert user.message_id == "hub-42" and RECEIPT not in user.text


@pytest.mark.parametrize(
    "message_id", ["hub-7", "100%_sure", 'quote"and\\backslash', "accentué-✓", "a_b"]
)
def test_a_message_id_comes_back_as_it_was_whatever_it_holds(
    store_url: str, message_id: str
) -> None:
    """The REST channel finds a resent message by this id in the tracker (addons/channels.py)."""
    store = replica(store_url)
    sender = f"ids-{uuid.uuid4().hex}"
    asyncio.run(one_turn(store, sender, "hello", message_id))
    tracker = asyncio.run(store.retrieve(sender))
    assert [e.message_id for e in tracker.events if isinstance(e, UserUttered)] == [message_id]


def test_a_new_session_is_retrieved_alone_and_the_full_tracker_keeps_both(store_url: str) -> None:
    store = replica(store_url)
    sender = f"sessions-{uuid.uuid4().hex}"

    async def two_sessions() -> None:
        await one_turn(store, sender, "hello", "hub-1")
        tracker = await store.retrieve(sender)
        assert tracker is not None
        # A new session, as Rasa starts one after the expiration time (later timestamps).
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered("back again", {"name": "greet"}, message_id="hub-2"))
        await store.save(tracker)

    asyncio.run(two_sessions())
    latest = asyncio.run(store.retrieve(sender))
    full = asyncio.run(store.retrieve_full_tracker(sender))
    assert [e.text for e in latest.events if isinstance(e, UserUttered)] == ["back again"]
    assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["hello", "back again"]
    assert asyncio.run(store.retrieve(f"nobody-{uuid.uuid4().hex}")) is None


def test_a_tracker_from_elsewhere_adds_only_the_events_not_yet_stored(store_url: str) -> None:
    store = replica(store_url)
    sender = f"elsewhere-{uuid.uuid4().hex}"
    asyncio.run(one_turn(store, sender, "hello", "hub-1"))
    # Rebuilt from the stored events, as Rasa's HTTP API does: no count remembered.
    rebuilt = asyncio.run(store.retrieve(sender)).copy()
    rebuilt.update(UserUttered("one more", {"name": "greet"}, message_id="hub-2"))
    asyncio.run(store.save(rebuilt))
    assert len(stored_texts(store, sender)) == 7


def test_every_kind_of_event_comes_back_as_rasa_itself_reads_it(store_url: str) -> None:
    store = replica(store_url)
    sender = f"kinds-{uuid.uuid4().hex}"
    answer = DOMAIN.responses["utter_greet"][0]["text"]
    turn = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("hola", {"name": "greet", "confidence": 0.9}, message_id="hub-1"),
        SlotSet("language", "es"),
        BotUttered(answer, {"buttons": [{"title": "Yes", "payload": "/affirm"}]}),
        ActiveLoop("case_status_form"),
        SlotSet("requested_slot", "receipt_number"),
        FollowupAction("action_listen"),
        ActiveLoop(None),
        ActionExecuted("action_listen"),
    ]

    async def save_and_read() -> list:
        tracker = await store.create_tracker(sender, False)
        for event in turn:
            tracker.update(event)
        await store.save(tracker)
        return list((await store.retrieve_full_tracker(sender)).events)

    events = asyncio.run(save_and_read())
    expected = DialogueStateTracker.from_dict(sender, [e.as_dict() for e in turn], DOMAIN.slots)
    assert events == list(expected.events)
    assert [type(e) for e in events] == [type(e) for e in turn]


def test_a_bot_message_with_a_receipt_number_filled_in_is_masked(store_url: str) -> None:
    store = replica(store_url)
    sender = f"bot-mask-{uuid.uuid4().hex}"
    plain = DOMAIN.responses["utter_greet"][0]["text"]

    async def save() -> None:
        tracker = await store.create_tracker(sender, False)
        tracker.update(BotUttered(plain))
        tracker.update(BotUttered(f"Here is what I found for {RECEIPT}."))
        await store.save(tracker)

    asyncio.run(save())
    rows = "\n".join(stored_texts(store, sender))
    assert RECEIPT not in rows and "Here is what I found for" in rows
    assert json.dumps(plain)[1:-1] in rows  # a response as the domain has it is kept as is
