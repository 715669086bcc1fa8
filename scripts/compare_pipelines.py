"""Compare NLU pipelines on the held-out questions in tests/nlu/ and print a table.

Candidates (the same SecretGuard and FallbackClassifier after each):
  linear      the pipeline in config.yml: one calibrated linear SVM over TF-IDF word and letter
              n-grams for intents and topics (addons/linear_classifier.py)
  diet        whitespace tokens, word and character count vectors, DIETClassifier and the FAQ
              ResponseSelector (the pipeline used before 2026-11-25, as it was then)
  diet-spacy  the same with a blank spaCy pipeline built here, whose lookup lemmatizer knows
              English and Spanish lemmas (spacy-lookups-data); no pretrained model is downloaded

Usage: python -m scripts.compare_pipelines [--only NAME ...] [--epochs N]. Results go into
docs/nlu-pipeline.md by hand, with the date and the data they were measured on.
"""

from __future__ import annotations

import argparse
import copy
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

from scripts.nlu_data import ROOT, HeldOut, load_held_out, score_model

SPACY_PIPELINE_DIR = ROOT / "var" / "spacy" / "en_es_lookup"


def build_spacy_pipeline(target: Path = SPACY_PIPELINE_DIR) -> Path:
    """A blank English pipeline with a lemma lookup table for English and Spanish words."""
    import spacy
    from spacy.lookups import load_lookups

    nlp = spacy.blank("en")
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    table = lemmatizer.lookups.get_table("lemma_lookup")
    spanish = load_lookups("es", ["lemma_lookup"]).get_table("lemma_lookup")
    for key, value in spanish.items():
        if key not in table:  # English keeps its lemma where both languages spell a word alike
            table[key] = value
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    return target


# The DIET pipeline as config.yml had it until 2026-11-25 (docs/nlu-pipeline.md).
DIET_PIPELINE: list[dict] = [
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {
        "name": "DIETClassifier",
        "epochs": 60,
        "number_of_transformer_layers": 0,
        "constrain_similarities": True,
        "entity_recognition": False,
    },
    {
        "name": "ResponseSelector",
        "retrieval_intent": "faq",
        "epochs": 100,
        "dense_dimension": {"text": 128, "label": 20},
        "concat_dimension": {"text": 128, "label": 20},
        "constrain_similarities": True,
    },
]
CLASSIFIERS = {"addons.linear_classifier.LinearIntentClassifier"}


def candidate_configs() -> dict[str, dict]:
    base = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    # What every candidate shares: the steps after the classifier (SecretGuard, fallback).
    after = [step for step in base["pipeline"] if step["name"] not in CLASSIFIERS]
    diet = {**copy.deepcopy(base), "pipeline": [*copy.deepcopy(DIET_PIPELINE), *after]}
    spacy_steps = [
        {"name": "SpacyNLP", "model": str(SPACY_PIPELINE_DIR), "case_sensitive": False},
        {"name": "SpacyTokenizer"},
        *copy.deepcopy(DIET_PIPELINE[1:]),
    ]
    diet_spacy = {**copy.deepcopy(base), "pipeline": [*spacy_steps, *after]}
    return {"linear": copy.deepcopy(base), "diet": diet, "diet-spacy": diet_spacy}


def with_epochs(config: dict, epochs: int | None) -> dict:
    if epochs is None:
        return config
    for step in config["pipeline"]:
        if step["name"] in ("DIETClassifier", "ResponseSelector"):
            step["epochs"] = epochs
    return config


def snapshot_training_data(workdir: Path) -> Path:
    """Copy data/ and domain.yml, so every candidate trains on exactly the same files."""
    snapshot = workdir / "snapshot"
    shutil.copytree(ROOT / "data", snapshot / "data")
    shutil.copy(ROOT / "domain.yml", snapshot / "domain.yml")
    return snapshot


def train_nlu(config: dict, workdir: Path, name: str) -> tuple[Path, float]:
    from rasa.model_training import train_nlu as rasa_train_nlu

    config_path = workdir / f"{name}-config.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    started = time.monotonic()
    model = rasa_train_nlu(
        config=str(config_path),
        nlu_data=str(workdir / "snapshot" / "data"),
        output=str(workdir / "models"),
        fixed_model_name=name,
        domain=str(workdir / "snapshot" / "domain.yml"),
    )
    if model is None:
        raise RuntimeError(f"training the {name} pipeline failed")
    return Path(model), time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description="Compare NLU pipelines on held-out questions.")
    parser.add_argument("--epochs", type=int, default=None, help="override DIET/selector epochs")
    parser.add_argument("--only", nargs="+", help="candidates to run (default: all)")
    args = parser.parse_args()
    logging.getLogger("rasa").setLevel(logging.ERROR)
    held_out: HeldOut = load_held_out()
    candidates = candidate_configs()
    if args.only:
        candidates = {name: candidates[name] for name in args.only}
    if "diet-spacy" in candidates:
        build_spacy_pipeline()
    workdir = Path(tempfile.mkdtemp(prefix="compare-pipelines-"))
    snapshot_training_data(workdir)
    rows = []
    for name, config in candidates.items():
        model, seconds = train_nlu(with_epochs(config, args.epochs), workdir, name)
        score = score_model(model, held_out)
        rows.append((name, score, seconds))
        print(f"{name}: {score.summary()} training {seconds:.0f}s", flush=True)
    print(f"\nHeld-out questions: {len(held_out.examples)} ({held_out.describe()})\n")
    print("| pipeline | accuracy | macro-F1 | English | Spanish | training s | parse ms |")
    print("|---|---|---|---|---|---|---|")
    for name, score, seconds in rows:
        english, spanish = score.by_language["en"], score.by_language["es"]
        print(
            f"| {name} | {score.accuracy:.3f} | {score.macro_f1:.3f} | {english:.3f}"
            f" | {spanish:.3f} | {seconds:.0f} | {score.parse_ms:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
