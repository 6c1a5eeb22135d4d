"""`make run`: starts the action server, Rasa and the web app; Ctrl-C stops all of them."""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.servers import Servers, simulator_env  # noqa: E402


def main() -> int:
    model = Path(os.environ.get("NPT_MODEL", "models/npt.tar.gz"))
    web_port = int(os.environ.get("NPT_WEB_PORT", 8000))
    # Without a Twilio account, SMS goes to the simulator page of the web app.
    simulated = not all(os.environ.get(name, "").strip() for name in
                        ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"))
    servers = Servers(
        model,
        rasa_port=int(os.environ.get("NPT_RASA_PORT", 5005)),
        actions_port=int(os.environ.get("NPT_ACTIONS_PORT", 5055)),
        web_port=web_port,
        env=simulator_env(web_port) if simulated else None,
    )
    print("Starting the action server, Rasa and the web app (about a minute)...", flush=True)
    try:
        servers.start()
    except RuntimeError as error:
        print(f"Could not start: {error}", file=sys.stderr)
        return 1
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"\nWeb chat: {servers.web_url}")
    print(f"Back-office: {servers.web_url}backoffice  (accounts: .venv/bin/npt accounts create --help)")
    if simulated:
        print(f"SMS simulator (no Twilio account set): {servers.web_url}sms-simulator")
    print(f"Rasa REST webhook: {servers.rasa_url}/webhooks/rest/webhook")
    print(f"Logs: {servers.log_dir}/   (Ctrl-C stops everything)\n", flush=True)
    while not stopping:
        dead = [p for p in servers.processes if not p.alive()]
        if dead:
            print(f"{dead[0].name} stopped unexpectedly; log tail:\n{dead[0].log_tail()}",
                  file=sys.stderr)
            servers.stop()
            return 1
        time.sleep(0.5)
    print("Stopping...", flush=True)
    servers.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
