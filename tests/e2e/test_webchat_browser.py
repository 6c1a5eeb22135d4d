"""The web chat in headless Chromium: a person completes the diagnostic with buttons."""
from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import launch

pytestmark = pytest.mark.browser

# (button to click, or None to type the number, text of the next bot message)
PATH = [
    ("Oui", "Quel appareil avez-vous ?"),
    ("Un smartphone", "Avez-vous internet ?"),
    ("Seulement sur mon téléphone", "avez-vous utilisé internet ?"),
    ("Un peu", "cherché une information"),
    ("Oui, avec de l'aide", "envoyé un message"),
    (None, "rempli un formulaire"),  # typed "1": "Oui, seul(e)"
    ("Non", "créé un compte"),
    ("Non", "démarche en ligne jusqu'au bout"),
    ("Non", "Pour quoi voulez-vous de l'aide ?"),
    ("Démarches (CAF, impôts...)", "aide particulière"),
    ("Non", "Merci pour vos réponses"),
]


def last_bot(page):
    return page.locator(".msg.bot").last


def test_a_person_completes_the_diagnostic_in_the_web_chat(assistant, page, tmp_path):
    page.goto(assistant.web_url)
    expect(page.locator("#status")).to_have_attribute("data-state", "connected", timeout=30_000)
    expect(last_bot(page)).to_contain_text("On commence ?", timeout=30_000)
    expect(page.locator(".msg.bot").first).to_contain_text("Métropole du Grand Paris")
    for label, expected in PATH:
        if label is None:
            page.locator("#chat-input").fill("1")
            page.keyboard.press("Enter")
        else:
            page.locator(".quick-replies button", has_text=label).first.click()
        expect(page.locator(".msg.bot", has_text=expected)).to_have_count(1, timeout=30_000)
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
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 390, "height": 800}, locale="fr-FR",
                                      geolocation={"latitude": 48.9362, "longitude": 2.3574},
                                      permissions=["geolocation"])
        page = context.new_page()
        try:
            page.goto(assistant.web_url)
            expect(last_bot(page)).to_contain_text("On commence ?", timeout=30_000)
            for label, expected in PATH:
                if label is None:
                    page.locator("#chat-input").fill("1")
                    page.keyboard.press("Enter")
                else:
                    page.locator(".quick-replies button", has_text=label).first.click()
                expect(page.locator(".msg.bot", has_text=expected)).to_have_count(1, timeout=30_000)
            expect(page.locator(".msg.bot", has_text="Dans quelle ville habitez-vous ?")
                   ).to_have_count(1, timeout=30_000)
            page.locator(".quick-replies button", has_text="Envoyer ma position").click()
            expect(page.locator(".msg.bot", has_text="Quel lieu choisissez-vous ?")
                   ).to_have_count(1, timeout=30_000)
            page.locator(".quick-replies button", has_text="La Poste de Saint-Denis").click()
            expect(page.locator(".msg.bot", has_text="rendez-vous libres")).to_have_count(
                1, timeout=30_000)
            page.locator(".quick-replies button").first.click()
            expect(page.locator(".msg.bot", has_text="Quel est votre prénom ?")).to_have_count(
                1, timeout=30_000)
            page.locator("#chat-input").fill("Fatima")
            page.keyboard.press("Enter")
            expect(page.locator(".msg.bot", has_text="C'est réservé, Fatima")).to_have_count(
                1, timeout=30_000)
            reference = page.locator(".msg.bot", has_text="Votre référence").inner_text()
        finally:
            browser.close()
    with sqlite3.connect(assistant.db_url.removeprefix("sqlite:///")) as connection:
        booked = connection.execute(
            "select reference, channel from bookings where first_name = 'Fatima' and "
            "channel = 'socketio' and status = 'booked'").fetchall()
    assert any(ref in reference for ref, _ in booked), (reference, booked)
