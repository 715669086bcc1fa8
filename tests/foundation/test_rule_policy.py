"""The rule policy picks the same rules with its memory of past situations as Rasa's own search
(addons/rule_policy.py), for any rules and any conversation, asked once or again; and training,
where the rules change under the search, runs Rasa's search."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine import loader
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph

import addons  # noqa: F401  (importing the package installs the memory)
from addons import rule_policy
from addons.graph_runner import SequentialGraphRunner
from scripts.stack import MODEL

NOT_SET = "should_not_be_set"
intents = st.sampled_from(["greet", "goodbye", "ask_fee", "check_case"])
actions = st.sampled_from(["action_listen", "utter_greet", "receipt_form", "utter_fee"])
slot_values = st.sampled_from([(1.0,), (0.0,), NOT_SET])


@st.composite
def a_state(draw: Any, start: bool = False) -> dict[str, Any]:
    """One turn as RulePolicy sees it: user, previous action, active loop, slots."""
    state: dict[str, Any] = {}
    if draw(st.booleans()):
        state["user"] = {"intent": draw(intents)}
    if not start or draw(st.booleans()):
        state["prev_action"] = {"action_name": draw(actions)}
    if draw(st.booleans()):
        state["active_loop"] = {"name": draw(st.sampled_from(["receipt_form", NOT_SET]))}
    if draw(st.booleans()):
        state["slots"] = {"receipt_number": draw(slot_values)}
    return state


@st.composite
def states(draw: Any, most: int) -> list[dict[str, Any]]:
    first = draw(a_state(start=True))
    return [first, *draw(st.lists(a_state(), max_size=most - 1))]


def rule_key(rule: list[dict[str, Any]]) -> str:
    """As Rasa stores a rule: its states as sorted JSON (tuples become lists)."""
    return json.dumps(rule, sort_keys=True)


lookups = st.lists(states(4), min_size=1, max_size=12).map(
    lambda rules: {rule_key(rule): "utter_greet" for rule in rules}
)


def policy() -> RulePolicy:
    return RulePolicy.__new__(RulePolicy)  # the search uses only the rules it is given


def test_rasa_uses_the_memory() -> None:
    assert RulePolicy._get_possible_keys is rule_policy.possible_keys


@settings(max_examples=300, deadline=None)
@given(lookups, st.lists(states(7), min_size=1, max_size=4))
def test_the_same_rules_as_rasas_search_first_time_and_again(
    lookup: dict[str, str], conversations: list[list[dict[str, Any]]]
) -> None:
    remembering = policy()
    for conversation in conversations * 2:  # the second round answers from memory
        expected = rule_policy._search(policy(), lookup, conversation)
        assert remembering._get_possible_keys(lookup, conversation) == expected


def test_turns_older_than_the_longest_rule_share_an_answer() -> None:
    lookup = {
        rule_key(
            [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]
        ): "utter_greet"
    }
    remembering = policy()
    turn = {"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}
    short = [{}, turn]
    long = [{}, {"prev_action": {"action_name": "utter_fee"}}, turn]
    assert remembering._get_possible_keys(lookup, short) == set(lookup)
    assert remembering._get_possible_keys(lookup, long) == set(lookup)
    assert len(rule_policy._memo(remembering).answers) == 1


def test_a_changed_rule_table_is_searched_afresh() -> None:
    remembering = policy()
    turn = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]
    first = {rule_key(turn): "utter_greet"}
    second = {rule_key([{"prev_action": {"action_name": "utter_fee"}}]): "action_listen"}
    assert remembering._get_possible_keys(first, turn) == set(first)
    assert remembering._get_possible_keys(second, turn) == set()


def test_training_searches_without_memory(monkeypatch: Any) -> None:
    searches: list[int] = []

    def counting(self: RulePolicy, lookup: dict[str, Any], states: list[Any]) -> set[str]:
        searches.append(1)
        return set()

    monkeypatch.setattr(rule_policy, "_search", counting)
    remembering = policy()
    turn = [{"prev_action": {"action_name": "action_listen"}}]

    def fake_train(self: RulePolicy, *args: Any, **kwargs: Any) -> None:
        for _ in range(3):
            self._get_possible_keys({"[]": "x"}, turn)

    monkeypatch.setattr(rule_policy, "_train", fake_train)
    rule_policy.train(remembering)
    assert len(searches) == 3
    assert not rule_policy._memo(remembering).answers


def test_rasa_still_accepts_the_policys_train_method() -> None:
    """Rasa checks a component's train signature and return type before it trains a model."""
    import inspect
    import typing

    from rasa.engine.storage.resource import Resource

    assert inspect.signature(RulePolicy.train) == inspect.signature(rule_policy._train)
    assert typing.get_type_hints(RulePolicy.train)["return"] is Resource


