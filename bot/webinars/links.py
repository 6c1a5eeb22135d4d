"""The addresses a registrant receives: the invitation (.ics) and the cancellation page, on the
web app (bot/web/webinar_pages.py). Each carries the registration's secret token, never an id
that could be counted through."""
from __future__ import annotations

import os
import secrets


def new_token() -> str:
    """A fresh secret for a registration's links (256 bits)."""
    return secrets.token_urlsafe(32)


def public_base() -> str:
    """Where people reach the web app: NPT_PUBLIC_URL when set, else the local web app."""
    public = os.environ.get("NPT_PUBLIC_URL", "").strip().rstrip("/")
    return public or f"http://localhost:{os.environ.get('NPT_WEB_PORT', '8000')}"


def invitation_url(token: str) -> str:
    return f"{public_base()}/webinaires/{token}/invitation.ics"


def cancel_url(token: str) -> str:
    return f"{public_base()}/webinaires/{token}/annuler"
