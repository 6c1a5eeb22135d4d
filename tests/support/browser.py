"""Headless Chromium (the Debian package's, or NPT_CHROMIUM) driven by Playwright.

Fixture: `page` (a phone-sized page in French; its browser is closed afterwards), for the
tests of the web chat of the running assistant (`assistant`). A test that needs Chromium fails,
never skips, when it is missing: `make test` installs it.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("NPT_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs the Debian package chromium")


def launch(playwright):
    """Chromium, from a `sync_playwright()` session."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


@pytest.fixture
def page(assistant):
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 390, "height": 800}, locale="fr-FR")
        page = context.new_page()
        yield page
        browser.close()


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


def answer_the_diagnostic(page) -> None:
    """Answer every question of PATH on an open web chat page, each answer once its question
    is there."""
    from playwright.sync_api import expect

    for label, expected in PATH:
        if label is None:
            page.locator("#chat-input").fill("1")
            page.keyboard.press("Enter")
        else:
            page.locator(".quick-replies button", has_text=label).first.click()
        expect(page.locator(".msg.bot", has_text=expected)).to_have_count(1, timeout=30_000)


def book_in_the_web_chat(web_url: str, first_name: str) -> str:
    """The whole way in the web chat at `web_url`, in its own browser: the diagnostic with
    buttons (PATH), "Envoyer ma position" (Saint-Denis), La Poste de Saint-Denis, the first
    slot, `first_name`. The confirmation's text, once it is on the page."""
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 390, "height": 800}, locale="fr-FR",
                                      geolocation={"latitude": 48.9362, "longitude": 2.3574},
                                      permissions=["geolocation"])
        page = context.new_page()
        bot = page.locator(".msg.bot")
        try:
            page.goto(web_url)
            expect(bot.last).to_contain_text("On commence ?", timeout=30_000)
            answer_the_diagnostic(page)
            expect(bot.filter(has_text="Dans quelle ville habitez-vous ?")).to_have_count(
                1, timeout=30_000)
            page.locator(".quick-replies button", has_text="Envoyer ma position").click()
            expect(bot.filter(has_text="Quel lieu choisissez-vous ?")).to_have_count(
                1, timeout=30_000)
            page.locator(".quick-replies button", has_text="La Poste de Saint-Denis").click()
            expect(bot.filter(has_text="rendez-vous libres")).to_have_count(1, timeout=30_000)
            page.locator(".quick-replies button").first.click()
            expect(bot.filter(has_text="Quel est votre prénom ?")).to_have_count(
                1, timeout=30_000)
            page.locator("#chat-input").fill(first_name)
            page.keyboard.press("Enter")
            expect(bot.filter(has_text=f"C'est réservé, {first_name}")).to_have_count(
                1, timeout=30_000)
            return bot.filter(has_text="Votre référence").inner_text()
        finally:
            browser.close()
