"""`npt telegram set-webhook`: tell Telegram where to send updates (an explicit step, never a
side effect of start-up, so that the assistant starts offline)."""
from __future__ import annotations

import asyncio
import os


class TelegramSetupError(Exception):
    """A precise reason why the webhook could not be set."""


def webhook_url(public_url: str) -> str:
    if not public_url.startswith("https://"):
        raise TelegramSetupError(f"Telegram only calls HTTPS addresses: NPT_PUBLIC_URL (or --url) "
                                 f"must start with https://, not {public_url!r}")
    return public_url.rstrip("/") + "/webhooks/telegram/webhook"


def set_webhook(public_url: str | None = None) -> str:
    """Register the webhook with the secret token; returns the URL registered."""
    from telegram import Bot
    from telegram.error import TelegramError

    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    secret = os.environ.get("TELEGRAM_SECRET_TOKEN", "").strip()
    if not token or not secret:
        raise TelegramSetupError("set TELEGRAM_BOT_TOKEN and TELEGRAM_SECRET_TOKEN first")
    url = webhook_url(public_url or os.environ.get("NPT_PUBLIC_URL", "").strip())
    base = os.environ.get("TELEGRAM_API_BASE_URL", "").strip().rstrip("/")

    async def register() -> None:
        bot = Bot(token, base_url=base + "/bot") if base else Bot(token)
        async with bot:
            await bot.set_webhook(url=url, secret_token=secret,
                                  allowed_updates=["message", "edited_message", "callback_query"])

    try:
        asyncio.run(register())
    except TelegramError as error:
        raise TelegramSetupError(f"Telegram refused: {error}") from None
    except OSError as error:
        raise TelegramSetupError(f"Telegram is not reachable: {error}") from None
    return url
