"""Proactive messages go out exactly like replies: Rasa runs an external intent in the
person's conversation and sends what the action says through that channel's output channel.

`push_intent` calls Rasa's HTTP API (`POST /conversations/{id}/trigger_intent`), which Rasa
serves only with `--enable-api`; the token (`NPT_RASA_TOKEN`) keeps it private.

A failed push says whether Rasa may have taken the message all the same: once the whole request
is sent, Rasa may be running the action (and sending the SMS) while the answer is late or the
connection breaks. Such a push (`PushUncertain`) must not be tried again automatically, or the
person could get the message twice; only a push Rasa certainly did not take (no connection, or
an HTTP error status answered) is retried.
"""
from __future__ import annotations

import http.client
import json
import os
import urllib.parse


# Rasa's server does not percent-decode the conversation id of the path: characters that are
# legal in a path as they are ("+" of a phone number, "@", ":"...) must be sent as they are, or
# the message goes to a conversation named "%2B336..." (and an SMS to that "number").
SENDER_SAFE = "+@:!$&'()*,;=-._~"
DEFAULT_TIMEOUT = 30.0


class PushError(Exception):
    """Rasa did not take the message (down, refused, or an error status answered): it may be
    tried again."""

    maybe_delivered = False


class PushUncertain(PushError):
    """The request was sent but no answer came (timeout, connection broken): Rasa may have taken
    the message. Never retried automatically."""

    maybe_delivered = True


def rasa_url() -> str:
    return os.environ.get("NPT_RASA_URL", f"http://127.0.0.1:{os.environ.get('NPT_RASA_PORT', '5005')}")


def push_intent(sender_id: str, channel: str, intent: str, entities: dict | None = None,
                url: str | None = None, token: str | None = None,
                timeout: float = DEFAULT_TIMEOUT) -> list:
    """Trigger `intent` in the conversation of `sender_id` on `channel`.

    Returns the messages Rasa collected (only the REST channel collects them; the others
    send them to the person directly). Raises PushError when Rasa certainly did not take the
    message, PushUncertain (a PushError) when it may have.
    """
    base = (url or rasa_url()).rstrip("/")
    token = token if token is not None else os.environ.get("NPT_RASA_TOKEN", "")
    query = {"output_channel": channel}
    if token:
        query["token"] = token
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PushError(f"NPT_RASA_URL is not an http(s) address: {base!r}")
    path = (f"{parts.path}/conversations/{urllib.parse.quote(sender_id, safe=SENDER_SAFE)}"
            f"/trigger_intent?{urllib.parse.urlencode(query)}")
    body = json.dumps({"name": intent, "entities": entities or {}}).encode()
    connection_class = (http.client.HTTPSConnection if parts.scheme == "https"
                        else http.client.HTTPConnection)
    try:
        connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    except (OSError, ValueError) as error:  # a bad port in the address
        raise PushError(f"Rasa unreachable at {base}: {error}") from error
    try:
        try:
            # Connecting and sending: a failure here means Rasa never got the whole request.
            connection.request("POST", path, body=body,
                               headers={"Content-Type": "application/json"})
        except (OSError, http.client.HTTPException) as error:
            raise PushError(f"Rasa unreachable at {base}: {error}") from error
        try:
            # The request is sent: from now on Rasa may be running it.
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise PushUncertain(f"no answer from Rasa at {base} within {timeout:g} s "
                                f"after the push was sent ({error or type(error).__name__}): "
                                f"it may have been delivered") from error
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise PushError(f"Rasa answered {response.status} for {channel}")
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return []  # taken (a success status), whatever it says
    return list(answer.get("messages") or []) if isinstance(answer, dict) else []
