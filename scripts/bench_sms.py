"""What a complete diagnostic and booking costs by SMS: every message the assistant sends on
the way, through our Twilio channel, as the fake Twilio API receives it; segments counted the
way operators bill them (bot.channels.sms_text.segments) and as stored by the channel.

Run alone: `.venv/bin/python scripts/bench_sms.py [MODEL]` (default models/npt.tar.gz); also
part of `make bench`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.fake_twilio import FakeTwilio  # noqa: E402
from scripts.servers import PROJECT_DIR, VENV_BIN, Servers, free_port  # noqa: E402
from scripts.sms_driver import SmsDriver, new_phone  # noqa: E402

# What a person types, and a piece of each answer (as in the end-to-end tests).
PATH = [
    ("bonjour", "On commence ?"),
    ("1", "Quel appareil avez-vous ?"),
    ("jai juste mon portable", "Avez-vous internet ?"),
    ("2", "avez-vous utilisé internet ?"),
    ("un peu", "cherché une information"),
    ("avec l'aide de ma fille", "envoyé un message"),
    ("oui seul", "rempli un formulaire"),
    ("jamais", "créé un compte"),
    ("non", "démarche en ligne jusqu'au bout"),
    ("3", "Pour quoi voulez-vous de l'aide ?"),
    ("la caf", "aide particulière"),
    ("non", "accompagné(e) gratuitement"),
]


def bench_sms(model: Path) -> dict:
    from bot.channels.sms_text import segments

    work = Path(tempfile.mkdtemp(prefix="npt-bench-sms-"))
    twilio = FakeTwilio().start()
    env = {"NPT_DATABASE_URL": f"sqlite:///{work / 'npt.db'}",
           "NPT_TRACKER_DATABASE_URL": f"sqlite:///{work / 'tracker.db'}",
           "NPT_SECRET_KEY": "bench-sms", **twilio.env()}
    for command in (["db", "upgrade"], ["places", "seed"], ["partners", "load"]):
        subprocess.run([str(VENV_BIN / "npt"), *command], check=True, cwd=PROJECT_DIR,
                       env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    servers = Servers(model, rasa_port=free_port(), actions_port=free_port(), web_port=None,
                      log_dir=work / "log", env=env)
    phone = new_phone()
    try:
        with servers:
            SmsDriver(servers.rasa_url, twilio).diagnostic_and_booking(phone, PATH)
    finally:
        twilio.stop()
    sent = [message["body"] for message in twilio.to(phone)]
    costs = [segments(body) for body in sent]
    return {
        "path": "diagnostic (12 answers), postcode, place, slot, first name",
        "messages_received": len(PATH) + 4,
        "messages_sent": len(sent),
        "segments": sum(cost.segments for cost in costs),
        "ucs2_messages": sum(cost.encoding == "UCS-2" for cost in costs),
        "longest_message_segments": max((cost.segments for cost in costs), default=0),
        "characters": sum(len(body) for body in sent),
    }


def main() -> int:
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_DIR / "models" / "npt.tar.gz"
    print(json.dumps(bench_sms(model), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
