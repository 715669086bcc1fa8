"""Content checks for the knowledge topics, beyond what `rasa data validate` knows.

Content staff edit data/topics/*.yml by hand; this catches the mistakes that would still train:
a missing language, too few examples, the same question filed under two intents, a link to a
non-official site, an answer too long for a chat bubble, personal data pasted into an example,
a follow-up button whose text the assistant would not understand.

Usage: python scripts/check_content.py [--topics DIR] [--data DIR]
Exit code 0 when everything is fine, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from privacy.redact import A_NUMBER_RE, RECEIPT_RE, SSN_RE  # noqa: E402

MIN_EXAMPLES = {"en": 12, "es": 6}
MAX_ANSWER_CHARS = 600
MAX_BUTTON_TITLE_CHARS = 40
# Two examples of different intents whose word sets overlap this much are "nearly the same".
NEAR_DUPLICATE_JACCARD = 0.8
# Official domains an answer may link to (a link to a subdomain of one of them is fine too).
ALLOWED_DOMAINS = (
    "uscis.gov",
    "e-verify.gov",
    "dhs.gov",
    "justice.gov",
    "state.gov",
    "usa.gov",
    "cbp.gov",
)
LINK_RE = re.compile(r"\b(?:https?://|www\.)[^\s\"'<>()]+", re.IGNORECASE)
PERSONAL_DATA = {"a receipt number": RECEIPT_RE, "an A-number": A_NUMBER_RE, "an SSN": SSN_RE}


@dataclass
class Example:
    text: str
    intent: str
    path: Path


@dataclass
class Topic:
    path: Path
    content: dict
    examples: dict[str, list[str]] = field(default_factory=dict)  # language -> examples


def example_lines(block_text: str | None) -> list[str]:
    """The `- example` lines of an NLU examples block."""
    return [
        line.strip()[2:].strip()
        for line in (block_text or "").splitlines()
        if line.strip().startswith("- ")
    ]


def normalise(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: how near-duplicates are compared."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def links_in(text: str) -> list[str]:
    return [link.rstrip(".,;:!?") for link in LINK_RE.findall(text)]


def link_problem(link: str) -> str | None:
    """Why a link is not acceptable, or None."""
    if not link.lower().startswith("https://"):
        return f"link {link} must start with https://"
    host = (urlparse(link).hostname or "").lower()
    if not any(host == domain or host.endswith("." + domain) for domain in ALLOWED_DOMAINS):
        return f"link {link} is not on an official domain ({', '.join(ALLOWED_DOMAINS)})"
    return None


def load_yaml(path: Path) -> tuple[dict, str | None]:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}, None
    except yaml.YAMLError as error:
        return {}, f"{path}: not valid YAML: {str(error).splitlines()[0]}"


def all_examples(paths: Iterable[Path]) -> list[Example]:
    """Every training example of every intent in the given files."""
    found: list[Example] = []
    for path in paths:
        content, error = load_yaml(path)
        if error:
            continue
        for block in content.get("nlu") or []:
            if isinstance(block, dict) and block.get("intent"):
                found += [
                    Example(t, block["intent"], path) for t in example_lines(block.get("examples"))
                ]
    return found


def check_examples_block(path: Path, block: dict, topic: Topic) -> list[str]:
    problems: list[str] = []
    metadata = block.get("metadata") or {}
    language = metadata.get("language")
    if language not in MIN_EXAMPLES:
        return [
            f"{path}: an examples block of {block.get('intent')} needs metadata language en or es"
        ]
    if not str(metadata.get("title") or "").strip():
        problems.append(f"{path}: the {language} examples need a metadata title")
    lines = example_lines(block.get("examples"))
    topic.examples.setdefault(language, []).extend(lines)
    for line in lines:
        for what, pattern in PERSONAL_DATA.items():
            if pattern.search(line):
                problems.append(
                    f"{path}: example '{line}' contains {what}: use a made-up placeholder"
                )
    return problems


def check_answer(path: Path, label: str, variation: dict, known: set[str]) -> list[str]:
    problems: list[str] = []
    text = str(variation.get("text") or "")
    if not text.strip():
        return [f"{path}: the {label} answer has no text"]
    if len(text) > MAX_ANSWER_CHARS:
        problems.append(
            f"{path}: the {label} answer is {len(text)} characters; keep it to {MAX_ANSWER_CHARS}"
        )
    links = links_in(text)
    if not links:
        problems.append(f"{path}: the {label} answer has no link to the official page or tool")
    problems += [f"{path}: the {label} answer: {p}" for p in map(link_problem, links) if p]
    for button in variation.get("buttons") or []:
        title, payload = str(button.get("title") or ""), str(button.get("payload") or "")
        if not title or len(title) > MAX_BUTTON_TITLE_CHARS:
            problems.append(
                f"{path}: {label} button '{title}' needs a title of 1 to "
                f"{MAX_BUTTON_TITLE_CHARS} characters"
            )
        if not payload.startswith("/") and normalise(payload) not in known:
            problems.append(
                f"{path}: {label} button payload '{payload}' is not a training example of any "
                "intent, so the assistant may not understand it"
            )
    return problems


def check_topic(path: Path, known: set[str]) -> list[str]:
    """Every problem of one topic file."""
    content, error = load_yaml(path)
    if error:
        return [error]
    topic = Topic(path, content)
    problems: list[str] = []
    blocks = [b for b in content.get("nlu") or [] if isinstance(b, dict) and b.get("intent")]
    intents = {block["intent"] for block in blocks}
    expected = f"faq/{path.stem}"
    if intents != {expected}:
        problems.append(
            f"{path}: a topic file holds one intent named after the file, {expected}; "
            f"found {sorted(intents) or 'none'}"
        )
    for block in blocks:
        problems += check_examples_block(path, block, topic)
    names = {"en": "English", "es": "Spanish"}
    for language, minimum in MIN_EXAMPLES.items():
        count = len(topic.examples.get(language, []))
        if count < minimum:
            problems.append(
                f"{path}: {count} {names[language]} examples; at least {minimum} are needed"
            )
    responses = content.get("responses") or {}
    variations = responses.get(f"utter_{expected}")
    if not variations:
        return problems + [f"{path}: no answer: add responses: utter_{expected}"]
    english = [v for v in variations if not v.get("condition")]
    spanish = [
        v
        for v in variations
        if any(
            c.get("name") == "language" and c.get("value") == "es" for c in v.get("condition") or []
        )
    ]
    if not english:
        problems.append(f"{path}: no English answer (a variation without a condition)")
    if not spanish:
        problems.append(f"{path}: no Spanish answer (a variation with condition language es)")
    for label, found in (("English", english), ("Spanish", spanish)):
        for variation in found:
            problems += check_answer(path, label, variation, known)
    if english and spanish:
        en_buttons = len(english[0].get("buttons") or [])
        es_buttons = len(spanish[0].get("buttons") or [])
        if en_buttons != es_buttons:
            problems.append(
                f"{path}: the English answer has {en_buttons} buttons, the Spanish {es_buttons}"
            )
    return problems


def check_duplicates(examples: list[Example], checked: set[Path]) -> list[str]:
    """The same or nearly the same example under two intents (at least one in `checked`)."""
    problems: list[str] = []
    prepared = [(example, normalise(example.text)) for example in examples]
    prepared = [(example, norm, set(norm.split())) for example, norm in prepared]
    seen_in_intent: dict[tuple[str, str], Example] = {}
    for example, _, _ in prepared:
        exact = " ".join(example.text.lower().split())
        first = seen_in_intent.setdefault((example.intent, exact), example)
        if first is not example and example.path in checked:
            problems.append(f"{example.path}: '{example.text}' is listed twice in {example.intent}")
    for i, (a, norm_a, words_a) in enumerate(prepared):
        for b, norm_b, words_b in prepared[i + 1 :]:
            if a.intent == b.intent or not ({a.path, b.path} & checked):
                continue
            if norm_a == norm_b:
                problems.append(
                    f"{a.path}: '{a.text}' ({a.intent}) duplicates '{b.text}' ({b.intent}) "
                    f"in {b.path}"
                )
                continue
            smaller, larger = sorted((len(words_a), len(words_b)))
            if not smaller or smaller / larger < NEAR_DUPLICATE_JACCARD:
                continue
            overlap = len(words_a & words_b) / len(words_a | words_b)
            if overlap >= NEAR_DUPLICATE_JACCARD:
                problems.append(
                    f"{a.path}: '{a.text}' ({a.intent}) nearly duplicates '{b.text}' "
                    f"({b.intent}) in {b.path}: reword one or move it"
                )
    return problems


def run_checks(topics_dir: Path, data_dir: Path) -> tuple[list[str], int]:
    """All problems, and the number of topic files checked."""
    topic_paths = sorted(topics_dir.glob("*.yml"))
    data_paths = sorted(set(data_dir.rglob("*.yml")) | set(topic_paths))
    examples = all_examples(data_paths)
    known = {normalise(example.text) for example in examples}
    problems: list[str] = []
    if not topic_paths:
        problems.append(f"{topics_dir}: no topic files")
    for path in topic_paths:
        problems += check_topic(path, known)
    # Duplicates are looked for wherever knowledge content is involved: topics and out-of-scope.
    checked = set(topic_paths) | set((data_dir / "out_of_scope").rglob("*.yml"))
    problems += check_duplicates(examples, checked=checked)
    return problems, len(topic_paths)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", type=Path, default=ROOT / "data" / "topics")
    parser.add_argument(
        "--data", type=Path, default=ROOT / "data", help="all training data, for duplicates"
    )
    args = parser.parse_args(argv)
    problems, count = run_checks(args.topics, args.data)
    for problem in problems:
        print(problem)
    if problems:
        print(f"check-content: {len(problems)} problem(s) in {count} topic file(s)")
        return 1
    print(f"check-content: {count} topics OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
