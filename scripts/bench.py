"""`make bench`: measures the assistant on this machine and writes var/bench/bench.json.

- NLU: intent accuracy and macro-F1 on tests/nlu/heldout.yml (never trained on), and beside
  them the same figures in 3-fold cross-validation on the training data (scripts/nlu_cv.py:
  reused from var/bench/nlu_cv.json when measured on the present data, else run again).
- Training time of our model (trained from scratch into a temporary folder) and of a plain Rasa
  baseline (a minimal greet/mood bot with the pipeline and policies config.yml had when issue 14
  set its goals, and no custom action).
- REST turn latency (p50, p95) and throughput at 1, 10 and 50 concurrent conversations, closed
  loop, for our assistant (a whole diagnostic per conversation; then the same at a
  prescripteur's counter: code, first name, consent, mobile, diagnostic) and for the baseline.
- Reading where a person lives (bot.geo.locate): first read of the national list, then p50/p95
  per answer.
- Peak resident memory of each process (action server, Rasa, web app; baseline Rasa).

Only loopback addresses are used; every loop is bounded in count.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import bench_profile  # noqa: E402
from scripts.servers import PROJECT_DIR, VENV_BIN, Servers, free_port  # noqa: E402

RASA = str(VENV_BIN / "rasa")
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
OUT_DIR = PROJECT_DIR / "var" / "bench"
PROFILE_RAW = OUT_DIR / "profile.raw.txt"  # py-spy's samples of the last run

# One whole diagnostic, as a person would type it (free words, digits).
DIAGNOSTIC = ["bonjour", "oui", "jai juste mon portable", "2", "un peu", "avec ma fille",
              "oui seul", "jamais", "non", "3", "la caf", "non"]
# The same diagnostic at a prescripteur's counter: the organisation's code, the prescripteur's
# first name, the person's consent and mobile ({mobile}: one per conversation), then the grid.
PRESCRIPTEUR = ["{code}", "Karim", "oui", "{mobile}", *DIAGNOSTIC[2:]]
BASELINE_TURNS = ["bonjour", "super", "merci", "bonjour", "triste", "oui", "bonjour", "bien",
                  "au revoir", "bonjour", "nul", "non"]
LEVELS = [(1, 4), (10, 2), (50, 1)]  # (concurrent conversations, conversations per worker)

BASELINE_NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - bonjour
    - salut
    - bonsoir
    - coucou
    - hello
    - bjr
    - slt
    - bonjour madame
- intent: goodbye
  examples: |
    - au revoir
    - bonne journée
    - à bientôt
    - bye
    - salut à plus
    - bonne soirée
- intent: affirm
  examples: |
    - oui
    - d'accord
    - ok
    - bien sûr
    - exactement
    - ça marche
- intent: deny
  examples: |
    - non
    - pas du tout
    - jamais
    - non merci
    - pas vraiment
- intent: mood_great
  examples: |
    - super
    - très bien
    - bien
    - je vais bien
    - génial
    - parfait
- intent: mood_unhappy
  examples: |
    - triste
    - pas bien
    - nul
    - je suis triste
    - très mal
    - déprimé
"""
BASELINE_STORIES = """version: "3.1"
stories:
- story: happy path
  steps:
  - intent: greet
  - action: utter_greet
  - intent: mood_great
  - action: utter_happy
- story: sad path
  steps:
  - intent: greet
  - action: utter_greet
  - intent: mood_unhappy
  - action: utter_cheer_up
  - action: utter_did_that_help
  - intent: affirm
  - action: utter_happy
- story: sad path 2
  steps:
  - intent: greet
  - action: utter_greet
  - intent: mood_unhappy
  - action: utter_cheer_up
  - action: utter_did_that_help
  - intent: deny
  - action: utter_goodbye
"""
BASELINE_RULES = """version: "3.1"
rules:
- rule: goodbye
  steps:
  - intent: goodbye
  - action: utter_goodbye
"""
# The baseline's configuration: the project's config.yml as it was when issue 14 set the goals
# as ratios to this baseline (kept here so that its figures stay comparable across runs).
BASELINE_CONFIG = """recipe: default.v1
assistant_id: numerique-pour-tous
language: fr

pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 50
    entity_recognition: false
    constrain_similarities: true
    random_seed: 42
  - name: EntitySynonymMapper
  - name: FallbackClassifier
    threshold: 0.4
    ambiguity_threshold: 0.05

policies:
  - name: MemoizationPolicy
  - name: RulePolicy
    core_fallback_threshold: 0.3
    core_fallback_action_name: action_default_fallback
    enable_fallback_prediction: true
"""
BASELINE_DOMAIN = """version: "3.1"
intents: [greet, goodbye, affirm, deny, mood_great, mood_unhappy]
responses:
  utter_greet:
  - text: "Bonjour, comment allez-vous ?"
  utter_cheer_up:
  - text: "Courage, voici une pensée positive."
  utter_did_that_help:
  - text: "Cela vous a-t-il aidé ?"
  utter_happy:
  - text: "Très bien, continuez !"
  utter_goodbye:
  - text: "Au revoir."
session_config:
  session_expiration_time: 60
  carry_over_slots_to_new_session: true
"""


