"""`make bench`: the production mode (scripts/production.py) under an SMS campaign's replies, and
when its servers crash.

- **Burst**: 5,000 signed Twilio webhooks from 1,000 numbers within 2 minutes, through nginx's
  public port. Each number sends the first five answers of a diagnostic, 15 s apart, without
  waiting for the replies (people who reply fast to a campaign). Reported: the webhooks'
  acknowledgement latency (p50, p99, max) and failures; then, once every number has its five
  replies or the time is up, whether every message was answered exactly once and in order
  within its conversation (each answer has one expected reply), and the time to drain.
- **Crashes**: the same conversations from 60 more numbers, and 20 s in, one of: `kill -9` of
  a Rasa server, `kill -9` of an action server, a restart of PostgreSQL. A supervisor starts a
  killed server again (as a service manager would). Reported as above, plus the tracker store
  failures counted by the metrics (a FailSafeTrackerStore fallback is never silent: it is
  counted there, and the message processed again later).

Written under `burst` and `crash` in var/bench/bench.json. Run alone:
`.venv/bin/python scripts/bench_burst.py [MODEL]` (prints the JSON).
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio  # noqa: E402
from scripts.production import Production  # noqa: E402
from scripts.servers import PROJECT_DIR, free_port  # noqa: E402
from scripts.sms_driver import WEBHOOK  # noqa: E402

# What each number sends, and the one reply each answer gets (a piece of its text).
TURNS = [("bonjour", "On commence ?"), ("oui", "Quel appareil avez-vous ?"),
         ("jai juste mon portable", "Avez-vous internet ?"),
         ("2", "avez-vous utilisé internet ?"), ("un peu", "cherché une information")]
# 5 messages: the last at 2 min (NPT_BENCH_BURST_NUMBERS: fewer numbers, for a trial run).
BURST_NUMBERS = int(os.environ.get("NPT_BENCH_BURST_NUMBERS") or 1000)
BURST_SPREAD_S, GAP_S = 60.0, 15.0
CRASH_NUMBERS, CRASH_SPREAD_S, CRASH_AT_S = 200, 20.0, 20.0  # about 10 SMS a second
DRAIN_TIMEOUT_S = 900.0  # the burst
CRASH_DRAIN_TIMEOUT_S = 360.0  # a crash: a message left behind is taken up within 3 minutes


def numbers(count: int) -> list[str]:
    prefix = str(uuid.uuid4().int)[:3]
    return [f"+336{prefix}{n:05d}" for n in range(count)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * (len(ordered) - 1)))] if ordered else 0.0


async def send_campaign(public_url: str, phones: list[str], spread: float,
                        disruption=None) -> dict:
    """Every number's TURNS on schedule (number i starts at i/len*spread, then one every
    GAP_S); `disruption` (a function) is called CRASH_AT_S in. Acknowledgement figures."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(AUTH_TOKEN)
    url = public_url.rstrip("/") + WEBHOOK
    latencies: list[float] = []
    failures: list[str] = []
    started = time.monotonic()
    schedule = sorted(((index / len(phones)) * spread + turn * GAP_S, phone, text)
                      for index, phone in enumerate(phones)
                      for turn, (text, _) in enumerate(TURNS))
    connector = aiohttp.TCPConnector(limit=200)
    # Twilio gives up on a webhook after 15 s (error 11200): so does this sender.
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=15)) as session:
        async def post(phone: str, text: str) -> None:
            params = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
                      "From": phone, "To": FROM_NUMBER, "Body": text, "NumMedia": "0"}
            headers = {"X-Twilio-Signature": validator.compute_signature(url, params)}
            began = time.monotonic()
            try:
                async with session.post(url, data=params, headers=headers) as answer:
                    body = await answer.text()
                    if answer.status != 200 or "<Response>" not in body:
                        failures.append(f"{answer.status}")
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                failures.append(type(error).__name__)
                return
            latencies.append(time.monotonic() - began)

        async def disrupt() -> None:
            await asyncio.sleep(CRASH_AT_S)
            done = disruption()
            if asyncio.iscoroutine(done):
                await done

        tasks = [asyncio.create_task(disrupt())] if disruption else []
        previous: dict[str, asyncio.Task] = {}
        for at, phone, text in schedule:
            delay = at - (time.monotonic() - started)
            if delay > 0:
                await asyncio.sleep(delay)
            # A number's next message leaves once its previous one was acknowledged (a phone
            # sends one SMS after the other).
            before = previous.get(phone)

            async def in_turn(before=before, phone=phone, text=text) -> None:
                if before is not None:
                    await before
                await post(phone, text)

            previous[phone] = asyncio.create_task(in_turn())
            tasks.append(previous[phone])
        await asyncio.gather(*tasks)
    sent_in = time.monotonic() - started
    return {"webhooks": len(schedule), "acknowledged": len(latencies),
            "failed": len(failures), "failures": sorted(set(failures))[:5],
            "sent_in_s": round(sent_in, 1),
            "ack_p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
            "ack_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
            "ack_max_ms": round(max(latencies, default=0) * 1000, 1), "_started": started}


def replies(twilio: FakeTwilio, phones: list[str]) -> dict[str, list[str]]:
    wanted = set(phones)
    out: dict[str, list[str]] = {phone: [] for phone in phones}
    with twilio._lock:
        for message in twilio.sent:
            if message["to"] in wanted:
                out[message["to"]].append(message["body"])
    return out


