"""The receipt form: asks for the receipt number and accepts it in free text.

The receipt number slot has a custom mapping: `extract_receipt_number` below reads it from
whatever the visitor typed. Stop, no, asking for a person or a question without digits are not
answers: the form is rejected and the rules in data/case_status/rules.yml take over.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.case_status import messages as text
from actions.case_status.client import shared_client
from actions.case_status.lookup import limit_reached
from actions.case_status.receipt import find_receipt, is_valid
from actions.language import language_of

SLOT = "receipt_number"
NOT_A_RECEIPT = "<not a receipt number>"
# After this many receipt numbers that could not be read, the visitor is shown the ways out.
STUCK_AFTER = 3
# Intents that mean something other than "here is my receipt number" (when there are no digits)
# and that have a rule for while the form asks (data/case_status/rules.yml). Anything else is
# taken as an attempt at a receipt number, so the visitor hears what one looks like.
NOT_AN_ANSWER = {"stop", "deny", "request_human", "faq"}


def _buttons(lang: str) -> list[dict[str, str]]:
    return [
        {"title": text.FIND_IT[lang], "payload": text.FIND_IT_PAYLOAD[lang]},
        {"title": text.NEVER_MIND[lang], "payload": "/stop"},
    ]


class ActionAskReceiptNumber(Action):
    """The form's question: in full the first time, short when asking again."""

    def name(self) -> str:
        return "action_ask_receipt_number"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = language_of(tracker)
        asked_before = tracker.get_slot("requested_slot") == SLOT
        message = text.REASK if asked_before else text.ASK
        dispatcher.utter_message(text=message[lang], buttons=_buttons(lang))
        return []


class ValidateReceiptForm(FormValidationAction):
    def name(self) -> str:
        return "validate_receipt_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Nothing to ask when there is no backend or no lookup left: the lookup action then
        explains why, instead of asking for a receipt number it can't use."""
        if shared_client() is None or await limit_reached(tracker):
            return []
        return domain_slots

    async def extract_receipt_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        message = tracker.latest_message or {}
        typed = message.get("text") or ""
        receipt = find_receipt(typed)
        if receipt:
            return {SLOT: receipt}
        if tracker.get_slot("requested_slot") != SLOT:
            return {}  # the question that started the form: just ask
        intent = (message.get("intent") or {}).get("name")
        if intent in NOT_AN_ANSWER and not re.search(r"\d", typed):
            return {}
        return {SLOT: NOT_A_RECEIPT}

    async def validate_receipt_number(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if isinstance(slot_value, str) and is_valid(slot_value):
            return {SLOT: slot_value}
        lang = language_of(tracker)
        dispatcher.utter_message(text=text.INVALID[lang])
        if _earlier_invalid_answers(tracker) >= STUCK_AFTER - 1:
            dispatcher.utter_message(
                text=text.STUCK[lang],
                buttons=[
                    {"title": text.PERSON[lang], "payload": "/request_human"},
                    {"title": text.NEVER_MIND[lang], "payload": "/stop"},
                ],
            )
        return {SLOT: None}


def _earlier_invalid_answers(tracker: Tracker) -> int:
    """How many times this run of the form has already said "that doesn't look like a receipt
    number" (the opening words have no digits, so the tracker store's masking keeps them)."""
    openings = tuple(message.split(".")[0] for message in text.INVALID.values())
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == "receipt_form":
            break
        if event.get("event") == "bot" and (event.get("text") or "").startswith(openings):
            count += 1
    return count