def run(command: list[str], cwd: Path = PROJECT_DIR) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def nlu_quality(model: Path, work: Path) -> dict:
    out = work / "nlu-results"
    run([RASA, "test", "nlu", "--model", str(model), "--nlu", "tests/nlu/heldout.yml",
         "--out", str(out)])
    report = json.loads((out / "intent_report.json").read_text())
    return {
        "examples": int(report["macro avg"]["support"]),
        "accuracy": round(report["accuracy"], 4),
        "macro_f1": round(report["macro avg"]["f1-score"], 4),
        "worst_intents": sorted(
            ((name, round(v["f1-score"], 3)) for name, v in report.items()
             if isinstance(v, dict) and "f1-score" in v and name not in
             ("macro avg", "weighted avg", "micro avg")),
            key=lambda item: item[1])[:3],
    }


def make_baseline(work: Path) -> Path:
    folder = work / "baseline"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "nlu.yml").write_text(BASELINE_NLU)
    (folder / "data" / "stories.yml").write_text(BASELINE_STORIES)
    (folder / "data" / "rules.yml").write_text(BASELINE_RULES)
    (folder / "domain.yml").write_text(BASELINE_DOMAIN)
    (folder / "config.yml").write_text(BASELINE_CONFIG)
    (folder / "credentials.yml").write_text("rest:\n")
    (folder / "endpoints.yml").write_text("")
    return folder


class MemoryWatch:
    """Samples the resident memory of process trees; keeps each one's peak."""

    def __init__(self, pids: dict[str, int]):
        self.pids, self.peaks = pids, dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                try:
                    process = psutil.Process(pid)
                    rss = process.memory_info().rss + sum(
                        child.memory_info().rss for child in process.children(recursive=True))
                    self.peaks[name] = max(self.peaks[name], rss)
                except psutil.Error:
                    pass
            self._stop.wait(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def megabytes(self) -> dict[str, float]:
        return {name: round(peak / 2**20, 1) for name, peak in self.peaks.items()}


async def conversation(session, url: str, sender: str, turns: list[str], latencies: list[float],
                       values: dict | None = None):
    mobile = "06" + str(int.from_bytes(sender.encode()[-12:], "big") % 10**8).zfill(8)
    for text in turns:
        text = text.format(mobile=mobile, **(values or {})) if "{" in text else text
        started = time.perf_counter()
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            body = await response.json()
            if response.status != 200 or not isinstance(body, list):
                raise RuntimeError(f"bad reply {response.status}: {body!r}")
        latencies.append(time.perf_counter() - started)


async def load(url: str, turns: list[str], concurrency: int, rounds: int, tag: str,
               values: dict | None = None) -> dict:
    latencies: list[float] = []
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async def worker(index: int):
            for round_ in range(rounds):
                await conversation(session, url, f"bench-{tag}-{concurrency}-{index}-{round_}",
                                   turns, latencies, values)
        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "concurrency": concurrency,
        "turns": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1),
        "throughput_msg_s": round(len(latencies) / elapsed, 1),
    }


LONG_TURNS = 200  # a long conversation: does a turn cost more once the history is long?
LONG_QUESTION = "c'est gratuit ?"  # answered, then the question asked again: one action call


