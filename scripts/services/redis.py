"""A real Redis server started by us, for Rasa's lock store in production mode.

`redis-server` (Debian package `redis-server`, installed by `make services`) on a loopback port,
in a directory of its own, without persistence: it only holds Rasa's conversation locks, which
mean nothing after a restart. If the process that started it is killed, so is the server
(parent-death signal)."""
from __future__ import annotations

import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from scripts.services.process import start_bound, terminate, wait_ready

START_TIMEOUT = 30.0
INSTALL_HINT = ("run `make services` (as root it installs the Debian package `redis-server`), "
                "or `sudo apt-get install redis-server`")


class RedisUnavailable(Exception):
    """Redis cannot be found or started; the message says why."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RedisServer:
    base: Path
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def log_file(self) -> Path:
        return self.base / "redis.log"

    def start(self) -> None:
        binary = shutil.which("redis-server") or (
            "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)
        if binary is None:
            raise RedisUnavailable(f"redis-server is not installed: {INSTALL_HINT}")
        self.base.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.port = self.port or _free_port()
        self.process = start_bound(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1",
             "--protected-mode", "yes", "--save", "", "--appendonly", "no",
             "--dir", str(self.base), "--logfile", str(self.log_file), "--daemonize", "no"],
            self.base)
        tail = wait_ready(self.process, self.ping, START_TIMEOUT, self.log_file)
        if tail is not None:
            self.stop()
            raise RedisUnavailable(f"redis-server did not start on port {self.port}:\n{tail}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        terminate(process)
