"""Titles and sample questions of the knowledge topics, read from their files in data/topics/.

Each topic file carries `metadata: {language, title}` on its example blocks; the fallback uses the
title to ask "did you mean ...?" and resends a known example when the visitor says yes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

TOPICS_DIR = Path(__file__).resolve().parent.parent / "data" / "topics"


@dataclass(frozen=True)
class TopicLabel:
    title: str
    example: str


def _first_example(examples: str) -> str:
    for line in examples.splitlines():
        line = line.strip()
        if line.startswith("- "):
            return line[2:].strip()
    return ""


@lru_cache(maxsize=1)
def topic_labels(directory: Path = TOPICS_DIR) -> dict[tuple[str, str], TopicLabel]:
    """Map (retrieval intent, language) to the topic's title and first example."""
    labels: dict[tuple[str, str], TopicLabel] = {}
    for path in sorted(directory.glob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in content.get("nlu", []):
            metadata = block.get("metadata") or {}
            intent, language = block.get("intent"), metadata.get("language")
            if intent and language and metadata.get("title"):
                labels[(intent, language)] = TopicLabel(
                    title=metadata["title"], example=_first_example(block.get("examples", ""))
                )
    return labels
