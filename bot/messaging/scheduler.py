"""The assistant's scheduler: every `NPT_SCHEDULER_SECONDS` (60), the named jobs run.

Today one job: sending the reminders that are due (`npt reminders send` does the same once).
Started by `make run` beside Rasa; a round is skipped while Rasa is not up, so that nothing is
marked failed during a restart. Reminders are rows in the database: a restart loses none.
"""
from __future__ import annotations

import logging
import os
import signal
import time

from bot.messaging.reminders import rasa_is_up, send_due_reminders

log = logging.getLogger("npt.scheduler")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    interval = max(1.0, float(os.environ.get("NPT_SCHEDULER_SECONDS", "60")))
    running = True

    def stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler started: reminders every %.0f s", interval)
    while running:
        if rasa_is_up():
            try:
                report = send_due_reminders()
                if report.sent or report.failed:
                    log.info("reminders: %d sent, %d failed", report.sent, report.failed)
            except Exception:  # the next round tries again; the operator sees it
                log.exception("reminder round failed")
        deadline = time.monotonic() + interval
        while running and time.monotonic() < deadline:
            time.sleep(0.2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
