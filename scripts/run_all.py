"""`make run`: starts the action server, Rasa and the web app; Ctrl-C stops all of them."""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.servers import (Servers, serve_until_stopped, simulator_env,  # noqa: E402
                             sms_simulated)


def main() -> int:
    model = Path(os.environ.get("NPT_MODEL", "models/npt.tar.gz"))
    web_port = int(os.environ.get("NPT_WEB_PORT", 8000))
    # Without a Twilio account, SMS goes to the simulator page of the web app.
    simulated = sms_simulated()
    servers = Servers(
        model,
        rasa_port=int(os.environ.get("NPT_RASA_PORT", 5005)),
        actions_port=int(os.environ.get("NPT_ACTIONS_PORT", 5055)),
        web_port=web_port,
        env=simulator_env(web_port) if simulated else None,
    )
    print("Starting the action server, Rasa and the web app (about a minute)...", flush=True)

    def check() -> int | None:
        dead = [p for p in servers.processes if not p.alive()]
        if dead:
            print(f"{dead[0].name} stopped unexpectedly; log tail:\n{dead[0].log_tail()}",
                  file=sys.stderr)
            return 1
        return None

    def addresses() -> list[str]:
        web = servers.web_url
        return [
            f"Web chat: {web}",
            f"Back-office: {web}backoffice  (accounts: .venv/bin/npt accounts create --help)",
            *([f"SMS simulator (no Twilio account set): {web}sms-simulator"] if simulated
              else []),
            f"Rasa REST webhook: {servers.rasa_url}/webhooks/rest/webhook",
            f"Logs: {servers.log_dir}/   (Ctrl-C stops everything)"]

    return serve_until_stopped(servers.start, addresses, check, servers.stop, 0.5)


if __name__ == "__main__":
    sys.exit(main())
