"""The guided sign-in help as plain Python: the table of steps and the choice of the next reply.

The texts live in data/account/steps.yml so that content staff can edit them without touching
code; this module reads that table and decides, from the visitor's intent and the account slots,
what to show next. Keeping it free of Rasa makes every path testable in milliseconds
(tests/account/test_guide.py); actions/account/actions.py only adapts it to rasa-sdk.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

STEPS_FILE = Path(__file__).resolve().parents[2] / "data" / "account" / "steps.yml"
LANGUAGES = ("en", "es")

# Values of the `account_stage` slot. Rules (data/account/rules.yml) branch on them, so a "yes"
# or "no" is only read as an answer to "Did that work?" right after a step.
ASKED_TYPE = "asked_type"
ASKED_TYPE_AGAIN = "asked_type_again"
ASKED_PROBLEM = "asked_problem"
STEP = "step"
LAST_STEP = "last_step"
DONE = "done"

# The queue of the live handoff (issue 4) that takes visitors who still cannot get in.
HANDOFF_QUEUE = "technical_help_desk"
# When a message names several accounts, the most specific wins ("E-Verify online account").
RECOGNITION_ORDER = ("everify", "csol", "uscis")

Texts = dict[str, str]


@dataclass(frozen=True)
class AccountType:
    key: str
    label: Texts
    names: tuple[str, ...]
    problems: tuple[str, ...]
    still_stuck: Texts


@dataclass(frozen=True)
class Problem:
    key: str
    intent: str
    label: Texts
    title: Texts
    default_type: str | None = None


@dataclass(frozen=True)
class GuidePath:
    """One account type's steps for one problem, or a pointer to another type's (`use`)."""

    steps: tuple[Texts, ...] = ()
    still_stuck: Texts | None = None
    use: str | None = None
    note: Texts | None = None


@dataclass(frozen=True)
class Guide:
    types: dict[str, AccountType]
    problems: dict[str, Problem]
    paths: dict[tuple[str, str], GuidePath]
    texts: dict[str, Texts]

    def resolve(self, account: str, problem: str) -> tuple[str, GuidePath, Texts | None]:
        """The account type whose steps are shown, those steps, and the note saying why."""
        path = self.paths[(account, problem)]
        if path.use:
            return path.use, self.paths[(path.use, problem)], path.note
        return account, path, None

    def still_stuck(self, account: str | None, problem: str | None) -> Texts:
        """Where to go when self-help failed: the path's own text, else the account type's."""
        account = account if account in self.types else "uscis"
        if problem in self.problems:
            account, path, _ = self.resolve(account, problem)
            if path.still_stuck:
                return path.still_stuck
        return self.types[account].still_stuck

    def problem_for_intent(self, intent: str | None) -> str | None:
        return next((p.key for p in self.problems.values() if p.intent == intent), None)

    def recognise_type(self, text: str | None) -> str | None:
        """The account type a visitor's message names, if any ("my E-Verify password")."""
        if not text or text.startswith("/"):
            return None
        padded = f" {normalise(text)} "
        order = [key for key in RECOGNITION_ORDER if key in self.types]
        order += [key for key in self.types if key not in order]
        for key in order:
            if any(f" {normalise(name)} " in padded for name in self.types[key].names):
                return key
        return None


def normalise(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: "E-Verify" -> "e verify"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.split(r"[^a-z0-9]+", plain)).strip()


def _texts(value: Any, where: str) -> Texts:
    if not isinstance(value, dict) or any(not value.get(lang) for lang in LANGUAGES):
        raise ValueError(f"{STEPS_FILE.name}: {where} needs an English and a Spanish text")
    return {lang: " ".join(str(value[lang]).split()) for lang in LANGUAGES}


