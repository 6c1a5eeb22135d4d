"""From a booking made in the conversation to the Métropole's funding report, in headless
Chromium: the structure's agent logs in on a phone-sized screen and marks the person
accompanied; the admin's dashboard and CSV export count them."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import uuid
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from bot.clock import now_paris
from tests.support.browser import launch, require_chromium
from tests.support.conversation import active, book_in_saint_denis
from tests.support.databases import rows

pytestmark = pytest.mark.browser

PROJECT_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "un mot de passe assez long"


def npt(assistant, *args: str, password: str | None = None) -> None:
    from scripts.servers import VENV_BIN

    subprocess.run([str(VENV_BIN / "npt"), *args], input=password, text=True, check=True,
                   cwd=PROJECT_DIR, capture_output=True,
                   env={**os.environ, "NPT_DATABASE_URL": assistant.db_url})


def the_appointment_has_begun(assistant, booking_id: int) -> None:
    """Time passes: the appointment began a few minutes ago (the booking's times are moved; the
    rest is as the conversation left it)."""
    start = (now_paris() - timedelta(minutes=5)).astimezone(timezone.utc).replace(tzinfo=None)
    import sqlite3

    with sqlite3.connect(assistant.db_url.removeprefix("sqlite:///")) as connection:
        connection.execute("update bookings set start = ?, \"end\" = ? where id = ?",
                           (start.isoformat(" "), (start + timedelta(minutes=45)).isoformat(" "),
                            booking_id))
        connection.execute("update referrals set slot_start = ? where booking_id = ?",
                           (start.isoformat(" "), booking_id))


@pytest.fixture
def browser_context(assistant):
    require_chromium()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


def log_in(browser, assistant, email: str):
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="fr-FR")
    page = context.new_page()
    page.goto(assistant.web_url + "backoffice/")
    expect(page.get_by_role("heading", name="Connexion à l'espace structures")).to_be_visible()
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    return page


def test_staff_mark_an_accompaniment_and_the_admin_dashboard_counts_it(assistant, browser_context):
    sender = f"e2e-{uuid.uuid4()}"
    book_in_saint_denis(assistant, sender, "Samira")
    [(booking_id, reference, status, _)] = active(assistant, sender)
    assert status == "booked"
    [(place_pk,)] = rows(assistant.db_url, "select place_pk from bookings where id = ?", booking_id)
    npt(assistant, "accounts", "create", "--email", "agent@saint-denis.example", "--name",
        "Agent Saint-Denis", "--role", "structure", "--place", str(place_pk), "--password-stdin",
        password=PASSWORD + "\n")
    npt(assistant, "accounts", "create", "--email", "admin@metropole.example", "--name",
        "Équipe Métropole", "--role", "admin", "--password-stdin", password=PASSWORD + "\n")
    the_appointment_has_begun(assistant, booking_id)

    page = log_in(browser_context, assistant, "agent@saint-denis.example")
    card = page.locator(f'#to-confirm-list li[data-reference="{reference}"]')
    expect(card).to_contain_text("Samira")
    card.get_by_role("button", name="Accompagné(e)").click()
    expect(page.get_by_role("status")).to_have_text("La personne est notée accompagnée.")
    expect(page.locator(f'#done-list tr[data-reference="{reference}"]')).to_contain_text("Accompagné")
    [(referral_status,)] = rows(assistant.db_url,
                                "select status from referrals where booking_id = ?", booking_id)
    assert referral_status == "accompanied"

    funded = rows(assistant.db_url, "select count(*) from funding_entries where funded = 1 "
                  "and year = ? and place_pk = ?", now_paris().year, place_pk)[0][0]
    admin = log_in(browser_context, assistant, "admin@metropole.example")
    expect(admin.get_by_role("heading", name=f"Financement {now_paris().year}")).to_be_visible()
    expect(admin.locator("#total-funded")).not_to_have_text("0")
    row = admin.locator("#report tr", has_text="Saint-Denis")
    expect(row).to_contain_text(str(funded))
    expect(row).to_contain_text(f"{funded * 50},00")
    expect(admin.locator("figure.chart svg")).to_be_visible()

    exported = admin.request.get(assistant.web_url + f"backoffice/admin/export.csv?year={now_paris().year}")
    assert exported.ok
    lines = list(csv.reader(io.StringIO(exported.body().decode("utf-8-sig")), delimiter=";"))
    saint_denis = [line for line in lines if any("Saint-Denis" in cell for cell in line)]
    assert saint_denis and str(funded) in saint_denis[0] and f"{funded * 50},00" in saint_denis[0]
