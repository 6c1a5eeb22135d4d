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
