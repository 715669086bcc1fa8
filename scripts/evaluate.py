"""`make eval`: how well the trained model understands questions it has never seen.

Measures, in-process with the trained model (rasa's Agent, no server):
- in-domain intent accuracy and macro-F1 on the held-out questions in tests/nlu/ (English and
  Spanish, never used in training: the script refuses to run if one is a training example);
- out-of-scope handling on the CLINC150 validation split: per tier, the share of messages that end
  in the out-of-scope answer or the fallback (recall) and the share answered as if they were a
  USCIS question (false accepts: a knowledge topic, case status or account help);
- the FallbackClassifier thresholds in config.yml, and a sweep over other values of the two
  thresholds computed from the same predictions, which is the evidence for the values chosen;
- a confusion matrix and a confidence histogram as PNG images.

Writes results/eval/{metrics.json,sweep.csv,report.md,confusion_matrix.png,confidence.png}.
Exit code 1 when a target is missed (in-domain accuracy 95%, out-of-scope recall 90%,
hard-negative false accepts 5%).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
import sys
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.check_content import all_examples, normalise  # noqa: E402
from scripts.nlu_data import Example, load_held_out  # noqa: E402

CLINC_VAL = ROOT.parent / "shared" / "benchmarks" / "clinc150" / "val.csv"
OUT_DIR = ROOT / "results" / "eval"
FALLBACK = "nlu_fallback"
REJECTED = {FALLBACK, "out_of_scope"}
USCIS_INTENTS = {"check_case_status", "account_help"}  # plus every faq/<topic>
TARGETS = {"in_domain_accuracy": 0.95, "oos_recall": 0.90, "hard_negative_false_accepts": 0.05}
OOS_TIERS = ("C_meta_ambiguous", "D_hard_negative", "D_other_domain", "D_oos")
SWEEP_THRESHOLDS = [round(0.30 + 0.05 * i, 2) for i in range(13)]  # 0.30 .. 0.90
SWEEP_AMBIGUITY = [0.0, 0.05, 0.1, 0.15, 0.2]
RASA_DEFAULT_AMBIGUITY = 0.1


@dataclass
class Prediction:
    """One parsed message, before the fallback decision: the top two intents and confidences."""

    top: str  # full intent, e.g. "faq/fees"
    confidence: float
    second_confidence: float
    text: str = ""

    def label(self, threshold: float, ambiguity: float) -> str:
        """What the assistant does with these fallback thresholds."""
        if self.confidence < threshold or self.confidence - self.second_confidence < ambiguity:
            return FALLBACK
        return self.top


def is_uscis(label: str) -> bool:
    return label.startswith("faq/") or label in USCIS_INTENTS


def to_prediction(parsed: dict[str, Any]) -> Prediction:
    """Undo the FallbackClassifier: it only puts nlu_fallback on top of the real ranking."""
    text = str(parsed.get("text") or "")
    ranking = [r for r in parsed.get("intent_ranking") or [] if r.get("name") != FALLBACK]
    if not ranking:
        return Prediction(FALLBACK, 0.0, 0.0, text)
    name = ranking[0]["name"]
    if name == "faq":
        selector = (parsed.get("response_selector") or {}).get("faq") or {}
        name = (selector.get("response") or {}).get("intent_response_key") or name
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    return Prediction(name, float(ranking[0]["confidence"]), float(second), text)


def configured_thresholds(config_path: Path = ROOT / "config.yml") -> tuple[float, float]:
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    for step in config.get("pipeline") or []:
        if step.get("name") == "FallbackClassifier":
            return float(step.get("threshold", 0.3)), float(step.get("ambiguity_threshold", 0.1))
    raise SystemExit("config.yml has no FallbackClassifier")


def quiet_rasa() -> None:
    """Rasa and TensorFlow log every parsed message at debug level; only errors matter here."""
    os.environ["LOG_LEVEL"] = "ERROR"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore")
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.ERROR)
    configure_structlog(logging.ERROR)
    logging.getLogger().setLevel(logging.ERROR)


def parse_texts(model: Path, texts: list[str]) -> list[Prediction]:
    quiet_rasa()
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def run() -> list[dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return [to_prediction(parsed) for parsed in asyncio.run(run())]


def macro_f1(expected: list[str], predicted: list[str]) -> float:
    from sklearn.metrics import f1_score

    labels = sorted(set(expected))
    return float(f1_score(expected, predicted, labels=labels, average="macro", zero_division=0))


def score(
    in_domain: list[tuple[str, str, Prediction]],
    clinc: list[tuple[str, str, Prediction]],
    threshold: float,
    ambiguity: float,
) -> dict[str, Any]:
    """Every figure for one pair of thresholds."""
    expected = [intent for intent, _, _ in in_domain]
    predicted = [p.label(threshold, ambiguity) for _, _, p in in_domain]
    correct = [e == p for e, p in zip(expected, predicted, strict=True)]
    by_language = {}
    for language in ("en", "es"):
        hits = [ok for ok, (_, lang, _) in zip(correct, in_domain, strict=True) if lang == language]
        by_language[language] = sum(hits) / len(hits) if hits else None
    tiers: dict[str, dict[str, float]] = {}
    for tier in sorted({tier for _, tier, _ in clinc}):
        rows = [(want, p.label(threshold, ambiguity)) for want, t, p in clinc if t == tier]
        tiers[tier] = {
            "n": len(rows),
            "rejected": sum(label in REJECTED for _, label in rows) / len(rows),
            "false_accepts": sum(is_uscis(label) for _, label in rows) / len(rows),
            "matches_bot_intent": sum(label == want for want, label in rows) / len(rows),
        }
    oos_rows = [p.label(threshold, ambiguity) for _, t, p in clinc if t in OOS_TIERS]
    return {
        "threshold": threshold,
        "ambiguity_threshold": ambiguity,
        "in_domain_n": len(in_domain),
        "in_domain_accuracy": sum(correct) / len(correct),
        "in_domain_macro_f1": macro_f1(expected, predicted),
        "in_domain_by_language": by_language,
        "in_domain_fallbacks": predicted.count(FALLBACK) / len(predicted),
        "oos_recall": sum(label in REJECTED for label in oos_rows) / max(1, len(oos_rows)),
        "oos_false_accepts": sum(is_uscis(label) for label in oos_rows) / max(1, len(oos_rows)),
        "hard_negative_false_accepts": tiers.get("D_hard_negative", {}).get("false_accepts", 0.0),
        "tiers": tiers,
        "errors": [
            {"text": prediction.text, "expected": e, "predicted": p}
            for (e, _, prediction), p in zip(in_domain, predicted, strict=True)
            if e != p
        ],
    }


def accuracy_by_set(
    held_out: list[Example],
    in_domain: list[tuple[str, str, Prediction]],
    threshold: float,
    ambiguity: float,
) -> dict[str, float]:
    """In-domain accuracy of each held-out file: a set written later, blind, is reported alone."""
    hits: dict[str, list[bool]] = {}
    for example, (_, _, prediction) in zip(held_out, in_domain, strict=True):
        label = prediction.label(threshold, ambiguity)
        hits.setdefault(example.source, []).append(label == example.intent)
    return {source: sum(oks) / len(oks) for source, oks in sorted(hits.items())}


def meets_targets(figures: dict[str, Any]) -> dict[str, bool]:
    return {
        "in_domain_accuracy": figures["in_domain_accuracy"] >= TARGETS["in_domain_accuracy"],
        "oos_recall": figures["oos_recall"] >= TARGETS["oos_recall"],
        "hard_negative_false_accepts": figures["hard_negative_false_accepts"]
        <= TARGETS["hard_negative_false_accepts"],
    }


def sweep(in_domain: list, clinc: list) -> list[dict[str, Any]]:
    rows = []
    for threshold in SWEEP_THRESHOLDS:
        for ambiguity in SWEEP_AMBIGUITY:
            figures = score(in_domain, clinc, threshold, ambiguity)
            figures.pop("errors")
            rows.append(figures)
    return rows


def best_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The thresholds to use: meeting every target first, then the most in-domain questions
    answered right (a fallback never helps a visitor whose question was understood), then the
    highest out-of-scope recall, the fewest in-domain fallbacks; ties keep Rasa's default
    ambiguity threshold."""
    return max(
        rows,
        key=lambda r: (
            all(meets_targets(r).values()),
            round(r["in_domain_accuracy"], 4),
            round(r["oos_recall"], 4),
            -round(r["in_domain_fallbacks"], 4),
            -abs(r["ambiguity_threshold"] - RASA_DEFAULT_AMBIGUITY),
        ),
    )


