"""The prescripteur path in the web chat, in headless Chromium: a link carrying the
organisation's code opens the mode, the whole diagnostic and booking for the person follow, the
person confirms by SMS (fake Twilio API), and the prescripteur's page shows it arrive."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from scripts.sms_driver import SmsDriver
from tests.support.databases import rows
from tests.support.prescripteurs import THIRD_PERSON_PATH, new_mobile, new_organisation, send_due

pytestmark = pytest.mark.browser


def type_and_wait(page, text: str, expected: str) -> None:
    page.locator("#chat-input").fill(text)
    page.keyboard.press("Enter")
    expect(page.locator(".msg.bot", has_text=expected).last).to_be_visible(timeout=30_000)


def test_a_prescripteur_opens_the_mode_with_a_link_and_sees_the_confirmation_arrive(assistant, page):
    organisation_id, organisation, code = new_organisation(assistant, kind="Mairie",
                                                           commune="Saint-Denis")
    phone = new_mobile()
    page.goto(f"{assistant.web_url}#code={code}")
    expect(page.locator(".msg.bot", has_text="Quel est votre prénom ?")).to_be_visible(timeout=30_000)
    expect(page.locator(".msg.bot", has_text=organisation)).to_have_count(1)
    assert code not in page.url  # taken out of the address bar (and the history)
    type_and_wait(page, "Leïla", "La personne est-elle d'accord")
    page.locator(".quick-replies button", has_text="Oui").first.click()
    expect(page.locator(".msg.bot", has_text="numéro de mobile")).to_be_visible(timeout=30_000)
    type_and_wait(page, phone, "Quel appareil la personne a-t-elle ?")
    for answer, expected in THIRD_PERSON_PATH[1:]:
        type_and_wait(page, answer, expected)
    type_and_wait(page, "93200", "Quel lieu choisissez-vous ?")
    page.locator(".quick-replies button", has_text="Saint-Denis").first.click()
    expect(page.locator(".msg.bot", has_text="rendez-vous libres").last).to_be_visible(timeout=30_000)
    page.locator(".quick-replies button").first.click()
    expect(page.locator(".msg.bot", has_text="prénom de la personne")).to_be_visible(timeout=30_000)
    type_and_wait(page, "Fatou", "C'est réservé pour Fatou")

    [(prescripteur, channel)] = rows(
        assistant.db_url, "select prescripteur_first_name, channel from referrals "
        "where organisation_id = ?", organisation_id)
    assert (prescripteur, channel) == ("Leïla", "twilio_sms")
    send_due(assistant)
    [sms] = assistant.twilio.wait_for(phone, 1)
    assert organisation in sms["body"]
    SmsDriver(assistant.rasa_url, assistant.twilio).exchange(phone, "oui", "confirmé")
    send_due(assistant)
    expect(page.locator(".msg.bot", has_text="Fatou a confirmé par SMS")).to_be_visible(timeout=30_000)
