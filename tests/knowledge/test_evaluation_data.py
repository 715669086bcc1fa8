"""The evaluation is honest: held-out questions are unseen, cover every topic in both languages,
and the fallback decision the sweep replays is the one Rasa's FallbackClassifier makes."""

from __future__ import annotations

from pathlib import Path

import yaml

from scripts.check_content import all_examples, normalise
from scripts.evaluate import FALLBACK, Prediction, best_of, configured_thresholds, to_prediction
from scripts.nlu_data import load_held_out

ROOT = Path(__file__).resolve().parents[2]
TOPICS = sorted(f"faq/{path.stem}" for path in (ROOT / "data" / "topics").glob("*.yml"))


def conversation_stories() -> list[dict]:
    stories = []
    for path in sorted((ROOT / "tests" / "conversations").glob("test_topics*.yml")):
        stories += yaml.safe_load(path.read_text(encoding="utf-8")).get("stories") or []
    return stories


def test_no_held_out_question_is_a_training_example() -> None:
    training = {normalise(example.text) for example in all_examples((ROOT / "data").rglob("*.yml"))}
    leaked = [ex.text for ex in load_held_out().examples if normalise(ex.text) in training]
    assert leaked == []


def test_every_topic_has_held_out_questions_in_both_languages() -> None:
    covered = {(ex.intent, ex.language) for ex in load_held_out().examples}
    missing = [(t, lang) for t in TOPICS for lang in ("en", "es") if (t, lang) not in covered]
    assert missing == []


def test_every_topic_has_an_english_and_a_spanish_story_with_unseen_text() -> None:
    training = {normalise(example.text) for example in all_examples((ROOT / "data").rglob("*.yml"))}
    names: set[str] = set()
    for story in conversation_stories():
        names.add(story["story"])
        for step in story["steps"]:
            if "user" in step:
                assert normalise(step["user"]) not in training, step["user"]
    for topic in TOPICS:
        short = topic.removeprefix("faq/")
        assert {f"{short}, English", f"{short}, Spanish"} <= names, short


def test_the_replayed_fallback_matches_rasa_fallback_rules() -> None:
    assert Prediction("faq/fees", 0.9, 0.05).label(0.5, 0.1) == "faq/fees"
    assert Prediction("faq/fees", 0.4, 0.05).label(0.5, 0.1) == FALLBACK  # below threshold
    assert Prediction("faq/fees", 0.55, 0.5).label(0.5, 0.1) == FALLBACK  # ambiguous
    parsed = {
        "text": "fee",
        "intent": {"name": FALLBACK, "confidence": 0.5},
        "intent_ranking": [
            {"name": FALLBACK, "confidence": 0.5},
            {"name": "faq", "confidence": 0.45},
            {"name": "greet", "confidence": 0.3},
        ],
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/fees"}}},
    }
    prediction = to_prediction(parsed)
    assert (prediction.top, prediction.confidence, prediction.second_confidence) == (
        "faq/fees",
        0.45,
        0.3,
    )


def test_the_sweep_prefers_thresholds_that_meet_every_target() -> None:
    passing = {
        "threshold": 0.6,
        "ambiguity_threshold": 0.1,
        "in_domain_accuracy": 0.96,
        "oos_recall": 0.91,
        "hard_negative_false_accepts": 0.04,
        "in_domain_fallbacks": 0.02,
    }
    more_accurate_but_failing = {**passing, "threshold": 0.3, "in_domain_accuracy": 0.99,
                                 "oos_recall": 0.7}  # fmt: skip
    assert best_of([more_accurate_but_failing, passing]) == passing


def test_config_thresholds_are_read() -> None:
    threshold, ambiguity = configured_thresholds()
    assert 0 < threshold < 1 and 0 <= ambiguity < 1
