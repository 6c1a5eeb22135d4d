"""Production mode (`make run-prod`): the assistant as Rasa documents scaling it out.

- PostgreSQL (a durable server of our own, its data in var/prod/postgres, or as root in
  /var/lib/npt-prod/postgres) for our data (`npt`) and Rasa's SQL tracker store
  (`npt_tracker`);
- Redis as Rasa's lock store (`RedisLockStore`): one conversation's turns are processed one at a
  time and in order, whichever Rasa server gets them;
- two action servers and two Rasa servers, behind nginx (scripts/services/nginx.conf.in): the
  webhooks go to either Rasa server, Socket.IO stays on one (sticky by address), Rasa reaches
  the action servers and the scheduler reaches Rasa's HTTP API through nginx's loopback ports;
- one web app and one scheduler.

Every server is installed by `make services` (Debian packages) and started here; nothing is
expected to be running before. Used by `make run-prod` (`main`), by the end-to-end tests of the
production mode and by the bench's burst and crash tests.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.servers import (PROJECT_DIR, VENV_BIN, Process, free_port,  # noqa: E402
                             metrics_folder, port_in_use, prepare, serve_until_stopped,
                             simulator_env, sms_simulated, wait_healthy)
from scripts.services.nginx import Nginx, render  # noqa: E402
from scripts.services.postgres import PostgresServer, find_bindir  # noqa: E402
from scripts.services.redis import RedisServer  # noqa: E402

REPLICAS = 2
LOCK_STORE = """
# Production mode: one conversation at a time across the Rasa servers (Redis).
lock_store:
  type: redis
  url: 127.0.0.1
  port: {port}
  db: 0
  key_prefix: npt
