"""Starts and stops the assistant's processes: action server, Rasa server, web app.

Used by `make run` (scripts/run_all.py), the end-to-end tests and the benchmark, so that all
three run the assistant the same way. Each process logs to its own file under var/log/.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot.stopping import StopSignal

PROJECT_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def simulator_env(web_port: int) -> dict[str, str]:
    """Settings that point the SMS channel at the web app's SMS simulator (no Twilio account):
    made-up credentials, and the web app playing Twilio's API (bot/web/simulator.py)."""
    return {"NPT_SMS_SIMULATOR": "1",
            "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
            "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
            "TWILIO_FROM_NUMBER": "+33700000000",
            "TWILIO_API_BASE_URL": f"http://127.0.0.1:{web_port}/sms-simulator/twilio"}


def sms_simulated() -> bool:
    """True without a Twilio account: SMS then goes to the web app's simulator page."""
    return not all(os.environ.get(name, "").strip() for name in
                   ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"))


def serve_until_stopped(start, addresses, check, stop, interval: float) -> int:
    """`make run` and `make run-prod`: `start()` (its error is said and ends with 1), the lines
    of `addresses()` printed, then `check()` every `interval` seconds until Ctrl-C or SIGTERM (it
    returns an exit code to end with, or None to go on); `stop()` in every case."""
    try:
        start()
    except Exception as error:  # noqa: BLE001 - said to the operator, then exit
        print(f"Could not start: {error}", file=sys.stderr)
        return 1
    stopping = StopSignal()
    print("\n" + "\n".join(addresses()) + "\n", flush=True)
    code = 0
    while not stopping:
        code = check()
        if code is not None:
            break
        time.sleep(interval)
    else:
        print("Stopping...", flush=True)
    stop()
    return code or 0


def metrics_folder(path: Path) -> str:
    """An empty folder for a run's metrics (PROMETHEUS_MULTIPROC_DIR, bot/metrics.py): the
    files of an earlier run removed, so that counts start at zero."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    return str(path)


def prepare(env: dict[str, str], seed: bool = False) -> None:
    """Before anything starts: the assistant's database migrated (with `seed`, the real places
    and the demo partners loaded, as `make run` does), the funding rules checked."""
    python = str(VENV_BIN / "python")
    commands = [["db", "upgrade"]] + ([["places", "seed"], ["partners", "load"]] if seed else [])
    for command in commands:
        subprocess.run([python, "-m", "bot.cli", *command], cwd=PROJECT_DIR, check=True,
                       env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    # The funding rules (data/funding.yml) are checked before anything starts.
    check = subprocess.run([python, "-m", "bot.cli", "funding", "check"], cwd=PROJECT_DIR,
                           env={**os.environ, **env}, capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"the funding rules are wrong: {check.stderr.strip()}")


def wait_healthy(processes: list["Process"], timeout: float, on_failure) -> None:
    """Wait until every process answers its health check; `on_failure()` then RuntimeError
    when one stops or the time is up."""
    deadline = time.monotonic() + timeout
    waiting = list(processes)
    while waiting:
        for process in list(waiting):
            if not process.alive():
                on_failure()
                raise RuntimeError(f"{process.name} stopped while starting "
                                   f"(log {process.log_path}):\n{process.log_tail()}")
            if process.healthy():
                waiting.remove(process)
        if time.monotonic() > deadline:
            on_failure()
            names = ", ".join(p.name for p in waiting)
            raise RuntimeError(f"{names} not ready after {timeout:.0f} s")
        time.sleep(0.5)


@dataclass
class Process:
    name: str
    command: list[str]
    health_url: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Logs and the files the process makes (SQLite databases, keys) are the owner's only.
        log = os.fdopen(os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
                        "ab")
        self.popen = subprocess.Popen(
            self.command, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, **self.env}, start_new_session=True, umask=0o077,
        )
        log.close()  # the child has its own copy

    def healthy(self) -> bool:
        if not self.health_url:  # a worker without HTTP: healthy while it runs
            return self.alive()
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 10) -> None:
        if not self.alive():
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Servers:
    """The three processes of the assistant on the given ports."""

    def __init__(self, model: Path, rasa_port: int = 5005, actions_port: int = 5055,
                 web_port: int | None = 8000, log_dir: Path | None = None,
                 env: dict[str, str] | None = None, endpoints: Path | None = None) -> None:
        self.model = Path(model)
        self.rasa_port, self.actions_port, self.web_port = rasa_port, actions_port, web_port
        self.log_dir = log_dir or PROJECT_DIR / "var" / "log"
        self.env = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
                    "PYTHONUNBUFFERED": "1", **(env or {})}
        # Rasa's HTTP API (used to send reminders through each channel's reply path) is
        # enabled with a token; one is made up for this run when none is configured.
        self.env.setdefault("NPT_RASA_TOKEN",
                            os.environ.get("NPT_RASA_TOKEN") or secrets.token_urlsafe(24))
        self.env["NPT_RASA_URL"] = self.rasa_url
        # Every process of this run counts into one folder; the web app's /metrics adds up.
        self.env["PROMETHEUS_MULTIPROC_DIR"] = str(
            self.log_dir.parent / "run" / f"metrics-{self.rasa_port}")
        if web_port:
            # The links the assistant sends (a webinar's invitation...) point at the web app.
            self.env["NPT_WEB_PORT"] = str(web_port)
        self.endpoints = endpoints or self._write_endpoints()
        # Where Rasa and the web app listen: loopback unless the deployment says otherwise
        # (NPT_BIND_ADDRESS, for a reverse proxy on another host); the action server always
        # listens on loopback.
        self.interface = (self.env.get("NPT_BIND_ADDRESS")
                          or os.environ.get("NPT_BIND_ADDRESS") or "127.0.0.1")
        self.processes: list[Process] = []

    def _write_endpoints(self) -> Path:
        path = self.log_dir.parent / "run" / f"endpoints-{self.rasa_port}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        template = (PROJECT_DIR / "endpoints.yml").read_text()
        path.write_text(template.replace("http://localhost:5055/webhook",
                                         f"http://127.0.0.1:{self.actions_port}/webhook"))
        return path

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://localhost:{self.web_port}/"

    def start(self, timeout: float = 240) -> None:
        busy = [p for p in (self.rasa_port, self.actions_port, self.web_port)
                if p and port_in_use(p)]
        if busy:
            raise RuntimeError(f"port(s) {busy} already in use: is the assistant already running?")
        python = str(VENV_BIN / "python")
        metrics_folder(Path(self.env["PROMETHEUS_MULTIPROC_DIR"]))
        prepare(self.env)
        self.processes = [
            # The action server answers Rasa only: loopback (rasa_sdk reads SANIC_HOST).
            Process("actions", [python, "-m", "rasa_sdk", "--actions", "actions",
                                "--port", str(self.actions_port)],
                    f"http://127.0.0.1:{self.actions_port}/health",
                    self.log_dir / f"actions-{self.actions_port}.log",
                    {**self.env, "SANIC_HOST": "127.0.0.1"}),
            # Rasa on loopback too: a reverse proxy exposes only the channels' paths (README,
            # "Deployment"); its HTTP API token comes from the environment, not the command line.
            Process("rasa", [python, str(PROJECT_DIR / "scripts" / "rasa_server.py"),
                             "--model", str(self.model), "--interface", self.interface,
                             "--port", str(self.rasa_port), "--cors", "*",
                             "--credentials", "credentials.yml",
                             "--endpoints", str(self.endpoints)],
                    f"http://127.0.0.1:{self.rasa_port}/",
                    self.log_dir / f"rasa-{self.rasa_port}.log", self.env),
        ]
        self.processes.append(
            Process("scheduler", [python, "-m", "bot.cli.scheduler"], "",
                    self.log_dir / f"scheduler-{self.rasa_port}.log", self.env))
        if self.web_port:
            self.processes.append(
                Process("web", [python, "-m", "bot.web"], f"http://127.0.0.1:{self.web_port}/health",
                        self.log_dir / f"web-{self.web_port}.log",
                        {**self.env, "NPT_WEB_PORT": str(self.web_port),
                         "NPT_SOCKET_URL": f"http://localhost:{self.rasa_port}"}))
        for process in self.processes:
            process.start()
        wait_healthy(self.processes, timeout, self.stop)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def __enter__(self) -> "Servers":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
