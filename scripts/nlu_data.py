"""Held-out NLU questions (tests/nlu/) and scoring a trained model on them, in-process."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
HELD_OUT_DIR = ROOT / "tests" / "nlu"


@dataclass(frozen=True)
class Example:
    text: str
    intent: str  # full intent: "faq/fees" for a knowledge topic
    language: str
    source: str = ""  # the held-out file's name without .yml (each file is one set)


@dataclass
class HeldOut:
    examples: list[Example] = field(default_factory=list)

    def describe(self) -> str:
        languages = Counter(example.language for example in self.examples)
        intents = len({example.intent for example in self.examples})
        return f"{intents} intents; " + ", ".join(f"{n} {lang}" for lang, n in languages.items())


def _lines(examples: str) -> list[str]:
    return [
        line.strip()[2:].strip() for line in examples.splitlines() if line.strip().startswith("- ")
    ]


def load_held_out(directory: Path = HELD_OUT_DIR) -> HeldOut:
    """Every example of every intent block in the YAML files of `directory`."""
    held_out = HeldOut()
    for path in sorted(directory.glob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in content.get("nlu", []):
            if "intent" not in block:
                continue
            language = (block.get("metadata") or {}).get("language", "en")
            for text in _lines(block.get("examples", "")):
                held_out.examples.append(Example(text, block["intent"], language, path.stem))
    return held_out


def full_intent(parsed: dict[str, Any]) -> str:
    """The intent with the FAQ sub-intent the response selector chose, e.g. "faq/fees"."""
    name = (parsed.get("intent") or {}).get("name") or ""
    if name == "faq":
        selector = (parsed.get("response_selector") or {}).get("faq") or {}
        key = (selector.get("response") or {}).get("intent_response_key")
        return key or name
    return name


@dataclass
class Score:
    accuracy: float
    macro_f1: float
    by_language: dict[str, float]
    parse_ms: float
    errors: list[tuple[Example, str]]

    def summary(self) -> str:
        return f"accuracy {self.accuracy:.3f} macro-F1 {self.macro_f1:.3f}"


def parse_all(model: Path, texts: list[str]) -> tuple[list[dict[str, Any]], float]:
    """Parse texts with a trained model; return the results and the mean milliseconds per text."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def run() -> list[dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    started = time.monotonic()
    results = asyncio.run(run())
    elapsed = (time.monotonic() - started) * 1000 / max(1, len(texts))
    return results, elapsed


def score_model(model: Path, held_out: HeldOut) -> Score:
    from sklearn.metrics import f1_score

    texts = [example.text for example in held_out.examples]
    parsed, parse_ms = parse_all(model, texts)
    predicted = [full_intent(result) for result in parsed]
    expected = [example.intent for example in held_out.examples]
    correct = [p == e for p, e in zip(predicted, expected, strict=True)]
    by_language: dict[str, float] = {}
    for language in ("en", "es"):
        hits = [
            ok for ok, ex in zip(correct, held_out.examples, strict=True) if ex.language == language
        ]
        by_language[language] = sum(hits) / len(hits) if hits else float("nan")
    errors = [
        (ex, p) for ex, p, ok in zip(held_out.examples, predicted, correct, strict=True) if not ok
    ]
    return Score(
        accuracy=sum(correct) / max(1, len(correct)),
        macro_f1=float(f1_score(expected, predicted, average="macro", zero_division=0)),
        by_language=by_language,
        parse_ms=parse_ms,
        errors=errors,
    )
