"""The trained model answers the same through the sequential graph runner as through Rasa's
dask runner (addons/graph_runner.py): the same parse of each message, the same next action."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.engine import loader
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from addons.graph_runner import SequentialGraphRunner
from scripts.stack import MODEL

pytestmark = pytest.mark.rasa

TEXTS = ["hello", "how do i renew my green card", "hola, necesito ayuda", "/check_case_status"]


def load(runner: type[DaskGraphRunner], directory: Path) -> tuple[Any, DaskGraphRunner]:
    directory.mkdir()
    return loader.load_predict_graph_runner(directory, MODEL, LocalModelStorage, runner)


def parse(metadata: Any, runner: DaskGraphRunner, text: str) -> dict[str, Any]:
    tracker = DialogueStateTracker.from_events("someone", [])
    inputs = {PLACEHOLDER_MESSAGE: [UserMessage(text)], PLACEHOLDER_TRACKER: tracker}
    message = runner.run(inputs=inputs, targets=[metadata.nlu_target])[metadata.nlu_target][0]
    return message.as_dict(only_output_properties=True)


def next_action(metadata: Any, runner: DaskGraphRunner, parse_data: dict[str, Any]) -> Any:
    events = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered(parse_data["text"], parse_data["intent"], parse_data["entities"], parse_data),
    ]
    tracker = DialogueStateTracker.from_events("someone", events)
    prediction = runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[metadata.core_target])
    return prediction[metadata.core_target]


def test_the_sequential_runner_parses_and_predicts_like_dask(tmp_path: Path) -> None:
    dask_metadata, dask_runner = load(DaskGraphRunner, tmp_path / "dask")
    metadata, runner = load(SequentialGraphRunner, tmp_path / "sequential")
    for text in TEXTS:
        expected, got = parse(dask_metadata, dask_runner, text), parse(metadata, runner, text)
        assert got == expected
        expected_action = next_action(dask_metadata, dask_runner, expected)
        got_action = next_action(metadata, runner, got)
        assert got_action.policy_name == expected_action.policy_name
        assert got_action.max_confidence_index == expected_action.max_confidence_index
        assert got_action.max_confidence_index > 0  # a real action, not "none"


def test_rasa_loads_models_with_the_sequential_runner() -> None:
    import rasa.core.processor

    import addons  # noqa: F401  (importing the package installs the runner)

    assert rasa.core.processor.DaskGraphRunner is SequentialGraphRunner
