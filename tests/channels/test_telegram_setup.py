"""`npt telegram set-webhook`: an explicit command (start-up never calls Telegram) that
registers the HTTPS webhook with the secret token, against a fake Bot API on loopback."""
from __future__ import annotations

import pytest

from bot.cli import main
from tests.support.fake_telegram import SECRET_TOKEN, FakeTelegram


@pytest.fixture
def fake(monkeypatch):
    telegram = FakeTelegram().start()
    for name, value in telegram.env().items():
        monkeypatch.setenv(name, value)
    yield telegram
    telegram.stop()


def test_the_webhook_is_registered_with_the_secret_token(fake, capsys):
    assert main(["telegram", "set-webhook", "--url", "https://npt.example.org/"]) == 0
    [call] = fake.called("setWebhook")
    assert call["url"] == "https://npt.example.org/webhooks/telegram/webhook"
    assert call["secret_token"] == SECRET_TOKEN
    assert "npt.example.org/webhooks/telegram/webhook" in capsys.readouterr().out


def test_an_http_address_or_missing_token_is_a_clear_error(fake, monkeypatch, capsys):
    assert main(["telegram", "set-webhook", "--url", "http://npt.example.org"]) == 2
    assert "https://" in capsys.readouterr().err
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    assert main(["telegram", "set-webhook", "--url", "https://npt.example.org"]) == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err
    assert fake.called("setWebhook") == []
