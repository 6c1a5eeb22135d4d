"""Where Rasa's CPU goes under load: py-spy samples the Rasa server while the bench's heaviest
level runs, and the samples become a table of the largest costs (`make bench` writes it to
var/bench/profile.md and its figures to bench.json under `profile`).

Shares are of the samples where a Rasa thread held the GIL (py-spy `--gil`: Python running):
"inclusive" counts a sample for every function on its stack (what the function and all it calls
cost), "self" only for the innermost one. Frames found in nearly every sample (the event loop,
the server's entry points) say nothing and are left out of the inclusive table.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT_SHARE = 0.95  # frames on at least this share of the samples are the server's roots
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy() -> str | None:
    found = Path(sys.executable).with_name("py-spy")
    return str(found) if found.exists() else shutil.which("py-spy")


def start(pid: int, out: Path, rate: int = 100) -> subprocess.Popen | None:
    """Sample `pid` until `stop`; None when py-spy is not there."""
    binary = py_spy()
    if binary is None:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    # --gil: only the thread holding the GIL, i.e. Python really running (a thread pool's
    # idle workers waiting on their queue would otherwise count as busy).
    return subprocess.Popen([binary, "record", "--pid", str(pid), "--rate", str(rate),
                             "--format", "raw", "--output", str(out), "--nonblocking",
                             "--gil"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop(process: subprocess.Popen | None, timeout: float = 60) -> str:
    """End the sampling (py-spy writes its file on SIGINT); its error output, if any."""
    if process is None:
        return "py-spy is not installed"
    process.send_signal(2)
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return (err or b"").decode(errors="replace").strip()[-500:]


def where(frame: str) -> str:
    """"validate (jsonschema/validators.py:1120)" -> "jsonschema/validators.py: validate"."""
    found = _FRAME.match(frame.strip())
    if not found:
        return frame.strip()
    path = found.group("file")
    for marker in ("site-packages/", "/work/", "python3.10/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}: {found.group('function')}"


# What a sample is spent on: the first of these with a frame on the sample's stack (in this
# order, so that a tracker read by a policy counts as the policy's). The channel's entry frames
# below are on every turn's stack, so they do not make a sample "our code".
CATEGORIES = [
    ("action response check (jsonschema)", ("jsonschema/", "connectors/action_response_check.py")),
    ("tracker store (SQL, events decoded)", ("rasa/core/tracker_store.py",
                                            "connectors/tracker_store.py")),
    ("policies", ("rasa/core/policies/", "connectors/rule_policy.py")),
    ("NLU (featurizers, intent classifier)", ("rasa/nlu/", "connectors/intent_classifier.py",
                                              "sklearn/", "tensorflow/", "keras/")),
    ("action server calls (request, response)", ("rasa/core/actions/action.py",)),
    ("tracker (events replayed, states)", ("rasa/shared/core/trackers.py",
                                           "rasa/shared/core/events.py")),
    ("forms and slot mappings (Rasa)", ("rasa/core/actions/",)),
    ("lock store", ("rasa/core/lock_store.py", "rasa/core/lock.py")),
    ("graph runner (Rasa engine, dask)", ("rasa/engine/", "dask/")),
    ("our code in Rasa (bot/, connectors/)", ("bot/", "connectors/")),
    ("Rasa's turn (processor, agent)", ("rasa/core/processor.py", "rasa/core/agent.py")),
    ("HTTP (Sanic, aiohttp)", ("sanic/", "aiohttp/")),
]
ENTRY_FRAMES = {"connectors/rest.py: receive", "connectors/gate.py: handle"}


def category(frames: list[str]) -> str:
    telling = [frame for frame in frames if frame not in ENTRY_FRAMES]
    for name, markers in CATEGORIES:
        if any(frame.startswith(markers) for frame in telling):
            return name
    return "other"


def summarise(raw: Path, top: int = 12) -> dict:
    """The shares of the samples in py-spy's raw (collapsed stacks) file."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    kinds: Counter = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        count = int(count)
        frames = [where(f) for f in stack.split(";")]
        total += count
        for name in set(frames):
            inclusive[name] += count
        own[frames[-1]] += count
        kinds[category(frames)] += count
    if not total:
        return {"samples": 0, "categories": [], "inclusive": [], "self": []}

    def rows(counter: Counter, skip_roots: bool) -> list[dict]:
        chosen = [(name, n) for name, n in counter.most_common()
                  if not (skip_roots and n / total >= ROOT_SHARE)]
        return [{"where": name, "share": round(n / total, 3)} for name, n in chosen[:top]]

    return {"samples": total,
            "categories": [{"where": name, "share": round(n / total, 3)}
                           for name, n in kinds.most_common()],
            "inclusive": rows(inclusive, True), "self": rows(own, False)}


def table(profile: dict, what: str) -> str:
    """The profile as a Markdown table (written beside bench.json)."""
    lines = [f"# Where Rasa's busy CPU goes: {what}", "",
             f"{profile.get('samples', 0)} samples of the Rasa thread holding the GIL (py-spy "
             f"--gil, 100 Hz).", ""]
    for key, title in (("categories", "by what it is spent on"),
                       ("inclusive", "with all it calls"), ("self", "in the function itself")):
        lines += [f"## Share {title}", "", "| share | where |", "|---|---|"]
        lines += [f"| {100 * row['share']:.1f} % | `{row['where']}` |"
                  for row in profile.get(key, [])]
        lines.append("")
    if profile.get("error"):
        lines += [f"py-spy said: {profile['error']}", ""]
    return "\n".join(lines)
