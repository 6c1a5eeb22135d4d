"""The web app that serves the chat page: what it serves, and what it refuses."""
from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e


def get(assistant, path: str):
    address = urlsplit(assistant.web_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request("GET", path)  # sent as is: no client-side normalisation of ".."
    answer = connection.getresponse()
    return answer.status, answer.headers, answer.read()  # headers: case-insensitive


def test_the_page_is_french_accessible_and_points_at_rasa(assistant):
    status, headers, body = get(assistant, "/")
    page = body.decode("utf-8")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<html lang="fr"' in page and 'role="log"' in page and 'name="viewport"' in page
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    status, _, body = get(assistant, "/config.js")
    assert status == 200
    config = json.loads(body.decode().split("=", 1)[1].strip().rstrip(";"))
    assert config["socketUrl"] == f"http://localhost:{assistant.rasa_port}"
    assert get(assistant, "/vendor/socket.io.min.js")[0] == 200
    assert json.loads(get(assistant, "/health")[2]) == {"status": "ok"}


@pytest.mark.parametrize("path", ["/../pyproject.toml", "/%2e%2e/pyproject.toml",
                                  "/vendor/../../app.py", "/nothing-here", "/.hidden"])
def test_nothing_outside_the_static_folder_is_served(assistant, path):
    status, _, body = get(assistant, path)
    assert status == 404
    assert b"[project]" not in body and b"Sanic" not in body