"""


class Production:
    """The production mode's servers; `start()` starts them all, `stop()` stops them all."""

    def __init__(self, model: Path, base: Path | None = None, public_port: int = 8080,
                 env: dict[str, str] | None = None, replicas: int = REPLICAS,
                 durable: bool = True, services_dir: Path | None = None) -> None:
        self.model = Path(model)
        self.base = Path(base or PROJECT_DIR / "var" / "prod")
        # Where PostgreSQL's data and nginx's buffers go: folders their own users must reach.
        self.services_dir = Path(services_dir or self.base)
        self.postgres_dir = self.services_dir / "postgres"
        self.log_dir = self.base / "log"
        self.public_port = public_port
        self.replicas = replicas
        self.durable = durable
        self.extra_env = dict(env or {})
        self.rasa_ports = [free_port() for _ in range(replicas)]
        self.action_ports = [free_port() for _ in range(replicas)]
        self.web_port, self.actions_proxy_port, self.rasa_api_port = (free_port() for _ in "123")
        self.postgres: PostgresServer | None = None
        self.redis: RedisServer | None = None
        self.nginx: Nginx | None = None
        self.processes: list[Process] = []
        self.env: dict[str, str] = {}

    # -- addresses -------------------------------------------------------------------------

    @property
    def public_url(self) -> str:
        return f"http://localhost:{self.public_port}"

    @property
    def web_url(self) -> str:
        return self.public_url + "/"

    @property
    def rasa_urls(self) -> list[str]:
        """Each Rasa server itself (its REST webhook is not public: tests and the bench)."""
        return [f"http://127.0.0.1:{port}" for port in self.rasa_ports]

    @property
    def rasa_url(self) -> str:
        """Rasa's HTTP API through nginx (either server)."""
        return f"http://127.0.0.1:{self.rasa_api_port}"

    @property
    def metrics_url(self) -> str:
        """Prometheus' scrape: the web app itself (not public through nginx)."""
        return f"http://127.0.0.1:{self.web_port}/metrics"

    def process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    # -- life cycle ------------------------------------------------------------------------

    def start(self, timeout: float = 400) -> None:
        if port_in_use(self.public_port):
            raise RuntimeError(f"port {self.public_port} already in use: is the production mode "
                               "already running?")
        for folder in {self.base, self.services_dir}:
            folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.services_dir, 0o711)  # the servers' own users reach their folders
        try:
            self._start_services()
            self._start_assistant(timeout)
        except BaseException:
            self.stop()
            raise

    def _start_services(self) -> None:
        self.postgres = PostgresServer(bindir=find_bindir(), base=self.postgres_dir,
                                       durable=self.durable)
        self.postgres.base.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.postgres.start()
        self.redis = RedisServer(self.base / "redis")
        self.redis.start()
        database = self.postgres.ensure_database("npt")
        tracker = self.postgres.ensure_database("npt_tracker")
        token = os.environ.get("NPT_RASA_TOKEN") or secrets.token_urlsafe(24)
        self.env = {
            "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
            "NPT_DATABASE_URL": database, "NPT_TRACKER_DATABASE_URL": tracker,
            "NPT_RASA_TOKEN": token, "NPT_RASA_URL": self.rasa_url,
            # Links and Twilio's signatures name the public address (nginx).
            "NPT_PUBLIC_URL": os.environ.get("NPT_PUBLIC_URL") or self.public_url,
            # Every process counts into one folder; the web app's /metrics adds up.
            "PROMETHEUS_MULTIPROC_DIR": metrics_folder(self.base / "metrics"),
            **self.extra_env,
        }

    def _write_endpoints(self) -> Path:
        path = self.base / "run" / "endpoints.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        template = (PROJECT_DIR / "endpoints.yml").read_text()
        path.write_text(template.replace(
            "http://localhost:5055/webhook", f"http://127.0.0.1:{self.actions_proxy_port}/webhook")
            + LOCK_STORE.format(port=self.redis.port))
        return path

    def _start_assistant(self, timeout: float) -> None:
        python = str(VENV_BIN / "python")
        prepare(self.env, seed=True)
        # Rasa's tables made once, before two Rasa servers would race to make them.
        subprocess.run([python, "-c", "from connectors.tracker_store import "
                        "ErasingSQLTrackerStore as Store; Store()"], cwd=PROJECT_DIR, check=True,
                       env={**os.environ, **self.env}, capture_output=True)
        endpoints = self._write_endpoints()
        for index, port in enumerate(self.action_ports, 1):
            self.processes.append(Process(
                f"actions-{index}", [python, "-m", "rasa_sdk", "--actions", "actions",
                                     "--port", str(port)],
                f"http://127.0.0.1:{port}/health", self.log_dir / f"actions-{index}.log",
                {**self.env, "SANIC_HOST": "127.0.0.1"}))
        for index, port in enumerate(self.rasa_ports, 1):
            self.processes.append(Process(
                f"rasa-{index}", [python, str(PROJECT_DIR / "scripts" / "rasa_server.py"),
                                  "--model", str(self.model), "--interface", "127.0.0.1",
                                  "--port", str(port), "--credentials", "credentials.yml",
                                  "--endpoints", str(endpoints)],
                f"http://127.0.0.1:{port}/", self.log_dir / f"rasa-{index}.log", self.env))
        self.processes.append(Process(
            "scheduler", [python, "-m", "bot.cli.scheduler"], "",
            self.log_dir / "scheduler.log", self.env))
        self.processes.append(Process(
            "web", [python, "-m", "bot.web"], f"http://127.0.0.1:{self.web_port}/health",
            self.log_dir / "web.log",
            {**self.env, "NPT_WEB_PORT": str(self.web_port), "NPT_SOCKET_URL": self.public_url,
             "NPT_TRUST_PROXY": "1"}))
        for process in self.processes:
            process.start()
        wait_healthy(self.processes, timeout, lambda: None)
        self.nginx = Nginx(self.base / "nginx", render(
            self.base / "nginx", self.services_dir / "nginx-temp", self.public_port, self.actions_proxy_port, self.rasa_api_port,
            self.web_port, self.rasa_ports, self.action_ports,
            simulator=self.env.get("NPT_SMS_SIMULATOR") == "1"),
            ports=[self.public_port, self.actions_proxy_port, self.rasa_api_port],
            temp=self.services_dir / "nginx-temp")
        self.nginx.start()

    def supervise(self) -> list[str]:
        """Start again every process that stopped (as a service manager would); their names."""
        restarted = []
        for process in self.processes:
            if not process.alive():
                process.start()
                restarted.append(process.name)
        return restarted

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        for process in reversed(self.processes):
            process.stop()
        self.processes = []
        for service in (self.redis, self.postgres):
            if service is not None:
                service.stop()

    def __enter__(self) -> "Production":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> int:
    model = Path(os.environ.get("NPT_MODEL", "models/npt.tar.gz"))
    public_port = int(os.environ.get("NPT_PUBLIC_PORT", 8080))
    # Without a Twilio account, SMS goes to the simulator page of the web app.
    simulated = sms_simulated()
    # As root, PostgreSQL runs as the system user `postgres` and nginx's worker as www-data,
    # which cannot enter the project's var/ (its owner's only): their folders are then in
    # /var/lib/npt-prod/.
    services_dir = Path("/var/lib/npt-prod") if os.geteuid() == 0 else None
    production = Production(model, public_port=public_port, services_dir=services_dir,
                            env=simulator_env(public_port) if simulated else None)
    print("Starting PostgreSQL, Redis, 2 action servers, 2 Rasa servers, the web app, the "
          "scheduler and nginx (a few minutes)...", flush=True)

    def addresses() -> list[str]:
        web = production.web_url
        return [
            f"Web chat: {web}", f"Back-office: {web}backoffice",
            *([f"SMS simulator (no Twilio account set): {web}sms-simulator"] if simulated
              else []),
            f"Metrics (Prometheus, loopback only): {production.metrics_url}",
            f"PostgreSQL: {production.env['NPT_DATABASE_URL']} (data in "
            f"{production.postgres_dir})",
            f"Logs: {production.log_dir}/ and {production.base}/nginx/   (Ctrl-C stops "
            "everything)"]

    def check() -> None:
        # A server that stops is started again; the others go on meanwhile.
        for name in production.supervise():
            print(f"{name} stopped unexpectedly and was started again (log "
                  f"{production.process(name).log_path})", file=sys.stderr, flush=True)

    return serve_until_stopped(production.start, addresses, check, production.stop, 1)


if __name__ == "__main__":
    sys.exit(main())
