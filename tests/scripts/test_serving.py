"""`make run` and `make run-prod` share one way to serve: start, say where, watch, and stop on
Ctrl-C, on SIGTERM, or when the watch says so, with the exit code the operator sees."""
from __future__ import annotations

import os
import signal
import threading

from scripts.servers import serve_until_stopped


class Recorder:
    def __init__(self, checks=()):
        self.calls: list[str] = []
        self.checks = list(checks)

    def start(self):
        self.calls.append("start")

    def addresses(self):
        self.calls.append("addresses")
        return ["Web chat: http://localhost:8000/"]

    def check(self):
        self.calls.append("check")
        return self.checks.pop(0) if self.checks else None

    def stop(self):
        self.calls.append("stop")


def test_a_server_that_dies_ends_the_run_with_its_code_and_everything_stops(capsys):
    run = Recorder(checks=[None, None, 1])
    assert serve_until_stopped(run.start, run.addresses, run.check, run.stop, 0.01) == 1
    assert run.calls == ["start", "addresses", "check", "check", "check", "stop"]
    assert "Web chat: http://localhost:8000/" in capsys.readouterr().out


def test_a_start_that_fails_is_said_and_ends_with_1(capsys):
    run = Recorder()

    def fail():
        raise RuntimeError("port(s) [8000] already in use")

    assert serve_until_stopped(fail, run.addresses, run.check, run.stop, 0.01) == 1
    assert "Could not start: port(s) [8000] already in use" in capsys.readouterr().err
    assert run.calls == []  # nothing printed as if it were running


def test_sigterm_stops_everything_and_ends_with_0(capsys):
    run = Recorder()
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        assert serve_until_stopped(run.start, run.addresses, run.check, run.stop, 0.01) == 0
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    assert run.calls[-1] == "stop" and run.calls.count("stop") == 1
    assert "Stopping..." in capsys.readouterr().out
