"""Remember which rules match a conversation's last turns, instead of testing every rule again.

Rasa 3.6's RulePolicy finds the rules that apply by testing every rule against every turn of
the conversation, once or twice per prediction and two or more predictions per message: about
a tenth of a Rasa replica's CPU under load (py-spy, docs/benchmark.md). The answer depends only
on the rules and on the conversation's last turns, as many as the longest rule has (a rule
shorter than the turn being tested always applies), and conversations keep reaching the same
few situations. So the answer is kept per (rules, last turns), for as many situations as
`MEMO_SIZE` says, and given again when the same situation comes back.

For the same reason the policy only needs the states of those last turns, while Rasa builds the
state of every turn of the conversation, three times per message (the message's text, its
intent, then after the answer): a cost that grows with the conversation. Here the states are
built for the last turns only, once per tracker length, and the text and intent versions of the
latest one are made from that. Rasa's slot copies, made for every tracker it replays, take a
shortcut (`copy.copy` in one step instead of through pickling's protocol, same result).

During training the policy builds and changes its rules while it checks them, so it runs Rasa's
own search there. Installed when the `addons` package is imported.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

MEMO_SIZE = 4096
_search = RulePolicy._get_possible_keys
_states = RulePolicy._prediction_states
_train = RulePolicy.train
# Set on a tracker: (its length, its last event, how many turns, the domain, their states).
_STATES = "_addons_rule_states"


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


def prediction_states(
    self: RulePolicy,
    tracker: DialogueStateTracker,
    domain: Domain,
    use_text_for_last_user_input: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """RulePolicy._prediction_states for the turns its rules can see: the last ones."""
    memo = _memo(self)
    featurizer = self.featurizer
    if (
        memo.training
        or type(featurizer) is not MaxHistoryTrackerFeaturizer
        or featurizer.max_history is not None
        or not self.lookup.get(RULES)
    ):
        return _states(self, tracker, domain, use_text_for_last_user_input, rule_only_data)
    turns = max(
        memo.longest_rule(self.lookup[RULES]),
        memo.longest_rule(self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH) or {}),
    )
    last_event = tracker.events[-1] if tracker.events else None
    known = tracker.__dict__.get(_STATES)
    if (
        known is not None
        and known[0] == len(tracker.events)
        and known[1] is last_event
        and known[2] == turns
        and known[3] is domain
    ):
        built: list[State] = known[4]
    else:
        built = last_states(tracker, domain, turns)
        tracker.__dict__[_STATES] = (len(tracker.events), last_event, turns, domain, built)
    # The latest state gets the text or the intent removed: a copy, so the kept one stays whole.
    latest = {
        part: dict(value) if isinstance(value, dict) else value for part, value in built[-1].items()
    }
    states = built[:-1] + [latest]
    featurizer._choose_last_user_input([states], use_text_for_last_user_input)
    return states


def last_states(tracker: DialogueStateTracker, domain: Domain, turns: int) -> list[State]:
    """The last `turns` of `domain.states_for_tracker_history(tracker)`: every applied event is
    replayed, as Rasa does, but a state is made only for the turns asked for."""
    applied = tracker.applied_events()
    points = 1 + sum(isinstance(event, ActionExecuted) for event in applied)
    skip = max(0, points - turns)
    replay = tracker.init_copy()
    states: list[State] = []
    seen = 0
    for event in applied:
        if isinstance(event, ActionExecuted):
            if seen >= skip:
                states.append(domain._clean_state(domain.get_active_state(replay)))
            seen += 1
        replay.update(event)
    states.append(domain._clean_state(domain.get_active_state(replay)))
    return states


def _copy_slot(self: Slot) -> Slot:
    """What `copy.copy` makes of a slot (a new object sharing its attributes), in one step."""
    copied = type(self).__new__(type(self))
    copied.__dict__.update(self.__dict__)
    return copied


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
    RulePolicy._prediction_states = prediction_states  # type: ignore[method-assign]
    Slot.__copy__ = _copy_slot  # type: ignore[attr-defined]
    RulePolicy.train = train  # type: ignore[method-assign]
