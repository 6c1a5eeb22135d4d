"""The bench's profile table: py-spy's collapsed stacks turned into the shares of Rasa's busy
CPU, the event loop's roots left out of the inclusive table; and py-spy really samples a busy
process of this machine."""
from __future__ import annotations

import subprocess
import sys
import time

from scripts.bench_profile import start, stop, summarise, table

RAW = """\
run (asyncio/events.py:80);handle (rasa/core/agent.py:10);validate (jsonschema/validators.py:1120);iter_errors (jsonschema/validators.py:300) 60
run (asyncio/events.py:80);handle (rasa/core/agent.py:10);retrieve (rasa/core/tracker_store.py:900) 30
run (asyncio/events.py:80);predict (rasa/core/policies/ted_policy.py:50) 10
not a line
"""


def test_shares_of_the_busy_samples_with_the_roots_left_out(tmp_path):
    raw = tmp_path / "profile.raw.txt"
    raw.write_text(RAW)
    profile = summarise(raw)
    assert profile["samples"] == 100
    inclusive = {row["where"]: row["share"] for row in profile["inclusive"]}
    assert "asyncio/events.py: run" not in inclusive  # in every sample: a root
    assert inclusive["rasa/core/agent.py: handle"] == 0.9
    assert inclusive["jsonschema/validators.py: validate"] == 0.6
    assert profile["self"][0] == {"where": "jsonschema/validators.py: iter_errors", "share": 0.6}
    assert profile["categories"] == [
        {"where": "action response check (jsonschema)", "share": 0.6},
        {"where": "tracker store (SQL, events decoded)", "share": 0.3},
        {"where": "policies", "share": 0.1}]
    assert "| 60.0 % | `jsonschema/validators.py: validate` |" in table(profile, "test")


def test_py_spy_samples_a_busy_process(tmp_path):
    busy = subprocess.Popen([sys.executable, "-c", "import json, time\nend = time.time() + 30\n"
                             "while time.time() < end: json.dumps(list(range(300)))"])
    try:
        time.sleep(0.5)
        raw = tmp_path / "busy.raw.txt"
        sampler = start(busy.pid, raw)
        time.sleep(2)
        said = stop(sampler)
    finally:
        busy.kill()
    profile = summarise(raw)
    assert profile["samples"] > 20, said
    assert profile["inclusive"][0]["where"].startswith("json/"), profile["inclusive"][:3]


def test_a_turn_under_the_rest_channel_counts_where_it_goes_not_as_our_code(tmp_path):
    """Every turn's stack starts in our REST channel: that alone does not make it our code."""
    entry = "receive (connectors/rest.py:70);handle (connectors/gate.py:120);"
    raw = tmp_path / "profile.raw.txt"
    raw.write_text(
        f"{entry}handle_message (rasa/core/processor.py:160);copy (copy.py:70) 40\n"
        f"{entry}run (rasa/engine/runner/dask.py:100);get_sync (dask/local.py:500) 30\n"
        f"{entry}opt_gate (connectors/gate.py:170);is_opted_out (bot/people/privacy.py:54) 20\n"
        f"{entry}json (sanic/response.py:20) 10\n")
    assert summarise(raw)["categories"] == [
        {"where": "Rasa's turn (processor, agent)", "share": 0.4},
        {"where": "graph runner (Rasa engine, dask)", "share": 0.3},
        {"where": "our code in Rasa (bot/, connectors/)", "share": 0.2},
        {"where": "HTTP (Sanic, aiohttp)", "share": 0.1}]
