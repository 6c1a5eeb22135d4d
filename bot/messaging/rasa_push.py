"""Proactive messages go out exactly like replies: Rasa runs an external intent in the
person's conversation and sends what the action says through that channel's output channel.

`push_intent` calls Rasa's HTTP API (`POST /conversations/{id}/trigger_intent`), which Rasa
serves only with `--enable-api`; the token (`NPT_RASA_TOKEN`) keeps it private.
"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request


# Rasa's server does not percent-decode the conversation id of the path: characters that are
# legal in a path as they are ("+" of a phone number, "@", ":"...) must be sent as they are, or
# the message goes to a conversation named "%2B336..." (and an SMS to that "number").
SENDER_SAFE = "+@:!$&'()*,;=-._~"


class PushError(Exception):
    """Rasa did not take the message (down, refused, or no such channel)."""


def rasa_url() -> str:
    return os.environ.get("NPT_RASA_URL", f"http://127.0.0.1:{os.environ.get('NPT_RASA_PORT', '5005')}")


def push_intent(sender_id: str, channel: str, intent: str, entities: dict | None = None,
                url: str | None = None, token: str | None = None, timeout: float = 30) -> list:
    """Trigger `intent` in the conversation of `sender_id` on `channel`.

    Returns the messages Rasa collected (only the REST channel collects them; the others
    send them to the person directly). Raises PushError on any failure.
    """
    token = token if token is not None else os.environ.get("NPT_RASA_TOKEN", "")
    query = {"output_channel": channel}
    if token:
        query["token"] = token
    address = (f"{(url or rasa_url()).rstrip('/')}/conversations/"
               f"{urllib.parse.quote(sender_id, safe=SENDER_SAFE)}/trigger_intent?"
               f"{urllib.parse.urlencode(query)}")
    body = json.dumps({"name": intent, "entities": entities or {}}).encode()
    request = urllib.request.Request(address, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raise PushError(f"Rasa answered {error.code} for {channel}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise PushError(f"Rasa unreachable at {url or rasa_url()}: {error}") from error
    return list(answer.get("messages") or [])
