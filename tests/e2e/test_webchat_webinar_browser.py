"""Registering for a webinar in the web chat, in headless Chromium: the sessions as buttons,
one question at a time, the confirmation with a clickable invitation link whose .ics the web
app serves; then the cancellation page of that registration, asked before it cancels."""
from __future__ import annotations

import re

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from tests.support.databases import rows
from tests.support.webinars import new_webinar, send_webinars

pytestmark = pytest.mark.browser


def type_and_wait(page, text: str, expected: str) -> None:
    page.locator("#chat-input").fill(text)
    page.keyboard.press("Enter")
    expect(page.locator(".msg.bot", has_text=expected).last).to_be_visible(timeout=30_000)


def click_and_wait(page, title: str, expected: str) -> None:
    page.locator(".quick-replies button", has_text=title).first.click()
    expect(page.locator(".msg.bot", has_text=expected).last).to_be_visible(timeout=30_000)


def test_a_commune_agent_registers_in_the_web_chat_and_cancels_from_the_page(assistant, page):
    _, title = new_webinar(assistant, capacity=3)
    page.goto(assistant.web_url)
    expect(page.locator("#status")).to_have_attribute("data-state", "connected", timeout=30_000)
    type_and_wait(page, "je voudrais m'inscrire au webinaire", "Lequel vous intéresse ?")
    click_and_wait(page, title, "votre prénom et votre nom")
    type_and_wait(page, "Inès Martin", "adresse e-mail professionnelle")
    type_and_wait(page, "ines.martin@ville-pantin.fr", "Dans quelle commune")
    type_and_wait(page, "pantin", "Vous êtes")
    click_and_wait(page, "Élu", "C'est bien cela ?")
    expect(page.locator(".msg.bot", has_text="Commune : Pantin").last).to_be_visible()
    click_and_wait(page, "Oui", "C'est fait")
    link = page.locator(".msg.bot a", has_text="invitation.ics").last
    expect(link).to_be_visible(timeout=30_000)
    ics = page.request.get(link.get_attribute("href"))
    assert ics.ok
    event = Calendar.from_ical(ics.body()).walk("VEVENT")[0]
    assert str(event["summary"]) == title and "visio.example.org" in str(event["location"])
    assert rows(assistant.db_url, "select role, channel from webinar_registrations where email "
                "= ?", "ines.martin@ville-pantin.fr") == [("elu", "socketio")]

    # The email's cancellation link, opened in the browser: a button, then it is done.
    send_webinars(assistant)
    [message] = assistant.smtp.wait_for("ines.martin@ville-pantin.fr", 1)
    cancel = re.search(r"https?://\S+/annuler", message.get_body(("plain",)).get_content())
    page.goto(cancel.group(0))
    expect(page.locator("#webinar")).to_contain_text(title)
    page.locator("#confirm-cancel").click()
    expect(page.locator("#result")).to_contain_text("C'est annulé")
    assert rows(assistant.db_url, "select status from webinar_registrations where email = ?",
                "ines.martin@ville-pantin.fr") == [("cancelled",)]