# --- the states of the last turns only, on the trained model and the conversation tests


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[RulePolicy, Domain]:
    metadata, runner = loader.load_predict_graph_runner(
        tmp_path_factory.mktemp("model"), MODEL, LocalModelStorage, SequentialGraphRunner
    )
    policies = [
        node._component
        for node in runner._instantiated_nodes.values()
        if isinstance(node._component, RulePolicy)
    ]
    return policies[0], metadata.domain


def conversation_tests(domain: Domain) -> list[DialogueStateTracker]:
    steps = []
    for path in sorted(Path("tests/conversations").glob("*.yml")):
        steps += YAMLStoryReader(domain).read_from_file(path)
    generator = TrainingDataGenerator(StoryGraph(steps), domain, augmentation_factor=0)
    return generator.generate_story_trackers()


@pytest.mark.rasa  # the trained model
def test_the_last_turns_states_and_predictions_are_rasas(
    trained: tuple[RulePolicy, Domain],
) -> None:
    """Every turn of every conversation test, replayed on one growing tracker as Rasa's
    processor does: the states are the last turns of Rasa's, text and intent versions alike,
    and the policy predicts exactly what it predicts with Rasa's states."""
    policy, domain = trained
    turns = max(
        rule_policy._memo(policy).longest_rule(policy.lookup[RULES]),
        rule_policy._memo(policy).longest_rule(policy.lookup[RULES_FOR_LOOP_UNHAPPY_PATH]),
    )
    checked = longer = 0
    for story in conversation_tests(domain):
        tracker = DialogueStateTracker(story.sender_id, domain.slots)
        for event in story.events:
            if isinstance(event, ActionExecuted):
                for text in (True, False):
                    ours = policy._prediction_states(tracker, domain, text)
                    rasas = rule_policy._states(policy, tracker, domain, text)
                    assert ours == rasas[-turns:]
                    longer += len(rasas) > turns
                ours_prediction = policy.predict_action_probabilities(tracker, domain)
                with _rasas_states():
                    rasas_prediction = policy.predict_action_probabilities(tracker, domain)
                assert _prediction(ours_prediction) == _prediction(rasas_prediction)
                checked += 1
            tracker.update(event)
    assert checked > 500 and longer > 100  # long conversations, where states were left out


@contextlib.contextmanager
def _rasas_states() -> Iterator[None]:
    RulePolicy._prediction_states = rule_policy._states  # type: ignore[method-assign]
    try:
        yield
    finally:
        RulePolicy._prediction_states = rule_policy.prediction_states  # type: ignore[method-assign]


def _prediction(prediction: Any) -> tuple[Any, ...]:
    return (
        prediction.probabilities,
        prediction.events,
        prediction.is_end_to_end_prediction,
        prediction.is_no_user_prediction,
        prediction.hide_rule_turn,
    )


def test_a_slot_copy_is_what_copy_copy_made() -> None:
    """The shortcut for copying slots gives a separate slot with the same attributes."""
    slot = TextSlot("receipt_number", mappings=[{"type": "from_text"}], initial_value="x")
    copied = copy.copy(slot)
    assert type(copied) is TextSlot and copied is not slot
    assert copied.__dict__ == slot.__dict__
    copied.value = "changed"
    assert slot.value == "x"
