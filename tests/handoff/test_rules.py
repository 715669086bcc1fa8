"""When the bot offers a person, hands off at once, and which queue it asks for."""

from __future__ import annotations

from typing import Any

from actions.handoff import HandoffRules, decide, topics_asked, what_was_tried


def user(intent: str, faq: str | None = None, text: str = "some words") -> dict[str, Any]:
    parse: dict[str, Any] = {"intent": {"name": intent}}
    if faq:
        parse["response_selector"] = {"faq": {"response": {"intent_response_key": faq}}}
    return {"event": "user", "text": text, "parse_data": parse}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


RULES = HandoffRules.from_env({})


def test_the_first_request_gets_the_offer_the_second_hands_off() -> None:
    events = [action("action_listen"), user("request_human")]
    assert decide(RULES, events, offered=False).handoff is False
    second = decide(RULES, events, offered=True)
    assert (second.handoff, second.reason, second.queue) == (True, "asked_again", "tier_1")
    no_offer = HandoffRules.from_env({"HANDOFF_OFFER_FIRST": "false"})
    assert decide(no_offer, events, offered=False).reason == "asked"


def test_after_the_fallback_gave_up_the_handoff_is_at_once() -> None:
    events = [
        user("nlu_fallback"),
        action("action_two_stage_fallback"),
        action("action_default_fallback"),
        action("action_listen"),
        user("request_human"),
    ]
    assert decide(RULES, events, offered=False).reason == "fallback"
    off = HandoffRules.from_env({"HANDOFF_AT_ONCE_AFTER_FALLBACK": "no"})
    assert decide(off, events, offered=False).handoff is False
    # An answer in between: the fallback is no longer what the visitor reacts to.
    later = events[:4] + [user("greet"), action("utter_greet"), action("action_listen")]
    assert decide(RULES, [*later, user("request_human")], offered=False).handoff is False


def test_needs_only_a_person_can_meet_go_to_tier_2_at_once() -> None:
    events = [
        user("faq", "faq/emergency_travel"),
        action("utter_faq"),
        action("action_listen"),
        user("request_human"),
    ]
    decision = decide(RULES, events, offered=False)
    assert (decision.handoff, decision.reason, decision.queue) == (
        True,
        "needs_a_person",
        "tier_2",
    )
    custom = HandoffRules.from_env({"HANDOFF_PERSON_ONLY_TOPICS": "faq/fees:tier_1"})
    assert decide(custom, events, offered=False).handoff is False


def test_failed_account_self_help_goes_to_the_technical_help_desk() -> None:
    events = [user("account_locked"), action("action_account_escalate"), user("request_human")]
    decision = decide(RULES, events, offered=False, self_help_queue="technical_help_desk")
    assert (decision.reason, decision.queue) == ("self_help_failed", "technical_help_desk")
    assert decide(RULES, events, offered=False, self_help_queue="nonsense").handoff is False


def test_the_summary_names_intents_and_actions_never_the_visitors_words() -> None:
    secret = "my A-number is A123456789 and I live at 1 Main St"
    events = [
        user("faq", "faq/fees", text=secret),
        action("utter_faq/fees"),
        user("check_case_status", text=secret),
        action("action_check_case_status"),
        user("nlu_fallback", text=secret),
        action("action_two_stage_fallback"),
        user("request_human", text=secret),
    ]
    summary = {"topics": topics_asked(events), "tried": what_was_tried(events)}
    assert summary == {
        "topics": ["faq/fees", "check_case_status"],
        "tried": ["fallback x1", "faq answer", "action_check_case_status"],
    }
    assert "A123456789" not in str(summary) and "Main" not in str(summary)
