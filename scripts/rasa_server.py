"""`rasa run` with the HTTP API token taken from the environment (NPT_RASA_TOKEN), so that the
token never appears on a command line (`ps`, /proc/<pid>/cmdline show this script's own
arguments only). Every other argument is passed to `rasa run` as it is. Before Rasa starts, its
check of action server responses gets a schema compiled once
(connectors/action_response_check.py), and its lookup of an event's class by name keeps what it
found (connectors/event_types.py), its trained graph is run in an order worked out once
(connectors/graph_runner.py), its calls to the action server keep their connection
(connectors/action_endpoint.py), a conversation's applied events are continued from the last
answer (connectors/applied_events.py), and a tracker store failure is never a silent new
conversation (connectors/tracker_store.py)."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    token = os.environ.get("NPT_RASA_TOKEN", "")
    if not token:
        sys.exit("NPT_RASA_TOKEN is not set: Rasa's HTTP API would be open to anyone")
    # `--auth-token=TOKEN` in one piece: a made-up token may begin with "-" (token_urlsafe), which
    # argparse would otherwise read as an option and refuse.
    sys.argv = ["rasa", "run", *sys.argv[1:], "--enable-api", f"--auth-token={token}"]
    from rasa.__main__ import main as rasa_main

    # Rasa's per-turn costs cut at the points listed above (issue 14).
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from connectors import (action_endpoint, action_response_check, applied_events,
                            event_types, graph_runner, tracker_store)

    action_response_check.install()
    event_types.install()
    graph_runner.install()
    action_endpoint.install()
    applied_events.install()
    tracker_store.refuse_silent_fallback()
    # (Rasa configures logging later: said on stderr, which `make run` keeps in Rasa's log.)
    print("npt: action server responses are validated with a schema compiled once; "
          "event classes are looked up once by name; the model's graph runs in an order "
          "worked out once; action server calls keep their connection; applied events are "
          "continued from the last answer; a tracker store failure is counted and raised, "
          "never a silent new conversation", file=sys.stderr, flush=True)

    rasa_main()


if __name__ == "__main__":
    main()