async def long_conversation(url: str, turns: int = LONG_TURNS) -> dict:
    """One conversation of `turns` messages, one at a time: the median latency of its first
    ten turns (after the greeting) against its last ten (the tracker store reads and writes the
    whole history)."""
    latencies: list[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        await conversation(session, url, f"bench-long-{time.time_ns()}",
                           ["bonjour"] + [LONG_QUESTION] * (turns - 1), latencies)
    first, last = latencies[1:11], latencies[-10:]
    return {"turns": turns,
            "first_10_p50_ms": round(statistics.median(first) * 1000, 1),
            "last_10_p50_ms": round(statistics.median(last) * 1000, 1),
            "growth": round(statistics.median(last) / statistics.median(first), 2)}


LOCATE_TEXTS = ("aubervillier", "j'habite à ivry", "93200", "paris 13e", "evry", "bonjour",
                "je suis à Lyon", "toulous", "ivry " * 2500)


def bench_locate(rounds: int = 50) -> dict:
    """Reading where a person lives (bot.geo.locate), once its lists are read: per answer."""
    from bot.geo import locate
    from bot.geo.france import preload

    started = time.perf_counter()
    preload()
    first = time.perf_counter() - started
    latencies = []
    for _ in range(rounds):
        for text in LOCATE_TEXTS:
            started = time.perf_counter()
            locate(text)
            latencies.append(time.perf_counter() - started)
    latencies.sort()
    return {"answers": len(latencies), "first_read_ms": round(first * 1000, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 2),
            "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 2),
            "max_ms": round(latencies[-1] * 1000, 2)}


def new_code(env: dict) -> str:
    """An organisation's code in the bench's database, made as the Métropole makes it."""
    done = subprocess.run([str(VENV_BIN / "npt"), "organisations", "create", "Bench La Poste",
                           "--kind", "La Poste", "--commune", "Saint-Denis"], cwd=PROJECT_DIR,
                          env={**ENV, **env}, capture_output=True, text=True, check=True)
    return next(line.split(": ", 1)[1] for line in done.stdout.splitlines()
                if line.startswith("code: "))


def measure_server(servers: Servers, turns: list[str], tag: str,
                   env: dict | None = None) -> tuple[list[dict], dict, list[dict]]:
    """Citizen conversations at every level, then (with `env`) prescripteur conversations at
    the same levels: (citizen rows, peak memory, prescripteur rows)."""
    servers.start()
    try:
        pids = {p.name: p.popen.pid for p in servers.processes}
        url = f"{servers.rasa_url}/webhooks/rest/webhook"
        asyncio.run(load(url, turns, 1, 1, f"{tag}-warmup"))
        counter: list[dict] = []
        with MemoryWatch(pids) as watch:
            # Where Rasa's CPU goes while the citizen conversations run.
            sampler = bench_profile.start(pids["rasa"], PROFILE_RAW)
            results = [asyncio.run(load(url, turns, c, r, tag)) for c, r in LEVELS]
            said = bench_profile.stop(sampler)
            profile = (bench_profile.summarise(PROFILE_RAW) if PROFILE_RAW.exists()
                       else {"samples": 0, "categories": [], "inclusive": [], "self": []})
            if said and not profile["samples"]:
                profile["error"] = said
            servers.profile = profile
            servers.long_conversation = asyncio.run(long_conversation(url))
            if env is not None:
                values = {"code": new_code(env)}
                counter = [asyncio.run(load(url, PRESCRIPTEUR, c, r, f"{tag}-counter", values))
                           for c, r in LEVELS]
        return results, watch.megabytes(), counter
    finally:
        servers.stop()


def main() -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="npt-bench-"))
    report: dict = {"machine": {"cpus": os.cpu_count(),
                                "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)},
                    "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    try:
        print("Place search over 20,000 places...", flush=True)
        from scripts.bench_search import bench_search
        report["place_search"] = bench_search(20000, 200)
        print("Reading where a person lives (bot.geo.locate)...", flush=True)
        report["locate"] = bench_locate()

        print("Training our model from scratch (timed)...", flush=True)
        ours = work / "ours"
        report["training_s"] = round(run([
            RASA, "train", "--data", "data/nlu", "data/rules", "--config", "config.yml",
            "--domain", "domain.yml", "--out", str(ours), "--fixed-model-name", "npt", "--force"]), 1)
        model = ours / "npt.tar.gz"

        print("Training the baseline...", flush=True)
        baseline = make_baseline(work)
        report["baseline_training_s"] = round(run(
            [RASA, "train", "--out", "models", "--fixed-model-name", "baseline"], cwd=baseline), 1)

        print("Evaluating NLU on the held-out set...", flush=True)
        report["nlu_heldout"] = nlu_quality(model, work)

        print("NLU cross-validation on the training data (3 folds)...", flush=True)
        from scripts.nlu_cv import current_or_run
        report["nlu_cv"] = {key: value for key, value in current_or_run().items()
                            if key not in ("errors", "fingerprint")}

        print("Load on our assistant (REST)...", flush=True)
        env = {"NPT_DATABASE_URL": f"sqlite:///{work / 'npt.db'}",
               "NPT_TRACKER_DATABASE_URL": f"sqlite:///{work / 'tracker.db'}",
               "NPT_SECRET_KEY": "bench"}
        servers = Servers(model, rasa_port=free_port(), actions_port=free_port(),
                          web_port=free_port(), log_dir=work / "log", env=env)
        report["ours"], report["ours_peak_memory_mb"], report["prescripteur"] = measure_server(
            servers, DIAGNOSTIC, "ours", env)
        report["profile"] = getattr(servers, "profile", {})
        report["long_conversation"] = getattr(servers, "long_conversation", {})
        (OUT_DIR / "profile.md").write_text(bench_profile.table(
            report["profile"], "citizen diagnostics at 1, 10 and 50 conversations"))

        print("SMS: a complete diagnostic and booking through the Twilio channel...", flush=True)
        from scripts.bench_sms import bench_sms
        report["sms_path"] = bench_sms(model)

        print("Production mode: an SMS burst, then crashes (scripts/bench_burst.py)...",
              flush=True)
        from scripts.bench_burst import bench_burst_and_crash
        report["burst"], report["crash"] = bench_burst_and_crash(model)

        print("Load on the baseline (REST)...", flush=True)
        port = free_port()
        base_servers = Servers(baseline / "models" / "baseline.tar.gz", rasa_port=port,
                               actions_port=free_port(), web_port=None, log_dir=work / "log-base",
                               endpoints=baseline / "endpoints.yml")
        base_servers.processes = []
        report["baseline"], report["baseline_peak_memory_mb"] = measure_baseline(
            baseline, port, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    path = OUT_DIR / "bench.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print_table(report)
    print(f"\nwritten to {path}")
    return 0


def measure_baseline(baseline: Path, port: int, work: Path) -> tuple[list[dict], dict]:
    """The plain Rasa bot alone (no action server): `rasa run` in its own folder."""
    from scripts.servers import Process

    process = Process("rasa", [RASA, "run", "--model", "models/baseline.tar.gz", "--port",
                               str(port), "--credentials", "credentials.yml"],
                      f"http://127.0.0.1:{port}/", work / "baseline-rasa.log", ENV)
    process.log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(process.log_path, "ab")
    process.popen = subprocess.Popen(process.command, cwd=baseline, stdout=log,
                                     stderr=subprocess.STDOUT, env=ENV, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not process.healthy():
            if not process.alive() or time.monotonic() > deadline:
                sys.exit(f"baseline did not start:\n{process.log_tail()}")
            time.sleep(0.5)
        url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
        asyncio.run(load(url, BASELINE_TURNS, 1, 1, "base-warmup"))
        with MemoryWatch({"rasa": process.popen.pid}) as watch:
            results = [asyncio.run(load(url, BASELINE_TURNS, c, r, "base")) for c, r in LEVELS]
        return results, watch.megabytes()
    finally:
        process.stop()


def print_table(report: dict) -> None:
    nlu = report["nlu_heldout"]
    cv = report["nlu_cv"]
    print(f"\n{'NLU':<36}{'examples':>9}{'accuracy':>10}{'macro-F1':>10}")
    print(f"{'held-out (tests/nlu/heldout.yml)':<36}{nlu['examples']:>9}{nlu['accuracy']:>10.3f}"
          f"{nlu['macro_f1']:>10.3f}")
    print(f"{str(cv['folds']) + '-fold cross-validation (training)':<36}{cv['examples']:>9}"
          f"{cv['accuracy']:>10.3f}{cv['macro_f1']:>10.3f}")
    print(f"weakest held-out: {nlu['worst_intents']}")
    print(f"weakest in cross-validation: {cv['worst_intents'][:3]}")
    print(f"Training: ours {report['training_s']} s, baseline {report['baseline_training_s']} s")
    print("(ours: a citizen's diagnostic; prescripteur: the same at a counter, with the code, "
          "the first name, the consent and the mobile)")
    print(f"\n{'bot':<10}{'conc.':>6}{'turns':>7}{'p50 ms':>9}{'p95 ms':>9}{'msg/s':>8}")
    for bot in ("ours", "prescripteur", "baseline"):
        for row in report.get(bot) or []:
            print(f"{bot:<10}{row['concurrency']:>6}{row['turns']:>7}{row['p50_ms']:>9}"
                  f"{row['p95_ms']:>9}{row['throughput_msg_s']:>8}")
    search = report["place_search"]
    print(f"\nPlace search, {search['places']} places, {search['queries']} queries: "
          f"p50 {search['p50_ms']} ms, p95 {search['p95_ms']} ms, max {search['max_ms']} ms")
    where = report["locate"]
    print(f"Reading a place name, {where['answers']} answers: p50 {where['p50_ms']} ms, "
          f"p95 {where['p95_ms']} ms, max {where['max_ms']} ms (lists first read in "
          f"{where['first_read_ms']} ms)")
    sms = report["sms_path"]
    print(f"\nSMS, diagnostic and booking: {sms['messages_sent']} SMS sent for "
          f"{sms['messages_received']} received, {sms['segments']} segments, "
          f"{sms['ucs2_messages']} in UCS-2")
    print(f"\nPeak memory (MB): ours {report['ours_peak_memory_mb']}, "
          f"baseline {report['baseline_peak_memory_mb']}")
    ours, base = report.get("ours") or [], report.get("baseline") or []
    if ours and base:
        print(f"Ratios to the baseline: throughput at {ours[-1]['concurrency']} conversations "
              f"{ours[-1]['throughput_msg_s'] / base[-1]['throughput_msg_s']:.2f}x (goal >= "
              f"0.75x), p95 at {ours[0]['concurrency']} {ours[0]['p95_ms'] / base[0]['p95_ms']:.1f}x "
              f"(goal <= 3x)")
    long = report.get("long_conversation") or {}
    if long:
        print(f"One conversation of {long['turns']} turns: p50 {long['first_10_p50_ms']} ms for "
              f"its first 10, {long['last_10_p50_ms']} ms for its last 10 ({long['growth']}x)")
    burst = report.get("burst") or {}
    if burst:
        print(f"\nProduction mode ({burst['rasa_servers']} Rasa and {burst['action_servers']} "
              f"action servers behind nginx), burst of {burst['webhooks']} SMS webhooks from "
              f"{burst['conversations']} numbers sent in {burst['sent_in_s']} s: "
              f"{burst['acknowledged']} acknowledged (p99 {burst['ack_p99_ms']} ms, max "
              f"{burst['ack_max_ms']} ms); answered once and in order: "
              f"{burst['answered_once_in_order']}/{burst['conversations']} conversations "
              f"(missing {burst['missing']}, twice {burst['twice']}, out of order "
              f"{burst['out_of_order']}); drained in {burst['drained_in_s']} s")
    for name, row in (report.get("crash") or {}).items():
        if isinstance(row, dict):
            print(f"Crash, {name}: {row['acknowledged']}/{row['webhooks']} acknowledged, "
                  f"answered once and in order {row['answered_once_in_order']}/"
                  f"{row['conversations']} (missing {row['missing']}, twice {row['twice']}, "
                  f"out of order {row['out_of_order']}), drained in {row['drained_in_s']} s, "
                  f"tracker store errors {row['tracker_store_errors']:.0f}")
    profile = report.get("profile") or {}
    if profile.get("samples"):
        print(f"\nWhere Rasa's busy CPU goes ({profile['samples']} samples, "
              f"var/bench/profile.md):")
        for row in profile.get("categories") or profile["inclusive"][:8]:
            print(f"  {100 * row['share']:5.1f} %  {row['where']}")


if __name__ == "__main__":
    sys.exit(main())
