"""The guided sign-in help's table and decisions, without Rasa (stack tests cover the wiring)."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from actions.account.guide import (
    ASKED_PROBLEM,
    ASKED_TYPE,
    ASKED_TYPE_AGAIN,
    DONE,
    HANDOFF_QUEUE,
    LAST_STEP,
    STEP,
    STEPS_FILE,
    Guide,
    Reply,
    State,
    load_guide,
    next_reply,
    parse_guide,
    still_stuck,
)
from privacy.secrets import looks_like_secret

GUIDE = load_guide()
COMBINATIONS = [(account, problem) for account in GUIDE.types for problem in GUIDE.problems]


def every_text(guide: Guide) -> list[str]:
    found: list[dict[str, str]] = list(guide.texts.values())
    for account in guide.types.values():
        found += [account.label, account.still_stuck]
    for problem in guide.problems.values():
        found += [problem.label, problem.title]
    for path in guide.paths.values():
        found += [*path.steps, *(t for t in (path.still_stuck, path.note) if t)]
    return [text[lang] for text in found for lang in ("en", "es")]


def reply_text(reply: Reply) -> str:
    return "\n".join(message["text"] for message in reply.messages)


def walk(lang: str, account: str, problem: str) -> list[Reply]:
    """Start with the problem and a button for the account, then say "no" until the end."""
    intent = GUIDE.problems[problem].intent
    entities = [{"entity": "account_type", "value": account}]
    replies = [next_reply(GUIDE, lang, intent, f"/{intent}", entities, State())]
    while replies[-1].slots.get("account_stage") in (STEP, LAST_STEP):
        slots = replies[-1].slots
        if slots["account_stage"] == LAST_STEP:
            replies.append(still_stuck(GUIDE, lang, slots["account_type"], problem))
            break
        state = State(slots["account_type"], problem, int(slots["account_step"]), STEP)
        replies.append(next_reply(GUIDE, lang, "deny", "/deny", [], state))
    return replies


@pytest.mark.parametrize(("account", "problem"), COMBINATIONS)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_path_is_a_short_sequence_ending_at_the_people_who_can_help(
    lang: str, account: str, problem: str
) -> None:
    replies = walk(lang, account, problem)
    steps = replies[:-1]
    assert 1 <= len(steps) <= 4
    for number, reply in enumerate(steps, 1):
        step = reply.messages[-1]
        assert f" {number} " in step["text"]  # "step 1 of 2" / "paso 1 de 2"
        assert [b["payload"] for b in step["buttons"]] == ["/affirm", "/deny"]
        assert step["text"].endswith(GUIDE.texts["did_it_work"][lang])
        assert len(step["text"]) < 500, "one step, not a wall of text"
    end = replies[-1]
    assert end.slots["handoff_queue"] == HANDOFF_QUEUE
    assert [b["payload"] for b in end.messages[-1]["buttons"]] == ["/request_human"]
    assert end.slots["account_stage"] == DONE
    assert re.search(r"needhelp|888-464-4218|800-375-5283", reply_text(end))


def test_spanish_paths_are_in_spanish() -> None:
    first = walk("es", "everify", "password")[0]
    assert "(paso 1 de 2)" in reply_text(first)
    assert first.messages[-1]["buttons"][0]["title"] == "Sí, funcionó"


def test_the_route_fits_the_account_and_the_problem() -> None:
    assert "unlocking my account" in reply_text(walk("en", "uscis", "locked")[-1])
    assert "new online access code" in reply_text(walk("en", "uscis", "access_code")[-1])
    assert "888-464-4218" in reply_text(walk("en", "everify", "user_id")[-1])
    assert "800-375-5283" in reply_text(walk("es", "csol", "password")[-1])


def test_no_text_looks_like_a_secret_so_stored_transcripts_keep_it() -> None:
    assert [text for text in every_text(GUIDE) if looks_like_secret(text)] == []


def test_the_locked_uscis_account_says_how_long_to_wait_and_links_the_official_page() -> None:
    text = reply_text(walk("en", "uscis", "locked")[0])
    assert "20 minutes" in text
    assert "uscis.gov/about-us/contact-us/how-do-i-unlock-my-online-account" in text


def test_unclear_account_type_is_asked_with_three_buttons_keeping_the_problem() -> None:
    reply = next_reply(GUIDE, "en", "account_locked", "my account is locked", [], State())
    assert reply.slots["account_stage"] == ASKED_TYPE
    assert reply.slots["account_problem"] == "locked"
    titles = [button["title"] for button in reply.messages[0]["buttons"]]
    assert titles == ["USCIS online account", "Old Case Status Online login", "E-Verify"]
    payload = reply.messages[0]["buttons"][2]["payload"]
    assert payload == '/account_choose_type{"account_type":"everify"}'
    state = State(problem="locked", stage=ASKED_TYPE)
    entities = [{"entity": "account_type", "value": "everify"}]
    chosen = next_reply(GUIDE, "en", "account_choose_type", payload, entities, state)
    assert chosen.slots["account_type"] == "everify"
    assert "3 wrong passwords" in reply_text(chosen)


def test_a_general_request_asks_the_account_then_the_problem() -> None:
    state = State(account="everify", problem="password", step=2, stage=DONE)
    reply = next_reply(GUIDE, "es", "account_help", "no puedo entrar", [], state)
    assert reply.slots["account_stage"] == ASKED_TYPE
    assert reply.messages[0]["text"].startswith("Le puedo guiar")
    state = State(stage=ASKED_TYPE)
    entities = [{"entity": "account_type", "value": "uscis"}]
    reply = next_reply(GUIDE, "es", "account_choose_type", "/x", entities, state)
    assert reply.slots["account_stage"] == ASKED_PROBLEM
    payloads = [button["payload"] for button in reply.messages[0]["buttons"]]
    assert payloads == [
        "/account_forgot_password",
        "/account_locked",
        "/account_two_step",
        "/account_access_code",
        "/account_forgot_user_id",
    ]


@pytest.mark.parametrize(
    ("text", "account"),
    [
        ("I forgot my E-Verify password", "everify"),
        ("my everify user id is locked", "everify"),
        ("olvidé mi contraseña de e-verify", "everify"),
        ("the old Case Status Online login", "csol"),
        ("mi cuenta antigua del estado de caso en línea", "csol"),
        ("my egov.uscis.gov account", "csol"),
        ("my USCIS online account", "uscis"),
        ("no puedo entrar a mi cuenta en línea de USCIS", "uscis"),
        ("myUSCIS", "uscis"),
        ("I forgot my password", None),
        ("/account_choose_type", None),
    ],
)
def test_the_account_type_is_recognised_from_the_visitors_words(
    text: str, account: str | None
) -> None:
    assert GUIDE.recognise_type(text) == account


def test_a_typed_account_name_the_nlu_took_for_a_topic_still_answers_the_question() -> None:
    state = State(problem="user_id", stage=ASKED_TYPE)
    reply = next_reply(GUIDE, "en", "faq", "e-verify", [], state)
    assert reply.slots["account_type"] == "everify"
    assert "Forgot your User ID?" in reply_text(reply)


def test_an_unrelated_question_after_the_account_question_is_not_swallowed_twice() -> None:
    reply = next_reply(GUIDE, "en", "faq", "how much is the fee", [], State(stage=ASKED_TYPE))
    assert reply.slots["account_stage"] == ASKED_TYPE_AGAIN  # no rule catches the next one


def test_the_online_access_code_needs_no_account_question() -> None:
    reply = next_reply(GUIDE, "en", "account_access_code", "online access code", [], State())
    assert reply.slots["account_type"] == "uscis"
    assert "Account Access Notice" in reply_text(reply)


def test_a_problem_of_another_account_type_explains_and_shows_that_accounts_steps() -> None:
    entities = [{"entity": "account_type", "value": "everify"}]
    reply = next_reply(GUIDE, "en", "account_access_code", "/x", entities, State())
    assert reply.messages[0]["text"].startswith("E-Verify has no Online Access Code")
    assert reply.slots["account_type"] == "uscis"
    assert "USCIS online account, Online Access Code (step 1 of 2)" in reply_text(reply)


def test_yes_ends_the_path_and_no_serves_the_next_step() -> None:
    state = State("uscis", "two_step", 1, STEP)
    worked = next_reply(GUIDE, "en", "affirm", "yes", [], state)
    assert worked.slots == {"account_step": None, "account_stage": DONE}
    assert "glad" in reply_text(worked)
    following = next_reply(GUIDE, "en", "deny", "no", [], state)
    assert "backup code" in reply_text(following)
    assert following.slots["account_stage"] == LAST_STEP


def test_a_shared_secret_repeats_the_open_question_and_nothing_after_the_end() -> None:
    state = State("everify", "locked", 2, LAST_STEP)
    again = next_reply(GUIDE, "en", "share_secret", "[hidden]", [], state)
    assert "(step 2 of 2)" in reply_text(again)
    assert again.slots["account_stage"] == LAST_STEP
    asked = next_reply(GUIDE, "en", "share_secret", "[hidden]", [], State(stage=ASKED_TYPE))
    assert asked.slots["account_stage"] == ASKED_TYPE
    over = next_reply(GUIDE, "en", "share_secret", "[hidden]", [], State("uscis", stage=DONE))
    assert over.messages == [] and over.slots == {"account_stage": DONE}


def test_a_gap_in_the_table_is_reported_clearly() -> None:
    content = yaml.safe_load(STEPS_FILE.read_text(encoding="utf-8"))
    broken = copy.deepcopy(content)
    del broken["paths"]["everify"]["user_id"]
    with pytest.raises(ValueError, match="paths.everify.user_id is missing"):
        parse_guide(broken)
    broken = copy.deepcopy(content)
    del broken["paths"]["uscis"]["locked"]["steps"][0]["es"]
    with pytest.raises(ValueError, match="needs an English and a Spanish text"):
        parse_guide(broken)
