"""nginx in front of the production mode (Debian package `nginx`, installed by `make
services`), with the configuration of scripts/services/nginx.conf.in, in a directory of its own.
As root its worker runs as www-data."""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from scripts.services.process import start_bound, terminate, wait_ready

TEMPLATE = Path(__file__).with_name("nginx.conf.in")
START_TIMEOUT = 30.0
WORKER_USER = "www-data"
INSTALL_HINT = ("run `make services` (as root it installs the Debian package `nginx`), "
                "or `sudo apt-get install nginx`")


class NginxUnavailable(Exception):
    """nginx cannot be found or started; the message says why."""


def _binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None)


def render(base: Path, temp: Path, public_port: int, actions_port: int, rasa_api_port: int, web_port: int,
           rasa_ports: list[int], action_ports: list[int], simulator: bool) -> str:
    servers = lambda ports: "\n".join(  # noqa: E731
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in ports)
    user = ""
    if os.geteuid() == 0:
        user = f"user {WORKER_USER};"
    values = {"BASE": str(base), "TEMP": str(temp), "USER": user, "PUBLIC_PORT": str(public_port),
              "ACTIONS_PORT": str(actions_port), "RASA_API_PORT": str(rasa_api_port),
              "WEB_PORT": str(web_port), "RASA_SERVERS": servers(rasa_ports),
              "ACTION_SERVERS": servers(action_ports),
              # The SMS simulator only where no real Twilio account is set (as `make run`).
              "SIMULATOR": "proxy_pass http://web;" if simulator else "return 404;"}
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


@dataclass
class Nginx:
    base: Path
    config: str = ""
    ports: list[int] = field(default_factory=list)  # the ports it listens on
    temp: Path | None = None  # its buffers: a folder its worker's user can reach
    process: subprocess.Popen | None = None

    @property
    def error_log(self) -> Path:
        return self.base / "error.log"

    def start(self) -> None:
        binary = _binary()
        if binary is None:
            raise NginxUnavailable(f"nginx is not installed: {INSTALL_HINT}")
        self.base.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = self.temp or self.base / "tmp"
        temp.mkdir(mode=0o700, exist_ok=True)
        if os.geteuid() == 0:  # the worker (www-data) buffers large bodies there
            entry = pwd.getpwnam(WORKER_USER)
            os.chown(temp, entry.pw_uid, entry.pw_gid)
        conf = self.base / "nginx.conf"
        conf.write_text(self.config)
        check = subprocess.run([binary, "-t", "-q", "-p", str(self.base), "-e", str(self.error_log),
                                "-c", str(conf)], capture_output=True, text=True)
        if check.returncode != 0:
            raise NginxUnavailable(f"nginx refused its configuration {conf}:\n{check.stderr}")
        self.process = start_bound(
            [binary, "-p", str(self.base), "-e", str(self.error_log), "-c", str(conf),
             "-g", "daemon off;"], self.base)
        tail = wait_ready(self.process, lambda: all(self._listening(port) for port in self.ports),
                          START_TIMEOUT, self.error_log)
        if tail is not None:
            self.stop()
            raise NginxUnavailable(f"nginx did not start:\n{tail}")

    @staticmethod
    def _listening(port: int) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    def stop(self) -> None:
        process, self.process = self.process, None
        terminate(process)  # SIGTERM: nginx's fast shutdown
