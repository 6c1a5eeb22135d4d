"""The Rasa training data is valid and the dialogue follows the test stories.

Both tests run the Rasa command line as a subprocess, like `make test` would by hand. The
dialogue test needs the trained model `models/npt.tar.gz` (the Makefile trains it first).
`data/` also holds non-Rasa YAML (diagnostic grid, messages), so only `data/nlu` and
`data/rules` are passed to Rasa.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
RASA = Path(sys.executable).with_name("rasa")
MODEL = PROJECT_DIR / "models" / "npt.tar.gz"
TEST_STORIES = PROJECT_DIR / "tests" / "stories"
TRAINING_DATA = ["data/nlu", "data/rules"]
TIMEOUT = 900  # seconds; loading TensorFlow and the model takes a while


def run_rasa(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run(
        [str(RASA), *args],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT,
    )


def story_names() -> list[str]:
    names = []
    for path in sorted(TEST_STORIES.glob("test_*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names += [story["story"] for story in content.get("stories") or []]
    return names


def test_training_data_is_valid_without_warnings():
    result = run_rasa(
        "data", "validate",
        "--data", *TRAINING_DATA,
        "--domain", "domain.yml",
        "--config", "config.yml",
        "--fail-on-warnings",
    )
    print(result.stdout)
    assert result.returncode == 0, f"rasa data validate failed:\n{result.stdout}"


def test_dialogue_follows_the_test_stories(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    names = story_names()
    assert names, f"no test stories in {TEST_STORIES}"
    assert len(names) == len(set(names)), "two test stories have the same name"
    out = tmp_path / "rasa-test-results"

    result = run_rasa(
        "test", "core",
        "--model", str(MODEL),
        "--stories", str(TEST_STORIES),
        "--fail-on-prediction-errors",
        "--out", str(out),
    )
    print(result.stdout)
    # With --fail-on-prediction-errors the first wrong action stops Rasa with exit code 1 and
    # prints the failed story ("WrongPredictionException: Model predicted a wrong action").
    assert result.returncode == 0, f"rasa test core failed:\n{result.stdout}"

    # Rasa 3.6 writes failed_test_stories.yml even when all is well: then it only holds the
    # comment "# None of the test stories failed - all good!".
    failed_file = out / "failed_test_stories.yml"
    assert failed_file.exists(), f"rasa test core wrote no {failed_file.name}"
    failed = yaml.safe_load(failed_file.read_text(encoding="utf-8")) or {}
    failed_stories = failed.get("stories") or []
    assert not failed_stories, (
        f"{len(failed_stories)} test stories failed:\n{failed_file.read_text(encoding='utf-8')}"
    )

    # Every story was evaluated (identical stories would be merged into one) and all passed.
    report = json.loads((out / "story_report.json").read_text(encoding="utf-8"))
    conversations = report["conversation_accuracy"]
    assert conversations["total"] == len(names), (
        f"{len(names)} test stories written, {conversations['total']} evaluated: "
        "are two stories identical?"
    )
    assert conversations["correct"] == conversations["total"], conversations
