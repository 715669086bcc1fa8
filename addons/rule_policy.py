"""Remember which rules match a conversation's last turns, instead of testing every rule again.

Rasa 3.6's RulePolicy finds the rules that apply by testing every rule against every turn of
the conversation, once or twice per prediction and two or more predictions per message: about
a tenth of a Rasa replica's CPU under load (py-spy, docs/benchmark.md). The answer depends only
on the rules and on the conversation's last turns, as many as the longest rule has (a rule
shorter than the turn being tested always applies), and conversations keep reaching the same
few situations. So the answer is kept per (rules, last turns), for as many situations as
`MEMO_SIZE` says, and given again when the same situation comes back.

During training the policy builds and changes its rules while it checks them, so it runs Rasa's
own search there. Installed when the `addons` package is imported.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy

MEMO_SIZE = 4096
_search = RulePolicy._get_possible_keys
_train = RulePolicy.train


class _Memo:
    """One policy's remembered answers, per rule table, least recently used dropped first."""

    def __init__(self) -> None:
        self.answers: OrderedDict[Hashable, frozenset[str]] = OrderedDict()
        self.longest: dict[int, tuple[dict[str, Any], int]] = {}
        self.training = False

    def longest_rule(self, lookup: dict[str, Any]) -> int:
        known = self.longest.get(id(lookup))
        if known is None or known[0] is not lookup:  # kept with the table: ids are reused
            length = max((len(RulePolicy._rule_key_to_state(key)) for key in lookup), default=0)
            known = self.longest[id(lookup)] = (lookup, length)
        return known[1]


def _memo(policy: RulePolicy) -> _Memo:
    memo = policy.__dict__.get("_addons_rule_memo")
    if memo is None:
        memo = policy.__dict__["_addons_rule_memo"] = _Memo()
    return memo


def _frozen(states: list[dict[str, Any]]) -> tuple[frozenset, ...]:
    return tuple(
        frozenset((part, frozenset(features.items())) for part, features in state.items())
        for state in states
    )


def possible_keys(self: RulePolicy, lookup: dict[str, Any], states: list[Any]) -> set[str]:
    """RulePolicy._get_possible_keys, answered from memory when the last turns were seen."""
    memo = _memo(self)
    if memo.training:
        return _search(self, lookup, states)
    recent = states[-memo.longest_rule(lookup) :] if lookup else []
    try:
        key = (id(lookup), _frozen(recent))
        known = memo.answers.get(key)
    except TypeError:  # a feature value that cannot be a key (never seen): search
        return _search(self, lookup, states)
    if known is None:
        known = frozenset(_search(self, lookup, states))
        memo.answers[key] = known
        if len(memo.answers) > MEMO_SIZE:
            memo.answers.popitem(last=False)
    else:
        memo.answers.move_to_end(key)
    return set(known)


@functools.wraps(_train)  # Rasa checks train's signature and return type before training
def train(self: RulePolicy, *args: Any, **kwargs: Any) -> Any:
    """RulePolicy.train with the memory off and emptied: the rules change while training."""
    memo = _memo(self)
    memo.training = True
    memo.answers.clear()
    memo.longest.clear()
    try:
        return _train(self, *args, **kwargs)
    finally:
        memo.training = False
        memo.answers.clear()
        memo.longest.clear()


def install() -> None:
    RulePolicy._get_possible_keys = possible_keys  # type: ignore[method-assign]
    RulePolicy.train = train  # type: ignore[method-assign]