def parse_guide(content: dict[str, Any]) -> Guide:
    """Build the guide from the YAML content, failing with a clear message on a gap."""
    types = {
        key: AccountType(
            key=key,
            label=_texts(spec.get("label"), f"account_types.{key}.label"),
            names=tuple(spec.get("names") or ()),
            problems=tuple(spec.get("problems") or ()),
            still_stuck=_texts(spec.get("still_stuck"), f"account_types.{key}.still_stuck"),
        )
        for key, spec in (content.get("account_types") or {}).items()
    }
    problems = {
        key: Problem(
            key=key,
            intent=spec["intent"],
            label=_texts(spec.get("label"), f"problems.{key}.label"),
            title=_texts(spec.get("title"), f"problems.{key}.title"),
            default_type=spec.get("default_type"),
        )
        for key, spec in (content.get("problems") or {}).items()
    }
    paths: dict[tuple[str, str], GuidePath] = {}
    for account in types:
        for problem in problems:
            where = f"paths.{account}.{problem}"
            spec = ((content.get("paths") or {}).get(account) or {}).get(problem)
            if not spec:
                raise ValueError(f"{STEPS_FILE.name}: {where} is missing")
            use = spec.get("use")
            if use:
                if use not in types or "use" in content["paths"][use][problem]:
                    raise ValueError(f"{STEPS_FILE.name}: {where} uses an unknown path")
                paths[(account, problem)] = GuidePath(use=use, note=_texts(spec.get("note"), where))
                continue
            steps = tuple(
                _texts(step, f"{where} step {n}") for n, step in enumerate(spec["steps"], 1)
            )
            if not steps:
                raise ValueError(f"{STEPS_FILE.name}: {where} has no steps")
            still = spec.get("still_stuck")
            paths[(account, problem)] = GuidePath(
                steps=steps, still_stuck=_texts(still, where) if still else None
            )
    texts = {
        key: _texts(value, f"texts.{key}") for key, value in (content.get("texts") or {}).items()
    }
    return Guide(types=types, problems=problems, paths=paths, texts=texts)


