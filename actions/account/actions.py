"""Rasa actions of the guided sign-in help; the decisions are in actions/account/guide.py."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account.guide import Reply, State, load_guide, next_reply, still_stuck
from actions.language import language_of


def _send(dispatcher: CollectingDispatcher, reply: Reply) -> list[EventType]:
    for message in reply.messages:
        dispatcher.utter_message(text=message["text"], buttons=message.get("buttons") or [])
    return [SlotSet(name, value) for name, value in reply.slots.items()]


def _state(tracker: Tracker) -> State:
    step = tracker.get_slot("account_step")
    return State(
        account=tracker.get_slot("account_type"),
        problem=tracker.get_slot("account_problem"),
        step=int(step) if isinstance(step, (int, float)) else 0,
        stage=tracker.get_slot("account_stage"),
    )


class ActionAccountHelp(Action):
    """Asks which account and which problem, then serves one step at a time."""

    def name(self) -> str:
        return "action_account_help"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        latest = tracker.latest_message or {}
        reply = next_reply(
            load_guide(),
            language_of(tracker),
            (latest.get("intent") or {}).get("name"),
            latest.get("text"),
            latest.get("entities") or [],
            _state(tracker),
        )
        return _send(dispatcher, reply)


class ActionAccountEscalate(Action):
    """The visitor still cannot get in: give the route to the people who can help.

    This is the hook for the live handoff: it sets `handoff_queue` to `technical_help_desk`.
    When live help exists, the handoff work can request the handoff here (or run its own action
    after this one in data/account/rules.yml) and keep this text for when no one is available.
    """

    def name(self) -> str:
        return "action_account_escalate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        state = _state(tracker)
        reply = still_stuck(load_guide(), language_of(tracker), state.account, state.problem)
        return _send(dispatcher, reply)
