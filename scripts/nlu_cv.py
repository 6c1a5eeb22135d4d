"""`make nlu-cv`: 3-fold cross-validation of the NLU on its training data (data/nlu).

The intent examples are split into stratified folds with a fixed seed, so two runs on the same
data use the same folds (`rasa test nlu --cross-validation` shuffles without one). For each
fold an NLU model is trained with config.yml on the other folds (regexes and lookup tables
kept) and evaluated on the fold with `rasa test nlu`; the predictions of the folds are pooled
and scored like `rasa test nlu` scores the held-out set (scikit-learn's report).

Prints the accuracy, the macro-F1, the weakest intents and the most frequent confusions, and
writes them to var/bench/nlu_cv.json with a fingerprint of the training data and configuration:
`scripts/bench.py` reports these figures, and runs the cross-validation again only when the
fingerprint no longer matches.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
RASA = str(PROJECT_DIR / ".venv" / "bin" / "rasa")
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
OUT = PROJECT_DIR / "var" / "bench" / "nlu_cv.json"
FOLDS = 3
SEED = 42


def fingerprint(data_dir: Path | None = None, config: Path | None = None) -> str:
    """SHA-256 of what the cross-validation depends on: config.yml, the NLU training files and
    the locked versions of Rasa and its dependencies."""
    digest = hashlib.sha256()
    for path in [config or PROJECT_DIR / "config.yml", PROJECT_DIR / "requirements.lock",
                 *sorted((data_dir or PROJECT_DIR / "data" / "nlu").glob("*.yml"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def run(command: list[str]) -> None:
    result = subprocess.run(command, cwd=PROJECT_DIR, env=ENV, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def write_folds(data_dir: Path, work: Path, folds: int, seed: int) -> list[tuple[Path, Path]]:
    """Writes each fold's training and test data as Rasa YAML; returns their paths."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    data = load_data(str(data_dir), language="fr")
    examples = data.intent_examples
    labels = [example.get_full_intent() for example in examples]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    paths = []
    for index, (train_index, test_index) in enumerate(splitter.split(examples, labels)):
        parts = []
        for name, indexes in (("train", train_index), ("test", test_index)):
            part = TrainingData(training_examples=[examples[i] for i in indexes],
                                entity_synonyms=data.entity_synonyms,
                                regex_features=data.regex_features,
                                lookup_tables=data.lookup_tables)
            path = work / f"fold{index}-{name}.yml"
            path.write_text(part.nlu_as_yaml(), encoding="utf-8")
            parts.append(path)
        paths.append((parts[0], parts[1]))
    return paths


def predictions(results_dir: Path) -> list[tuple[str, str, str]]:
    """(text, intent, predicted intent) of every example `rasa test nlu` evaluated."""
    rows = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = results_dir / name
        if path.exists():
            for item in json.loads(path.read_text()):
                predicted = (item.get("intent_prediction") or {}).get("name") or "None"
                rows.append((item["text"], item["intent"], predicted))
    return rows


def score(rows: list[tuple[str, str, str]]) -> dict:
    from sklearn.metrics import classification_report

    truth = [row[1] for row in rows]
    predicted = [row[2] for row in rows]
    report = classification_report(truth, predicted, output_dict=True, zero_division=0)
    per_intent = {name: round(values["f1-score"], 3) for name, values in report.items()
                  if isinstance(values, dict) and "avg" not in name}
    confusions = Counter((row[1], row[2]) for row in rows if row[1] != row[2])
    return {
        "examples": len(rows),
        "accuracy": round(report["accuracy"], 4),
        "macro_f1": round(report["macro avg"]["f1-score"], 4),
        "worst_intents": sorted(per_intent.items(), key=lambda item: item[1])[:5],
        "per_intent": dict(sorted(per_intent.items())),
        "confusions": [f"{true} -> {pred}: {count}" for (true, pred), count
                       in confusions.most_common(10)],
        "errors": sorted(f"{true} -> {pred}: {text}" for text, true, pred in rows if true != pred),
    }


def cross_validate(folds: int = FOLDS, seed: int = SEED, data_dir: Path | None = None,
                   config: Path | None = None) -> dict:
    data_dir = data_dir or PROJECT_DIR / "data" / "nlu"
    config = (config or PROJECT_DIR / "config.yml").resolve()
    data_fingerprint = fingerprint(data_dir, config)
    work = Path(tempfile.mkdtemp(prefix="npt-nlu-cv-"))
    started = time.perf_counter()
    try:
        rows: list[tuple[str, str, str]] = []
        for index, (train, test) in enumerate(write_folds(data_dir, work, folds, seed)):
            print(f"fold {index + 1}/{folds}: training...", flush=True)
            models = work / f"models{index}"
            run([RASA, "train", "nlu", "--nlu", str(train), "--config", str(config),
                 "--out", str(models), "--fixed-model-name", "fold"])
            print(f"fold {index + 1}/{folds}: evaluating...", flush=True)
            out = work / f"results{index}"
            run([RASA, "test", "nlu", "--model", str(models / "fold.tar.gz"), "--nlu", str(test),
                 "--out", str(out), "--successes", "--no-plot"])
            rows += predictions(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {"folds": folds, "seed": seed, "fingerprint": data_fingerprint, **score(rows),
              "duration_s": round(time.perf_counter() - started, 1)}
    return result


def write(result: dict, out: Path = OUT) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))


def current_or_run() -> dict:
    """The figures of var/bench/nlu_cv.json when they were measured on the present training data
    and configuration with the default folds and seed; otherwise a new cross-validation."""
    try:
        result = json.loads(OUT.read_text())
        if (result.get("fingerprint") == fingerprint() and result.get("folds") == FOLDS
                and result.get("seed") == SEED):
            return result
    except (OSError, ValueError):
        pass
    result = cross_validate()
    write(result)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--config", type=Path, default=PROJECT_DIR / "config.yml",
                        help="another pipeline to compare (its figures go to --out)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    result = cross_validate(args.folds, args.seed, config=args.config)
    write(result, args.out)
    print(f"\nNLU {result['folds']}-fold cross-validation ({result['examples']} examples, "
          f"seed {result['seed']}): accuracy {result['accuracy']:.3f}, "
          f"macro-F1 {result['macro_f1']:.3f}")
    print(f"weakest: {result['worst_intents']}")
    print("confusions: " + ("; ".join(result["confusions"]) or "none"))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
