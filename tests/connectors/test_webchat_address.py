"""Where a web chat connection comes from: engine.io's Sanic driver writes 127.0.0.1 for every
client, so the peer is read from the Sanic request (wrong organisation codes count by it)."""
from __future__ import annotations

from connectors.webchat import address_of


class Headers:
    def __init__(self, forwarded: list[str]):
        self.forwarded = forwarded

    def getall(self, name: str, default=None):
        return list(self.forwarded) if name == "x-forwarded-for" and self.forwarded else default


class Request:
    def __init__(self, ip: str, forwarded: list[str] | None = None):
        self.ip, self.headers = ip, Headers(forwarded or [])


def test_the_peer_counts_not_the_drivers_placeholder(monkeypatch):
    monkeypatch.delenv("NPT_TRUST_PROXY", raising=False)
    environ = {"REMOTE_ADDR": "127.0.0.1", "sanic.request": Request("203.0.113.9", ["1.2.3.4"])}
    assert address_of(environ) == "203.0.113.9"  # a forged X-Forwarded-For is ignored
    assert address_of({"REMOTE_ADDR": "127.0.0.1"}) == "127.0.0.1"
    # IPv6 clients count by /64, as for the back-office login.
    assert address_of({"sanic.request": Request("2001:db8:1:2::5")}) == "2001:db8:1:2::/64"


def test_behind_a_trusted_proxy_the_address_it_adds_counts(monkeypatch):
    monkeypatch.setenv("NPT_TRUST_PROXY", "1")
    environ = {"sanic.request": Request("10.0.0.2", ["198.51.100.1, 203.0.113.7"])}
    assert address_of(environ) == "203.0.113.7"
