"""The web app: the web chat page and the back-office (bot/web/backoffice).

The chat page talks to Rasa's Socket.IO channel directly from the browser; for it this app only
serves files, the page's configuration (`/config.js`) and a health check. The back-office pages
live under /backoffice. It imports nothing from Rasa, so it starts in a second and can run next
to the Rasa server.
"""
from __future__ import annotations

import itertools
import json
import mimetypes
import os
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit

from sanic import Sanic, response
from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.web.backoffice.blueprint import backoffice_blueprint
from bot.web.simulator import simulator_blueprint
from bot.web.webinar_pages import webinar_blueprint

STATIC_DIR = Path(__file__).resolve().parent / "static"
INDEX_FILE = STATIC_DIR / "index.html"

DEFAULT_SOCKET_URL = "http://localhost:5005"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000

ENV_SOCKET_URL = "NPT_SOCKET_URL"
ENV_HOST = "NPT_WEB_HOST"
ENV_PORT = "NPT_WEB_PORT"

# Sanic keeps a process-wide registry of apps by name: every app gets its own.
_APP_NUMBERS = itertools.count(1)

# Pages and scripts must be revalidated so that a new version reaches people at once.
_NO_CACHE_SUFFIXES = (".html", ".js", ".css")


def socket_url_from_env() -> str:
    """The Socket.IO server the page connects to (env NPT_SOCKET_URL)."""
    return os.environ.get(ENV_SOCKET_URL, "").strip() or DEFAULT_SOCKET_URL


def config_js(socket_url: str) -> str:
    """JavaScript defining `window.NPT_CONFIG` for the page."""
    # json.dumps escapes quotes and control characters; "<" is escaped too for good measure.
    config = json.dumps({"socketUrl": socket_url}, ensure_ascii=True).replace("<", "\\u003c")
    return f"window.NPT_CONFIG = {config};\n"


def _connect_sources(socket_url: str) -> str:
    """CSP connect-src allowing this site and the Socket.IO server (HTTP and WebSocket)."""
    sources = ["'self'"]
    parts = urlsplit(socket_url)
    if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc:
        secure = parts.scheme in ("https", "wss")
        for scheme in (("https", "wss") if secure else ("http", "ws")):
            sources.append(f"{scheme}://{parts.netloc}")
    return " ".join(sources)


def content_security_policy(socket_url: str) -> str:
    """A strict policy: only this site's files, and connections to the Socket.IO server."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src {_connect_sources(socket_url)}",
            "object-src 'none'",
            "base-uri 'none'",
        ]
    )


def _static_target(file_path: str) -> Path | None:
    """The file of static/ that `file_path` names, or None (missing, folder, or outside)."""
    parts = Path(file_path).parts
    if not parts or any(part in ("..", "") or part.startswith((".", "/", "\\")) for part in parts):
        return None
    target = (STATIC_DIR / Path(*parts)).resolve()
    try:
        target.relative_to(STATIC_DIR)
    except ValueError:
        return None
    return target if target.is_file() else None


def create_app(socket_url: str | None = None, name: str | None = None) -> Sanic:
    """Build the web chat app.

    `socket_url` defaults to env NPT_SOCKET_URL (else http://localhost:5005); `name` defaults to
    a name unique in this process.
    """
    socket_url = socket_url or socket_url_from_env()
    app = Sanic(name or f"npt_web_chat_{next(_APP_NUMBERS)}")
    # Only small forms are ever posted here (the back-office): refuse anything bigger.
    app.config.REQUEST_MAX_SIZE = 256 * 1024
    csp = content_security_policy(socket_url)
    config_body = config_js(socket_url)

    @app.get("/")
    async def index(request: Request) -> HTTPResponse:
        return await response.file(INDEX_FILE, mime_type="text/html; charset=utf-8")

    @app.get("/config.js")
    async def config(request: Request) -> HTTPResponse:
        return response.text(
            config_body, content_type="application/javascript; charset=utf-8"
        )

    @app.get("/health")
    async def health(request: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/metrics")
    async def metrics(request: Request) -> HTTPResponse:
        """Prometheus' scrape of every process of the assistant (bot/metrics.py). Never behind
        the public proxy; with NPT_METRICS_TOKEN set, the scraper also sends it as a bearer
        token."""
        import asyncio
        import hmac

        from bot import metrics as figures

        token = os.environ.get("NPT_METRICS_TOKEN", "").strip()
        given = request.headers.get("authorization", "")
        if token and not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return response.text("unauthorized\n", status=401)
        body = await asyncio.to_thread(figures.exposition)
        return response.raw(body, content_type=figures.CONTENT_TYPE)

    # The back-office (/backoffice/...), registered before the catch-all of static files.
    app.blueprint(backoffice_blueprint())
    # The SMS simulator (/sms-simulator), answering 404 unless NPT_SMS_SIMULATOR=1.
    app.blueprint(simulator_blueprint())
    # A webinar registrant's invitation and cancellation links (/webinaires/<token>/...).
    app.blueprint(webinar_blueprint())

    @app.get("/<file_path:path>")
    async def static_file(request: Request, file_path: str) -> HTTPResponse:
        """Everything else in static/ (chat.css, chat.js, vendor/…), nothing outside it."""
        if file_path in ("backoffice/", "sms-simulator/"):  # the catch-all takes these before
            return response.redirect("/" + file_path.rstrip("/"), status=301)  # the blueprints
        target = _static_target(file_path)
        if target is None:
            raise NotFound("Page introuvable.")
        modified = formatdate(target.stat().st_mtime, usegmt=True)
        if request.headers.get("if-modified-since") == modified:
            return HTTPResponse(status=304, headers={"Last-Modified": modified})
        mime_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if mime_type.startswith("text/") or mime_type.endswith("javascript"):
            mime_type += "; charset=utf-8"
        return await response.file(
            target, mime_type=mime_type, headers={"Last-Modified": modified}
        )

    @app.exception(NotFound)
    async def not_found(request: Request, exception: NotFound) -> HTTPResponse:
        return response.text("Page introuvable.", status=404)

    @app.on_response
    async def add_headers(request: Request, resp: HTTPResponse) -> None:
        path = request.path
        if path == "/" or path.endswith(_NO_CACHE_SUFFIXES):
            resp.headers["Cache-Control"] = "no-cache"
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        content_type = resp.headers.get("Content-Type", "") or (resp.content_type or "")
        if content_type.startswith("text/html"):
            resp.headers["Content-Security-Policy"] = csp + "; frame-ancestors 'none'"

    return app


def main() -> None:
    """Run the app: env NPT_WEB_HOST (127.0.0.1), NPT_WEB_PORT (8000), one worker."""
    host = os.environ.get(ENV_HOST, "").strip() or DEFAULT_HOST
    port_text = os.environ.get(ENV_PORT, "").strip()
    try:
        port = int(port_text) if port_text else DEFAULT_PORT
    except ValueError:
        raise SystemExit(f"{ENV_PORT} must be a port number, not {port_text!r}") from None
    app = create_app()
    app.run(
        host=host,
        port=port,
        workers=1,
        auto_reload=False,
        debug=False,
        access_log=False,
    )