@lru_cache(maxsize=4)
def load_guide(path: Path = STEPS_FILE) -> Guide:
    return parse_guide(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


@dataclass
class Reply:
    """What to say (messages with optional buttons) and which slots to set."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class State:
    """The account slots as the conversation left them."""

    account: str | None = None
    problem: str | None = None
    step: int = 0
    stage: str | None = None


def _compact(value: dict[str, str]) -> str:
    return json.dumps(value, separators=(",", ":"))


def _type_buttons(guide: Guide, lang: str) -> list[dict[str, str]]:
    return [
        {
            "title": account.label[lang],
            "payload": "/account_choose_type" + _compact({"account_type": account.key}),
        }
        for account in guide.types.values()
    ]


def ask_type(guide: Guide, lang: str, problem: str | None, again: bool = False) -> Reply:
    text = guide.texts["ask_type_again" if again else "ask_type"][lang]
    return Reply(
        messages=[{"text": text, "buttons": _type_buttons(guide, lang)}],
        slots={
            "account_type": None,
            "account_problem": problem,
            "account_step": None,
            "account_stage": ASKED_TYPE_AGAIN if again else ASKED_TYPE,
        },
    )


def ask_problem(guide: Guide, lang: str, account: str) -> Reply:
    buttons = [
        {"title": guide.problems[key].label[lang], "payload": "/" + guide.problems[key].intent}
        for key in guide.types[account].problems
    ]
    text = guide.texts["ask_problem"][lang].format(account=guide.types[account].label[lang])
    return Reply(
        messages=[{"text": text, "buttons": buttons}],
        slots={
            "account_type": account,
            "account_problem": None,
            "account_step": None,
            "account_stage": ASKED_PROBLEM,
        },
    )


def serve_step(guide: Guide, lang: str, account: str, problem: str, number: int) -> Reply:
    """Step `number` (from 1) of the path, ending with "Did that work?" and yes/no buttons."""
    shown, path, note = guide.resolve(account, problem)
    total = len(path.steps)
    number = min(max(number, 1), total)
    header = guide.texts["step"][lang].format(
        account=guide.types[shown].label[lang],
        problem=guide.problems[problem].title[lang],
        number=number,
        total=total,
    )
    messages: list[dict[str, Any]] = []
    if note and number == 1:
        messages.append({"text": note[lang]})
    buttons = [
        {"title": guide.texts["yes_button"][lang], "payload": "/affirm"},
        {"title": guide.texts["no_button"][lang], "payload": "/deny"},
    ]
    text = f"{header}\n{path.steps[number - 1][lang]}\n\n{guide.texts['did_it_work'][lang]}"
    messages.append({"text": text, "buttons": buttons})
    return Reply(
        messages=messages,
        slots={
            "account_type": shown,
            "account_problem": problem,
            "account_step": float(number),
            "account_stage": LAST_STEP if number == total else STEP,
        },
    )


def still_stuck(guide: Guide, lang: str, account: str | None, problem: str | None) -> Reply:
    """The route to the people who can help, and the queue a live handoff would use."""
    text = f"{guide.texts['still_stuck_intro'][lang]}\n{guide.still_stuck(account, problem)[lang]}"
    button = {"title": guide.texts["person_button"][lang], "payload": "/request_human"}
    return Reply(
        messages=[{"text": text, "buttons": [button]}],
        slots={"account_step": None, "account_stage": DONE, "handoff_queue": HANDOFF_QUEUE},
    )


def _named_type(guide: Guide, text: str | None, entities: list[dict[str, Any]]) -> str | None:
    for entity in entities:
        if entity.get("entity") == "account_type" and entity.get("value") in guide.types:
            return entity["value"]
    return guide.recognise_type(text)


def next_reply(
    guide: Guide,
    lang: str,
    intent: str | None,
    text: str | None,
    entities: list[dict[str, Any]],
    state: State,
) -> Reply:
    """The next turn of the guided help, from what the visitor just said and the slots."""
    in_steps = state.stage in (STEP, LAST_STEP) and state.account and state.problem
    if intent in ("affirm", "deny") and in_steps and state.step:
        if intent == "affirm":
            reply = Reply(messages=[{"text": guide.texts["worked"][lang]}])
            reply.slots = {"account_step": None, "account_stage": DONE}
            return reply
        _, path, _ = guide.resolve(state.account, state.problem)
        if state.step >= len(path.steps):
            return still_stuck(guide, lang, state.account, state.problem)
        return serve_step(guide, lang, state.account, state.problem, state.step + 1)
    if intent == "share_secret":
        # The warning was just given: repeat the question the visitor was answering.
        if in_steps:
            return serve_step(guide, lang, state.account, state.problem, state.step)
        if state.stage == ASKED_PROBLEM and state.account in guide.types:
            return ask_problem(guide, lang, state.account)
        if state.stage in (ASKED_TYPE, ASKED_TYPE_AGAIN):
            return ask_type(guide, lang, state.problem)
        # The guided help was over: the warning is enough. Rules need the stage set.
        return Reply(slots={"account_stage": DONE})

    named = _named_type(guide, text, entities)
    problem = guide.problem_for_intent(intent)
    if problem:
        account = named or state.account or guide.problems[problem].default_type
    elif intent == "account_help":
        account = named  # a fresh request: don't assume the account of an earlier one
    else:
        # The answer to "which account?" (a button, or typed words the NLU took for a topic).
        account = named
        answering = state.stage in (ASKED_TYPE, ASKED_TYPE_AGAIN)
        problem = state.problem if answering else None
        if not account and answering:
            return ask_type(guide, lang, problem, again=True)
    if account not in guide.types:
        return ask_type(guide, lang, problem)
    if problem not in guide.problems:
        return ask_problem(guide, lang, account)
    return serve_step(guide, lang, account, problem, 1)
