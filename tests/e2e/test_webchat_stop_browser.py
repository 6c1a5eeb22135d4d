"""STOP and START in the web chat, in headless Chromium: after STOP the assistant answers
nothing and the page says why by itself (chat.js, TEXTS.stoppedNotice), even after a reload of
the page, which keeps its session (localStorage); START resumes the diagnostic at the question
it was at."""
from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from playwright.sync_api import expect

from tests.support.databases import rows

pytestmark = pytest.mark.browser

NOTICE = "Vous avez écrit STOP : l'assistant ne vous répond plus"
STOPPED = "vous ne recevrez plus de messages"  # chat_stopped
EQUIPMENT = "Quel appareil avez-vous ?"
INTERNET = "Avez-vous internet ?"
SILENCE_MS = 3_000  # how long an answer that must not come is waited for
TIMEOUT = 30_000


def bot(page, text: str):
    return page.locator(".msg.bot", has_text=text)


def type_message(page, text: str) -> None:
    page.locator("#chat-input").fill(text)
    page.keyboard.press("Enter")


def stored_session_id(page) -> str | None:
    return page.evaluate("() => window.localStorage.getItem('npt_session_id')")


def user_turns(assistant, conversation: str) -> int:
    [(count,)] = rows(assistant.tracker_url, "select count(*) from events where sender_id = ? "
                      "and type_name = 'user'", conversation)
    return count


def assert_only_the_notice_comes(page, assistant, conversation: str, sent: str) -> None:
    """Type `sent`: the page shows its own notice, and after a while still nothing else came
    from the assistant, and the message never reached the conversation."""
    bots, notices = page.locator(".msg.bot").count(), bot(page, NOTICE).count()
    turns = user_turns(assistant, conversation)
    type_message(page, sent)
    expect(page.locator(".msg.user").last).to_contain_text(sent)
    expect(bot(page, NOTICE)).to_have_count(notices + 1, timeout=TIMEOUT)
    expect(page.locator(".msg.bot").last).to_contain_text(NOTICE)
    page.wait_for_timeout(SILENCE_MS)
    assert page.locator(".msg.bot").count() == bots + 1  # the notice, nothing from the assistant
    assert bot(page, INTERNET).count() == 0
    assert user_turns(assistant, conversation) == turns


def test_stop_silences_the_web_chat_across_a_reload_until_start(assistant, page):
    page.goto(assistant.web_url)
    expect(page.locator("#status")).to_have_attribute("data-state", "connected", timeout=TIMEOUT)
    expect(page.locator(".msg.bot").last).to_contain_text("On commence ?", timeout=TIMEOUT)
    page.locator(".quick-replies button", has_text="Oui").first.click()  # the consent
    expect(bot(page, EQUIPMENT)).to_have_count(1, timeout=TIMEOUT)

    # The session id the page keeps is the one the server issued: 128 random bits and their
    # MAC under the assistant's key, 64 hex characters.
    session_id = stored_session_id(page)
    assert session_id and re.fullmatch(r"[0-9a-f]{64}", session_id), session_id
    random_part, mac = session_id[:32], session_id[32:]
    assert mac == hmac.new(assistant.secret, f"web-session:{random_part}".encode(),
                           hashlib.sha256).hexdigest()[:32]
    conversation = f"web:{random_part}"
    assert user_turns(assistant, conversation) >= 2  # /greet and the consent

    # STOP: one confirmation.
    type_message(page, "STOP")
    expect(bot(page, STOPPED)).to_have_count(1, timeout=TIMEOUT)
    assert page.evaluate("() => window.localStorage.getItem('npt_stopped')") == "1"

    # An answer to the question while stopped: no answer, the page's notice instead.
    assert_only_the_notice_comes(page, assistant, conversation, "2")

    # After a reload, the same session, and the notice again for a new message.
    page.reload()
    expect(page.locator("#status")).to_have_attribute("data-state", "connected", timeout=TIMEOUT)
    assert stored_session_id(page) == session_id  # confirmed by the server, not replaced
    assert_only_the_notice_comes(page, assistant, conversation, "bonjour")
    assert stored_session_id(page) == session_id

    # START: "Reprenons", and the question the person was at, with its choices, comes again.
    type_message(page, "START")
    expect(bot(page, "Reprenons")).to_have_count(1, timeout=TIMEOUT)
    expect(bot(page, EQUIPMENT)).to_have_count(2, timeout=TIMEOUT)
    expect(page.locator(".msg.bot").last).to_contain_text(EQUIPMENT)
    assert page.evaluate("() => window.localStorage.getItem('npt_stopped')") is None
    notices = bot(page, NOTICE).count()

    # Answering it goes on with the diagnostic: the next question.
    page.locator(".quick-replies button", has_text="Un smartphone").first.click()
    expect(bot(page, INTERNET)).to_have_count(1, timeout=TIMEOUT)
    assert bot(page, NOTICE).count() == notices  # no notice once started again
    assert stored_session_id(page) == session_id