def plot_confusion(in_domain: list, threshold: float, ambiguity: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    expected = [intent for intent, _, _ in in_domain]
    predicted = [p.label(threshold, ambiguity) for _, _, p in in_domain]
    labels = sorted(set(expected) | set(predicted))
    matrix = confusion_matrix(expected, predicted, labels=labels)
    size = max(8, len(labels) * 0.28)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    short = [label.removeprefix("faq/") for label in labels]
    ax.set_xticks(range(len(labels)), short, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), short, fontsize=7)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                color = "white" if i == j else "red"
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=6, color=color)
    ax.set_xlabel("predicted")
    ax.set_ylabel("expected")
    ax.set_title(f"Held-out questions (threshold {threshold}, ambiguity {ambiguity})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confidence(in_domain: list, clinc: list, threshold: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    correct = [p.confidence for want, _, p in in_domain if p.top == want]
    wrong = [p.confidence for want, _, p in in_domain if p.top != want]
    negatives = [
        p.confidence for _, tier, p in clinc if tier in OOS_TIERS and p.top != "out_of_scope"
    ]
    fig, ax = plt.subplots(figsize=(9, 5))
    bins = [i / 40 for i in range(41)]
    ax.hist(correct, bins=bins, alpha=0.6, label=f"held-out, right intent ({len(correct)})")
    ax.hist(wrong, bins=bins, alpha=0.8, label=f"held-out, wrong intent ({len(wrong)})")
    ax.hist(
        negatives,
        bins=bins,
        alpha=0.5,
        label=f"CLINC out-of-scope, not out_of_scope ({len(negatives)})",
    )
    ax.axvline(threshold, color="black", linestyle="--", label=f"fallback threshold {threshold}")
    ax.set_yscale("log")
    ax.set_xlabel("top intent confidence (before the fallback)")
    ax.set_ylabel("messages")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def training_texts() -> set[str]:
    return {normalise(example.text) for example in all_examples((ROOT / "data").rglob("*.yml"))}


def report(current: dict[str, Any], best: dict[str, Any], model: Path) -> str:
    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.1f}%"

    lines = [
        f"Model: {model}",
        f"Fallback thresholds (config.yml): threshold {current['threshold']}, "
        f"ambiguity_threshold {current['ambiguity_threshold']}",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| in-domain accuracy ({current['in_domain_n']} held-out questions) "
        f"| {pct(current['in_domain_accuracy'])} | >= 95% |",
        f"| in-domain macro-F1 | {current['in_domain_macro_f1']:.3f} | |",
        f"| in-domain accuracy, English | {pct(current['in_domain_by_language']['en'])} | |",
        f"| in-domain accuracy, Spanish | {pct(current['in_domain_by_language']['es'])} | |",
        f"| in-domain questions sent to the fallback | {pct(current['in_domain_fallbacks'])} | |",
        *(
            f"| in-domain accuracy, {source} | {pct(value)} | |"
            for source, value in current.get("in_domain_by_set", {}).items()
        ),
        f"| out-of-scope recall (CLINC val, tiers C+D) | {pct(current['oos_recall'])} | >= 90% |",
        f"| out-of-scope false accepts (tiers C+D) | {pct(current['oos_false_accepts'])} | |",
        f"| hard-negative false accepts | {pct(current['hard_negative_false_accepts'])} | <= 5% |",
        "",
        "| CLINC tier | rows | out-of-scope or fallback | answered as a USCIS question "
        "| intent = suggested bot_intent |",
        "|---|---|---|---|---|",
    ]
    for tier, figures in current["tiers"].items():
        lines.append(
            f"| {tier} | {figures['n']} | {pct(figures['rejected'])} "
            f"| {pct(figures['false_accepts'])} | {pct(figures['matches_bot_intent'])} |"
        )
    lines += [
        "",
        f"Best thresholds in the sweep: threshold {best['threshold']}, ambiguity_threshold "
        f"{best['ambiguity_threshold']} (in-domain {pct(best['in_domain_accuracy'])}, "
        f"out-of-scope recall {pct(best['oos_recall'])}, hard-negative false accepts "
        f"{pct(best['hard_negative_false_accepts'])}). Full sweep: sweep.csv.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate the trained model (make eval).")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "current.tar.gz")
    parser.add_argument("--clinc", type=Path, default=CLINC_VAL)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)

    held_out = load_held_out().examples
    leaked = [ex.text for ex in held_out if normalise(ex.text) in training_texts()]
    if leaked:
        print("These held-out questions are also training examples; remove them from one side:")
        print("\n".join(f"  {text}" for text in leaked))
        return 1
    with args.clinc.open(encoding="utf-8") as handle:
        clinc_rows = list(csv.DictReader(handle))
    texts = [ex.text for ex in held_out] + [row["text"] for row in clinc_rows]
    print(f"Parsing {len(texts)} messages with {args.model} ...", flush=True)
    predictions = parse_texts(args.model, texts)
    in_domain = [
        (ex.intent, ex.language, p)
        for ex, p in zip(held_out, predictions[: len(held_out)], strict=True)
    ]
    clinc = [
        (row["bot_intent"], row["tier"], p)
        for row, p in zip(clinc_rows, predictions[len(held_out) :], strict=True)
    ]

    threshold, ambiguity = configured_thresholds()
    current = score(in_domain, clinc, threshold, ambiguity)
    current["in_domain_by_set"] = accuracy_by_set(held_out, in_domain, threshold, ambiguity)
    rows = sweep(in_domain, clinc)
    best = best_of(rows)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(json.dumps(current, indent=2), encoding="utf-8")
    with (args.out / "sweep.csv").open("w", newline="", encoding="utf-8") as handle:
        fields = [
            "threshold", "ambiguity_threshold", "in_domain_accuracy", "in_domain_macro_f1",
            "in_domain_fallbacks", "oos_recall", "oos_false_accepts",
            "hard_negative_false_accepts",
        ]  # fmt: skip
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(
            {k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for r in rows
        )
    plot_confusion(in_domain, threshold, ambiguity, args.out / "confusion_matrix.png")
    plot_confidence(in_domain, clinc, threshold, args.out / "confidence.png")
    text = report(current, best, args.model)
    (args.out / "report.md").write_text(text, encoding="utf-8")
    print(text)
    misses = Counter(f"{e['expected']} -> {e['predicted']}" for e in current["errors"])
    if misses:
        print("Held-out errors:")
        for error in current["errors"]:
            print(f"  {error['text']!r}: expected {error['expected']}, got {error['predicted']}")
        print(
            "Most frequent confusions:", ", ".join(f"{k} ({n})" for k, n in misses.most_common(5))
        )
    print(f"Figures and tables in {args.out}")
    missed = [name for name, ok in meets_targets(current).items() if not ok]
    if missed:
        print("Targets missed: " + ", ".join(missed))
        return 1
    print("All targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
