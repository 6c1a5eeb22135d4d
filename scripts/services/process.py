"""What the servers we start ourselves (Redis, nginx) share: started bound to our life (the
kernel's parent-death signal, where setpriv exists), waited for until ready, stopped."""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Callable


def start_bound(command: list[str], cwd: Path) -> subprocess.Popen:
    """`command` in its own session; it gets SIGTERM if the process that started it dies."""
    prefix = [shutil.which("setpriv"), "--pdeathsig", "SIGTERM", "--"] \
        if shutil.which("setpriv") else []
    return subprocess.Popen([*prefix, *command], cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_ready(process: subprocess.Popen, ready: Callable[[], bool], timeout: float,
               log: Path) -> str | None:
    """None once `ready()`; else (the process ended, or `timeout` passed) the tail of `log`."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
        time.sleep(0.05)
    return None


def terminate(process: subprocess.Popen | None) -> None:
    """SIGTERM, then SIGKILL after 10 s; nothing when it already ended."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
