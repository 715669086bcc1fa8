"""The fallback actions' own choices: what "did you mean ...?" offers for a given NLU result."""

from __future__ import annotations

import asyncio
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import (
    INTENT_LABELS,
    NOT_CONFIRMED,
    ActionDefaultAskAffirmation,
    ActionDefaultFallback,
)
from actions.topics import topic_labels
from scripts.stack import ROOT


def _tracker(latest_message: dict[str, Any], language: str = "en") -> Tracker:
    return Tracker(
        sender_id="unit",
        slots={"language": language},
        latest_message=latest_message,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def _run(action: Any, tracker: Tracker) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages


def _a_topic() -> tuple[str, str, str]:
    """Some knowledge topic: (retrieval intent, English title, Spanish title)."""
    labels = topic_labels()
    for (intent, language), label in sorted(labels.items()):
        if language == "en" and (intent, "es") in labels:
            return intent, label.title, labels[(intent, "es")].title
    raise AssertionError("no topic has both an English and a Spanish title")


def test_a_likely_topic_is_offered_by_its_title_with_a_way_out() -> None:
    intent, title, _ = _a_topic()
    message = {
        "text": "smth unclear",
        "intent_ranking": [{"name": "nlu_fallback"}, {"name": "faq"}],
        "response_selector": {"faq": {"response": {"intent_response_key": intent}}},
    }
    [reply] = _run(ActionDefaultAskAffirmation(), _tracker(message))
    assert reply["text"] == f"Did you mean: {title}?"
    titles = [button["title"] for button in reply["buttons"]]
    assert titles == [title, "No, something else"]
    # "No" must be the two-stage fallback's deny intent.
    assert reply["buttons"][1]["payload"] == "/out_of_scope"


def test_the_offer_is_in_spanish_for_a_spanish_conversation() -> None:
    intent, _, spanish_title = _a_topic()
    message = {
        "intent_ranking": [{"name": "faq"}],
        "response_selector": {"faq": {"response": {"intent_response_key": intent}}},
    }
    [reply] = _run(ActionDefaultAskAffirmation(), _tracker(message, "es"))
    assert reply["text"] == f"¿Quiso decir: {spanish_title}?"


def test_a_likely_flow_is_offered_as_its_intent() -> None:
    message = {"intent_ranking": [{"name": "out_of_scope"}, {"name": "check_case_status"}]}
    [reply] = _run(ActionDefaultAskAffirmation(), _tracker(message))
    assert reply["buttons"][0] == {"title": "Check my case status", "payload": "/check_case_status"}


def test_with_nothing_worth_confirming_it_asks_to_rephrase() -> None:
    message = {"intent_ranking": [{"name": "nlu_fallback"}, {"name": "out_of_scope"}]}
    [reply] = _run(ActionDefaultAskAffirmation(), _tracker(message))
    assert "say it another way" in reply["text"]
    assert not reply.get("buttons")


def test_the_final_fallback_offers_every_other_route() -> None:
    [reply] = _run(ActionDefaultFallback(), _tracker({"intent_ranking": []}))
    payloads = [button["payload"] for button in reply["buttons"]]
    assert payloads == ["/browse_topics", "/check_case_status", "/request_human"]


def test_every_intent_a_visitor_can_mean_has_a_label_in_both_languages() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    intents = {name if isinstance(name, str) else next(iter(name)) for name in domain["intents"]}
    unlabelled = intents - set(INTENT_LABELS) - NOT_CONFIRMED - {"faq"}
    assert not unlabelled, f"add these to INTENT_LABELS in actions/fallback.py: {unlabelled}"
    assert all(set(label) == {"en", "es"} for label in INTENT_LABELS.values())
