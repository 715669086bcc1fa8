"""The lookup itself: action_check_case_status, run when the receipt form is done.

It uses the receipt number in the turn it arrives (the tracker store masks it from the next turn
on) and then clears it, so every lookup asks again.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.case_status import messages as text
from actions.case_status.client import shared_client
from actions.case_status.limits import VisitorLimits, make_limits
from actions.case_status.receipt import is_valid
from actions.case_status.settings import LimitSettings
from actions.language import language_of
from privacy import mask_receipt

logger = logging.getLogger(__name__)
_limits: VisitorLimits | None = None


def visitor_limits() -> VisitorLimits:
    global _limits
    if _limits is None:
        _limits = make_limits(LimitSettings.from_env().store_url)
    return _limits


def visitor_of(tracker: Tracker) -> str:
    """The hub's visitor id when the client sends one, else the conversation's sender id."""
    metadata = tracker.latest_message.get("metadata") or {}
    return str(metadata.get("visitor_id") or tracker.sender_id)


async def limit_reached(tracker: Tracker) -> bool:
    """True when this conversation or this visitor has used up its lookups."""
    limits = LimitSettings.from_env()
    if int(tracker.get_slot("case_status_lookups") or 0) >= limits.per_conversation:
        return True
    return await visitor_limits().used(visitor_of(tracker)) >= limits.per_visitor


def _buttons(lang: str, *pairs: tuple[dict[str, str], str]) -> list[dict[str, str]]:
    return [{"title": title[lang], "payload": payload} for title, payload in pairs]


class ActionCheckCaseStatus(Action):
    """Looks up the receipt number and explains the answer, or says why it can't."""

    def name(self) -> str:
        return "action_check_case_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = language_of(tracker)
        receipt = tracker.get_slot("receipt_number")
        events: list[EventType] = [SlotSet("receipt_number", None)]
        client = shared_client()
        if client is None:
            dispatcher.utter_message(text=text.NO_BACKEND[lang])
            return events
        if await limit_reached(tracker):
            dispatcher.utter_message(text=text.LIMIT[lang])
            return events
        if not receipt or not is_valid(receipt):
            dispatcher.utter_message(text=text.NO_BACKEND[lang])
            return events
        result = await client.get_case(receipt)
        if result.outcome != "unavailable":
            count = int(tracker.get_slot("case_status_lookups") or 0) + 1
            events.append(SlotSet("case_status_lookups", float(count)))
            await visitor_limits().record(visitor_of(tracker))
        another = (text.ANOTHER, "/check_case_status")
        if result.outcome == "found":
            dispatcher.utter_message(
                text=text.answer(result.case, receipt, lang), buttons=_buttons(lang, another)
            )
        elif result.outcome == "unavailable":
            logger.info("lookup of %s unavailable (%s)", mask_receipt(receipt), result.reason)
            dispatcher.utter_message(
                text=text.UNAVAILABLE[lang],
                buttons=_buttons(
                    lang, (text.PERSON, "/request_human"), (text.TRY_AGAIN, "/check_case_status")
                ),
            )
        else:  # not found, or a format the API refused: the same neutral answer
            dispatcher.utter_message(
                text=text.NOT_FOUND[lang].format(receipt=mask_receipt(receipt)),
                buttons=_buttons(lang, another, (text.PERSON, "/request_human")),
            )
        return events
