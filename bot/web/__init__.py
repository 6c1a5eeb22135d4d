"""Web chat page of the assistant (static page + tiny Sanic app)."""
from __future__ import annotations

from bot.web.app import create_app

__all__ = ["create_app"]
