"""Rasa calls the action server through `EndpointConfig.request` (rasa 3.6.21), which opens a
new aiohttp session for every call: a new TCP connection each time (2.7 % of Rasa's busy time
under a diagnostic load, issue 14), and the whole conversation encoded by the standard `json`
module (4 %: every call sends every event of the conversation).

`install()` gives every session Rasa opens the same headers, authentication and timeout as
before, with two changes:
- its connections come from one pool per event loop, kept open between calls (the session is
  not the pool's owner, so closing the session after the call leaves the pool open). An idle
  connection is dropped after KEEPALIVE_SECONDS, before the action server (Sanic, 5 s) or nginx
  drops it, so a call does not go out on a connection the other end is closing. A server that
  died takes its connections with it; the next call opens a new one, as before. The pool has no
  limit on connections, as the sessions it replaces had none between them.
- the JSON body is written by ujson (pinned in requirements.lock; it comes with Rasa), about
  twice as fast as `json` on a conversation, and read back to the same values.

Called by scripts/rasa_server.py before Rasa starts. It refuses to run when
`EndpointConfig.session` is not the one it was written for, so a Rasa upgrade looks at it
again."""
from __future__ import annotations

import asyncio
import weakref

import aiohttp
import ujson

from connectors.rasa_checked import to_replace

# An idle kept connection is closed after this many seconds (Sanic's keep-alive is 5 s).
KEEPALIVE_SECONDS = 2.0
# The source of the method replaced, as in rasa 3.6.21: checked at install.
_EXPECTED = ("aiohttp.BasicAuth(", "aiohttp.ClientSession(", "headers=self.headers",
             "timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT)")

_pools: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.TCPConnector]" = (
    weakref.WeakKeyDictionary())


def dumps(value) -> str:
    """JSON text of a request body (the standard module's output, read back, is the same)."""
    return ujson.dumps(value, ensure_ascii=True)


def pool() -> aiohttp.TCPConnector:
    """The running event loop's pool of kept connections (a closed one is replaced)."""
    loop = asyncio.get_running_loop()
    connector = _pools.get(loop)
    if connector is None or connector.closed:
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE_SECONDS)
        _pools[loop] = connector
    return connector


def install() -> None:
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    original = to_replace(EndpointConfig, "session", _EXPECTED, "connectors/action_endpoint.py",
                          "npt_pooled")
    if original is None:
        return

    def session(self) -> aiohttp.ClientSession:
        try:
            connector = pool()
        except RuntimeError:  # no running event loop: Rasa's own session
            return original(self)
        auth = None
        if self.basic_auth:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        return aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=connector,
            connector_owner=False,
            json_serialize=dumps,
        )

    session.npt_pooled = True
    session.npt_original = original
    EndpointConfig.session = session
