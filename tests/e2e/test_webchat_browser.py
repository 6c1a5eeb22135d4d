"""The web chat in headless Chromium: a person completes the diagnostic with buttons."""
from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import expect

from tests.support.browser import answer_the_diagnostic, book_in_the_web_chat

pytestmark = pytest.mark.browser


def last_bot(page):
    return page.locator(".msg.bot").last


def test_a_person_completes_the_diagnostic_in_the_web_chat(assistant, page, tmp_path):
    page.goto(assistant.web_url)
    expect(page.locator("#status")).to_have_attribute("data-state", "connected", timeout=30_000)
    expect(last_bot(page)).to_contain_text("On commence ?", timeout=30_000)
    expect(page.locator(".msg.bot").first).to_contain_text("Métropole du Grand Paris")
    answer_the_diagnostic(page)
    result = page.locator(".msg.bot", has_text="Merci pour vos réponses")
    expect(result).to_contain_text("pour vos démarches")
    expect(page.locator("#messages")).to_have_attribute("aria-live", "polite")
    page.screenshot(path=str(tmp_path / "webchat-result.png"), full_page=True)

    with sqlite3.connect(assistant.db_url.removeprefix("sqlite:///")) as db:
        stored = db.execute("select level, score, channel from diagnostic_results "
                            "where channel = 'socketio'").fetchall()
    assert ("eloigne", 3, "socketio") in stored


def test_the_web_chat_works_with_the_keyboard_alone(assistant, page):
    page.goto(assistant.web_url)
    expect(last_bot(page)).to_contain_text("On commence ?", timeout=30_000)
    # Tab to the "Oui" button and press it, then answer by typing.
    buttons = page.locator(".quick-replies button")
    expect(buttons).to_have_count(2)
    buttons.first.focus()
    page.keyboard.press("Enter")
    expect(last_bot(page)).to_contain_text("Quel appareil avez-vous ?", timeout=30_000)
    page.locator("#chat-input").focus()
    page.keyboard.type("les deux")
    page.keyboard.press("Enter")
    expect(last_bot(page)).to_contain_text("Avez-vous internet ?", timeout=30_000)
    expect(page.locator(".msg.user").last).to_contain_text("les deux")
    # the input has a label a screen reader announces
    assert page.locator("label[for='chat-input']").count() == 1


def test_a_person_books_in_the_web_chat_from_a_shared_location(assistant):
    """Diagnostic with buttons, then "Envoyer ma position" (Saint-Denis), a place, a slot, a
    first name: the confirmation is on the page and the booking in the database."""
    reference = book_in_the_web_chat(assistant.web_url, "Fatima")
    with sqlite3.connect(assistant.db_url.removeprefix("sqlite:///")) as connection:
        booked = connection.execute(
            "select reference, channel from bookings where first_name = 'Fatima' and "
            "channel = 'socketio' and status = 'booked'").fetchall()
    assert any(ref in reference for ref, _ in booked), (reference, booked)