def judge(bodies: list[str]) -> str:
    """"ok" when each expected reply came exactly once and in order; else what went wrong."""
    text = "\n".join(bodies)
    counts = [text.count(expected) for _, expected in TURNS]
    if any(count == 0 for count in counts):
        return "missing"
    if any(count > 1 for count in counts):
        return "twice"
    positions = [text.index(expected) for _, expected in TURNS]
    return "ok" if positions == sorted(positions) else "out_of_order"


def wait_drained(twilio: FakeTwilio, phones: list[str], started: float,
                 timeout: float) -> float | None:
    """Seconds from the first webhook until every number has all its replies (None: not within
    `timeout`); a few more seconds are then given to late duplicates."""
    deadline = started + timeout
    while time.monotonic() < deadline:
        got = replies(twilio, phones)
        if all(judge(bodies) != "missing" for bodies in got.values()):
            drained = time.monotonic() - started
            time.sleep(5)
            return round(drained, 1)
        time.sleep(1)
    return None


def inbound_statuses(url: str, phones: list[str]) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return dict(connection.execute(text(
                "select status, count(*) from sms_messages where direction = 'in' and "
                "phone = any(:phones) group by status"), {"phones": phones}).all())
    finally:
        engine.dispose()


def outcome(twilio: FakeTwilio, phones: list[str], production: Production) -> dict:
    verdicts: dict[str, int] = {}
    for bodies in replies(twilio, phones).values():
        verdict = judge(bodies)
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    statuses = inbound_statuses(production.env["NPT_DATABASE_URL"], phones)
    return {"conversations": len(phones), "answered_once_in_order": verdicts.get("ok", 0),
            "missing": verdicts.get("missing", 0), "twice": verdicts.get("twice", 0),
            "out_of_order": verdicts.get("out_of_order", 0), "inbound_by_status": statuses}


def tracker_store_errors(production: Production) -> float:
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(production.metrics_url, timeout=30) as answer:
        text = answer.read().decode()
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples if sample.name == "npt_tracker_store_errors_total")


def run_scenario(production: Production, twilio: FakeTwilio, phones: list[str], spread: float,
                 disruption=None) -> dict:
    errors_before = tracker_store_errors(production)
    sent = asyncio.run(send_campaign(production.public_url, phones, spread, disruption))
    drained = wait_drained(twilio, phones, sent.pop("_started"),
                           CRASH_DRAIN_TIMEOUT_S if disruption else DRAIN_TIMEOUT_S)
    return {**sent, "drained_in_s": drained, **outcome(twilio, phones, production),
            "tracker_store_errors": tracker_store_errors(production) - errors_before}


class Supervisor:
    """Starts again, every second, a server of the production mode that stopped."""

    def __init__(self, production: Production):
        self.production, self.restarted = production, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(1):
            self.restarted += self.production.supervise()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def kill(production: Production, name: str):
    def disruption() -> None:
        process = production.process(name)
        os.killpg(process.popen.pid, signal.SIGKILL)
        print(f"  kill -9 {name}", flush=True)
    return disruption


def restart_postgres(production: Production):
    async def disruption() -> None:
        # Stopped and started from this thread (the server lives as long as the thread that
        # started it), without holding up the webhooks meanwhile.
        began = time.monotonic()
        production.postgres.stop()
        await asyncio.sleep(2)
        production.postgres.start_again()
        print(f"  PostgreSQL restarted ({time.monotonic() - began:.1f} s down)", flush=True)
    return disruption


def bench_burst_and_crash(model: Path) -> tuple[dict, dict]:
    twilio = FakeTwilio().start()
    base = Path(tempfile.mkdtemp(prefix="npt-bench-prod-"))
    env = {"NPT_SECRET_KEY": "bench-production", **twilio.env()}
    production = Production(model, base=base, public_port=free_port(), env=env, durable=False)
    try:
        print("  starting the production mode...", flush=True)
        began = time.monotonic()
        production.start()
        started_in = round(time.monotonic() - began, 1)
        print(f"  burst: {BURST_NUMBERS * len(TURNS)} SMS from {BURST_NUMBERS} numbers...",
              flush=True)
        burst = {"started_in_s": started_in, "rasa_servers": production.replicas,
                 "action_servers": production.replicas,
                 **run_scenario(production, twilio, numbers(BURST_NUMBERS), BURST_SPREAD_S)}
        crash = {}
        with Supervisor(production) as supervisor:
            for name, disruption in (("kill_rasa", kill(production, "rasa-1")),
                                     ("kill_action_server", kill(production, "actions-1")),
                                     ("restart_postgres", restart_postgres(production))):
                print(f"  crash: {name}...", flush=True)
                crash[name] = run_scenario(production, twilio, numbers(CRASH_NUMBERS),
                                           CRASH_SPREAD_S, disruption)
                deadline = time.monotonic() + 240  # the killed server back before the next
                while not all(p.healthy() for p in production.processes) and \
                        time.monotonic() < deadline:
                    time.sleep(1)
            crash["restarted_by_supervisor"] = supervisor.restarted
        return burst, crash
    finally:
        production.stop()
        twilio.stop()
        import shutil

        shutil.rmtree(base, ignore_errors=True)


def main() -> int:
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_DIR / "models" / "npt.tar.gz"
    burst, crash = bench_burst_and_crash(model)
    print(json.dumps({"burst": burst, "crash": crash}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
