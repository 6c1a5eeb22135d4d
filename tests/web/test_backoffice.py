"""The back-office over real HTTP: login, sessions, CSRF, roles, what structure staff and admins
can see and do. The web app runs as its own process (`python -m bot.web`) on a migrated SQLite
database holding the real directory, the demo partners, and bookings made with the real code.
"""
from __future__ import annotations

import csv
import html
import io
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
import requests
import requests.adapters
from sqlalchemy import select, text

from bot.booking.bookings import book
from bot.booking.slots import free_slots
from bot.booking.partners.load import load_partners
from bot.clock import now_paris
from bot.db.models import (Booking, FundingEntry, Organisation, Place, Referral, ReferralEvent,
                           Reminder)
from bot.db.session import session_scope, upgrade
from bot.places import DEFAULT_SOURCE, seed_default_places
from bot.web.backoffice.accounts import create_account
from tests.support.booking import BOBIGNY, DIAGNOSIS, PARIS_12

PROJECT_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def place_pk(url: str, place_id: str) -> int:
    with session_scope(url) as session:
        return session.execute(select(Place.pk).where(Place.source == DEFAULT_SOURCE,
                                                      Place.id == place_id)).scalar_one()


def past_booking(url: str, place: int, person: str, first_name: str, days_ago: int):
    """A booking made 2 days before an appointment that began about `days_ago` days ago (the
    first free slot from then that has already begun: earlier tests of the module take slots,
    and on a weekend the next free one may be in the future)."""
    for back in range(days_ago, days_ago + 30):
        then = now_paris() - timedelta(days=back + 2)
        slots = [s for s in free_slots(place, then, limit=20, url=url)
                 if s.start < now_paris() - timedelta(hours=1)]
        if slots:
            return book(person_key=person, sender_id=f"+3361200{len(person):04d}",
                        channel="twilio_sms", place_pk=place, start=slots[0].start,
                        first_name=first_name, diagnosis=DIAGNOSIS, now=then, url=url)
    raise AssertionError(f"no free slot in the past at place {place}")


def upcoming_booking(url: str, place: int, person: str, first_name: str):
    slot = free_slots(place, now_paris(), limit=1, url=url)[0]
    return book(person_key=person, sender_id="rest-" + person, channel="rest", place_pk=place,
                start=slot.start, first_name=first_name, diagnosis=DIAGNOSIS, url=url)


def referral_of(url: str, booking_id: int) -> Referral:
    with session_scope(url) as session:
        return session.execute(select(Referral).where(Referral.booking_id == booking_id)).scalar_one()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The web app on a free port, its database, and three accounts."""
    base = tmp_path_factory.mktemp("backoffice")
    url = f"sqlite:///{base / 'npt.db'}"
    previous = os.environ.get("NPT_DATABASE_URL")
    os.environ["NPT_DATABASE_URL"] = url
    upgrade(url)
    seed_default_places(url)
    load_partners(url=url)
    paris, bobigny = place_pk(url, PARIS_12), place_pk(url, BOBIGNY)
    create_account(email="agent@paris12.example", display_name="Agent Paris 12", role="structure",
                   password=PASSWORD, place_pk=paris, url=url)
    create_account(email="agent@bobigny.example", display_name="Agent Bobigny", role="structure",
                   password=PASSWORD, place_pk=bobigny, url=url)
    create_account(email="admin@metropole.example", display_name="Admin MGP", role="admin",
                   password=PASSWORD, url=url)
    port = free_port()
    env = {**os.environ, "NPT_DATABASE_URL": url, "NPT_WEB_PORT": str(port),
           "NPT_SECRET_KEY": "backoffice-test", "PYTHONUNBUFFERED": "1"}
    log = open(base / "web.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "bot.web"], cwd=PROJECT_DIR, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    root = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(root + "/health", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the web app did not start:\n" + (base / "web.log").read_text())
        time.sleep(0.2)

    class Site:
        pass

    site = Site()
    site.root, site.url, site.paris, site.bobigny = root, url, paris, bobigny
    yield site
    process.terminate()
    process.wait(timeout=10)
    if previous is None:
        os.environ.pop("NPT_DATABASE_URL", None)
    else:
        os.environ["NPT_DATABASE_URL"] = previous


class FromAddress(requests.adapters.HTTPAdapter):
    """Connections from another loopback address (127.0.0.2, ...): another person's computer."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


# Each test logs in from its own loopback address (127.0.1.N), as another computer would:
# the wrong passwords of one test (counted per address, 20 in all refuse it) never refuse
# the logins of the next one.
_SOURCE = {"address": None}
_TEST_NUMBER = iter(range(1, 10_000))


@pytest.fixture(autouse=True)
def own_source_address():
    number = next(_TEST_NUMBER)
    _SOURCE["address"] = f"127.0.{1 + number // 250}.{1 + number % 250}"
    yield
    _SOURCE["address"] = None


def login(site, email: str, password: str = PASSWORD, *, source: str | None = None,
          headers: dict | None = None) -> requests.Session:
    browser = requests.Session()
    source = source or _SOURCE["address"]
    if source:
        browser.mount("http://", FromAddress(source))
    page = browser.get(site.root + "/backoffice/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    began = time.monotonic()
    answer = browser.post(site.root + "/backoffice/login", allow_redirects=False,
                          data={"csrf_token": token, "email": email, "password": password},
                          headers=headers or {})
    browser.last_login, browser.took = answer, time.monotonic() - began
    return browser


REFUSED = ("Adresse e-mail ou mot de passe incorrect. Après plusieurs erreurs, les essais depuis "
           "votre connexion sont refusés pendant 15 minutes.")


def refused(browser: requests.Session) -> bool:
    """The one answer to every refused login."""
    answer = browser.last_login
    return (answer.status_code == 401 and REFUSED in answer.text
            and "npt_session" not in browser.cookies)


def csrf_of(browser: requests.Session, page_url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', browser.get(page_url).text).group(1)


# -- anonymous ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/backoffice/structure", "/backoffice/admin",
                                  "/backoffice/admin/export.csv?year=2026",
                                  "/backoffice/admin/audit", "/backoffice/places/1/agenda"])
def test_anonymous_visitors_are_sent_to_the_login_page_and_see_nothing(site, path):
    answer = requests.get(site.root + path, allow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/backoffice/login")
    assert "Montant" not in answer.text and "csv" not in answer.headers.get("Content-Type", "")


def test_an_anonymous_post_changes_nothing(site):
    booking = past_booking(site.url, site.paris, "anon-person", "Zoé", days_ago=3)
    referral = referral_of(site.url, booking.id)
    answer = requests.post(f"{site.root}/backoffice/referrals/{referral.id}/mark",
                           data={"outcome": "accompanied", "accompanied_on": "2026-01-01"},
                           allow_redirects=False)
    assert answer.status_code == 403
    assert referral_of(site.url, booking.id).status == "booked"


# -- login ------------------------------------------------------------------------------------

def test_login_page_is_french_and_labelled(site):
    page = requests.get(site.root + "/backoffice/login")
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    assert '<label for="email">' in page.text and '<label for="password">' in page.text
    assert "name=\"viewport\"" in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "SameSite=Strict" in page.headers["Set-Cookie"]
    assert "HttpOnly" in page.headers["Set-Cookie"]


def test_a_wrong_password_is_refused_kindly(site):
    browser = login(site, "agent@paris12.example", "not the password")
    assert browser.last_login.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in browser.last_login.text
    assert "npt_session" not in browser.cookies
    unknown = login(site, "nobody@example.org", "whatever it is")
    assert unknown.last_login.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in unknown.last_login.text


def test_five_wrong_passwords_from_one_address_refuse_it_until_a_new_password(site):
    from bot.web.backoffice.accounts import set_password

    create_account(email="lock@paris12.example", display_name="Verrou", role="structure",
                   password=PASSWORD, place_pk=site.paris, url=site.url)
    for _ in range(5):
        attempt = login(site, "lock@paris12.example", "wrong password!")
        assert refused(attempt)
    right = login(site, "lock@paris12.example")
    assert refused(right)  # from this address, even the right password, for a while
    set_password("lock@paris12.example", "a brand new password", url=site.url)  # unlocks
    assert login(site, "lock@paris12.example", "a brand new password").last_login.status_code == 303


def test_a_stranger_hammering_an_account_does_not_keep_its_owner_out(site):
    """The stranger (127.0.0.2) is refused after a few guesses, even with the right password;
    the owner (127.0.0.3), with the right password, still gets in, only a little slowed down."""
    create_account(email="owner@paris12.example", display_name="Titulaire", role="structure",
                   password=PASSWORD, place_pk=site.paris, url=site.url)
    stranger = "127.0.0.2"
    for n in range(10):
        assert refused(login(site, "owner@paris12.example", f"guess number {n}", source=stranger))
    owner = login(site, "owner@paris12.example", source="127.0.0.3")
    assert owner.last_login.status_code == 303
    assert owner.last_login.headers["Location"] == "/backoffice/structure"
    assert owner.get(site.root + "/backoffice/structure", allow_redirects=False).status_code == 200
    assert owner.took >= 2  # 5 wrong passwords for the account: answers for it wait
    assert refused(login(site, "owner@paris12.example", source=stranger))
    # The owner's login did not clear the stranger's failures.
    assert refused(login(site, "owner@paris12.example", source=stranger))


def test_an_address_guessing_many_accounts_is_refused_for_all(site):
    source = "127.0.0.4"
    for n in range(10):  # 20 wrong passwords in all, 2 per e-mail (unknown ones count too)
        for _ in range(2):
            assert refused(login(site, f"someone{n}@example.org", "not it at all", source=source))
    assert refused(login(site, "agent@bobigny.example", source=source))
    assert login(site, "agent@bobigny.example", source="127.0.0.5").last_login.status_code == 303


def test_a_forged_x_forwarded_for_is_ignored_without_a_trusted_proxy(site):
    create_account(email="proxy@paris12.example", display_name="Proxy", role="structure",
                   password=PASSWORD, place_pk=site.paris, url=site.url)
    source = "127.0.0.6"
    for n in range(5):  # each guess pretends to come from somewhere else
        assert refused(login(site, "proxy@paris12.example", "wrong password!", source=source,
                             headers={"X-Forwarded-For": f"203.0.113.{n + 1}"}))
    forged = login(site, "proxy@paris12.example", source=source,
                   headers={"X-Forwarded-For": "198.51.100.7"})
    assert refused(forged)  # all counted against the real address
    assert login(site, "proxy@paris12.example", source="127.0.0.7",
                 headers={"X-Forwarded-For": "203.0.113.1"}).last_login.status_code == 303


def test_parallel_guesses_all_count(site):
    from concurrent.futures import ThreadPoolExecutor

    create_account(email="crowd@paris12.example", display_name="Foule", role="structure",
                   password=PASSWORD, place_pk=site.paris, url=site.url)
    source = "127.0.0.8"
    with ThreadPoolExecutor(8) as pool:
        attempts = list(pool.map(lambda n: login(site, "crowd@paris12.example", f"guess {n}",
                                                 source=source), range(8)))
    assert all(refused(attempt) for attempt in attempts)
    assert refused(login(site, "crowd@paris12.example", source=source))
    with session_scope(site.url) as session:
        counted = session.execute(text("SELECT count(*) FROM login_failures f JOIN staff_accounts "
                                       "a ON a.id = f.account_id WHERE a.email = :email"),
                                  {"email": "crowd@paris12.example"}).scalar_one()
    assert 5 <= counted <= 6  # checked two at a time: never more than one past the limit each


def test_the_address_of_a_login(monkeypatch):
    from bot.addresses import client_address, source_of
    from bot.web.backoffice.throttle import delay_for

    monkeypatch.delenv("NPT_TRUST_PROXY", raising=False)
    assert client_address("10.0.0.1", ["1.2.3.4"]) == "10.0.0.1"
    monkeypatch.setenv("NPT_TRUST_PROXY", "1")
    # Our proxy appends the address it saw: what the client wrote before it does not count.
    assert client_address("127.0.0.1", ["1.2.3.4, 198.51.100.9"]) == "198.51.100.9"
    assert client_address("127.0.0.1", ["1.2.3.4", "198.51.100.9"]) == "198.51.100.9"
    assert client_address("127.0.0.1", ["not an address"]) == "127.0.0.1"
    assert client_address("127.0.0.1", []) == "127.0.0.1"
    assert source_of("2001:db8:1:2:aaaa::1") == source_of("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert source_of("::ffff:192.0.2.1") == "192.0.2.1"
    assert [delay_for(n) for n in (0, 1, 2, 3, 4, 5, 50)] == [0, 0, 0.5, 1, 2, 4, 5]


def test_login_without_its_form_token_is_refused(site):
    answer = requests.post(site.root + "/backoffice/login", allow_redirects=False,
                           data={"email": "agent@paris12.example", "password": PASSWORD})
    assert answer.status_code == 403
    assert "npt_session" not in answer.cookies


def test_login_never_redirects_to_another_site(site):
    browser = requests.Session()
    page = browser.get(site.root + "/backoffice/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = browser.post(site.root + "/backoffice/login", allow_redirects=False,
                          data={"csrf_token": token, "email": "agent@paris12.example",
                                "password": PASSWORD, "next": "//evil.example/steal"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/backoffice/structure"


# -- structure staff ------------------------------------------------------------------------------

def test_staff_see_their_own_bookings_only(site):
    mine = past_booking(site.url, site.paris, "p12-person", "Awa", days_ago=2)
    theirs = past_booking(site.url, site.bobigny, "bob-person", "Bintou", days_ago=2)
    coming = upcoming_booking(site.url, site.paris, "p12-coming", "Karim")
    browser = login(site, "agent@paris12.example")
    assert browser.last_login.headers["Location"] == "/backoffice/structure"
    page = browser.get(site.root + "/backoffice/structure").text
    assert "Awa" in page and mine.reference in page
    assert "Karim" in page and coming.reference in page
    assert "Bintou" not in page and theirs.reference not in page
    assert "+3361200" not in page  # never a phone number


def test_staff_see_which_organisation_oriented_each_person(site):
    from bot.prescripteurs.organisations import create_organisation

    organisation, _ = create_organisation("Paris Habitat Reuilly", "bailleur_social", "Paris",
                                          actor="test", url=site.url)
    slot = free_slots(site.paris, now_paris(), limit=1, url=site.url)[0]
    book(person_key="p12-oriented", sender_id="sms:+33612000099", channel="twilio_sms",
         place_pk=site.paris, start=slot.start, first_name="Salimata", diagnosis=DIAGNOSIS,
         oriented_by="prescripteur", oriented_by_organisation=organisation.name,
         organisation_id=organisation.id, prescripteur_first_name="Nadia", url=site.url)
    upcoming_booking(site.url, site.paris, "p12-self", "Moussa")
    page = login(site, "agent@paris12.example").get(site.root + "/backoffice/structure").text
    row = re.search(r"<tr>(?:(?!</tr>).)*Salimata(?:(?!</tr>).)*</tr>", page, re.S).group(0)
    assert "Paris Habitat Reuilly" in row
    row = re.search(r"<tr>(?:(?!</tr>).)*Moussa(?:(?!</tr>).)*</tr>", page, re.S).group(0)
    assert "La personne elle-même" in row and "Paris Habitat" not in row


def test_staff_cannot_reach_another_structure_nor_the_admin_pages(site):
    browser = login(site, "agent@paris12.example")
    assert browser.get(f"{site.root}/backoffice/places/{site.bobigny}").status_code == 403
    assert browser.get(f"{site.root}/backoffice/places/{site.bobigny}/agenda").status_code == 403
    assert browser.get(site.root + "/backoffice/admin").status_code == 403
    assert browser.get(site.root + "/backoffice/admin/export.csv?year=2026").status_code == 403
    assert browser.get(site.root + "/backoffice/admin/audit").status_code == 403


def test_staff_cannot_change_another_structures_referral_or_booking(site):
    theirs = past_booking(site.url, site.bobigny, "bob-other", "Moussa", days_ago=2)
    coming = upcoming_booking(site.url, site.bobigny, "bob-coming", "Fanta")
    referral = referral_of(site.url, theirs.id)
    browser = login(site, "agent@paris12.example")
    token = csrf_of(browser, site.root + "/backoffice/structure")
    marked = browser.post(f"{site.root}/backoffice/referrals/{referral.id}/mark",
                          data={"csrf_token": token, "outcome": "accompanied",
                                "accompanied_on": now_paris().date().isoformat()},
                          allow_redirects=False)
    cancelled = browser.post(f"{site.root}/backoffice/bookings/{coming.id}/cancel",
                             data={"csrf_token": token}, allow_redirects=False)
    assert marked.status_code == 404 and cancelled.status_code == 404
    assert referral_of(site.url, theirs.id).status == "booked"
    with session_scope(site.url) as session:
        assert session.get(Booking, coming.id).status == "booked"


def test_a_post_without_the_sessions_csrf_token_changes_nothing(site):
    booking = past_booking(site.url, site.paris, "csrf-person", "Inès", days_ago=1)
    referral = referral_of(site.url, booking.id)
    browser = login(site, "agent@paris12.example")
    other = login(site, "agent@bobigny.example")
    foreign_token = csrf_of(other, site.root + "/backoffice/structure")
    own_token = csrf_of(browser, site.root + "/backoffice/structure")
    target = f"{site.root}/backoffice/referrals/{referral.id}/mark"
    data = {"outcome": "accompanied", "accompanied_on": now_paris().date().isoformat()}
    assert browser.post(target, data=data, allow_redirects=False).status_code == 403
    assert browser.post(target, data={**data, "csrf_token": foreign_token},
                        allow_redirects=False).status_code == 403
    assert browser.post(target, data={**data, "csrf_token": own_token},
                        headers={"Origin": "https://evil.example"},
                        allow_redirects=False).status_code == 403
    assert referral_of(site.url, booking.id).status == "booked"


def test_staff_mark_a_person_accompanied_and_it_is_funded_and_logged(site):
    booking = past_booking(site.url, site.paris, "funded-person", "Maëlle", days_ago=1)
    referral = referral_of(site.url, booking.id)
    browser = login(site, "agent@paris12.example")
    token = csrf_of(browser, site.root + "/backoffice/structure")
    day = booking.start.date().isoformat()
    answer = browser.post(f"{site.root}/backoffice/referrals/{referral.id}/mark",
                          data={"csrf_token": token, "outcome": "accompanied",
                                "accompanied_on": day})
    assert answer.status_code == 200
    assert "La personne est notée accompagnée." in answer.text
    assert referral_of(site.url, booking.id).status == "accompanied"
    with session_scope(site.url) as session:
        entry = session.execute(select(FundingEntry).where(
            FundingEntry.referral_id == referral.id)).scalar_one()
        assert entry.funded and entry.amount_cents == 5000 and entry.year == booking.start.year
        event = session.execute(select(ReferralEvent).where(
            ReferralEvent.referral_id == referral.id, ReferralEvent.to_status == "accompanied")
        ).scalar_one()
        assert event.actor == "agent@paris12.example" and event.actor_role == "structure"
        assert event.from_status == "booked"
    # A double click changes nothing more.
    again = browser.post(f"{site.root}/backoffice/referrals/{referral.id}/mark",
                         data={"csrf_token": token, "outcome": "accompanied",
                               "accompanied_on": day})
    assert "rien n&#39;a changé" in again.text


def test_a_future_accompaniment_date_is_refused_with_a_french_reason(site):
    booking = past_booking(site.url, site.paris, "future-person", "Yanis", days_ago=1)
    referral = referral_of(site.url, booking.id)
    browser = login(site, "agent@paris12.example")
    token = csrf_of(browser, site.root + "/backoffice/structure")
    later = (now_paris().date() + timedelta(days=3)).isoformat()
    answer = browser.post(f"{site.root}/backoffice/referrals/{referral.id}/mark",
                          data={"csrf_token": token, "outcome": "accompanied",
                                "accompanied_on": later})
    assert answer.status_code == 409
    assert "futur" in answer.text or "avenir" in answer.text or "pas encore" in answer.text
    bad = browser.post(f"{site.root}/backoffice/referrals/{referral.id}/mark",
                       data={"csrf_token": token, "outcome": "accompanied",
                             "accompanied_on": "31/02/2026"})
    assert "Indiquez la date" in bad.text
    assert referral_of(site.url, booking.id).status == "booked"


def test_staff_cancel_a_booking_and_the_person_will_be_told(site):
    coming = upcoming_booking(site.url, site.paris, "cancel-person", "Lina")
    browser = login(site, "agent@paris12.example")
    token = csrf_of(browser, site.root + "/backoffice/structure")
    answer = browser.post(f"{site.root}/backoffice/bookings/{coming.id}/cancel",
                          data={"csrf_token": token})
    assert "La personne va être prévenue." in answer.text
    with session_scope(site.url) as session:
        row = session.get(Booking, coming.id)
        assert row.status == "cancelled" and row.cancelled_by == "structure"
        notices = session.execute(select(Reminder).where(Reminder.booking_id == coming.id,
                                                         Reminder.kind == "structure_cancelled")
                                  ).scalars().all()
        assert [n.status for n in notices] == ["pending"]
    assert referral_of(site.url, coming.id).status == "cancelled"


def test_staff_add_and_remove_a_closure_of_their_place_only(site):
    browser = login(site, "agent@paris12.example")
    agenda_url = f"{site.root}/backoffice/places/{site.paris}/agenda"
    token = csrf_of(browser, agenda_url)
    day = (now_paris().date() + timedelta(days=40)).isoformat()
    added = browser.post(f"{site.root}/backoffice/places/{site.paris}/closures",
                         data={"csrf_token": token, "start": day, "end": day,
                               "reason": "Formation de l'équipe"})
    assert "La fermeture est enregistrée." in added.text and "Formation de l&#39;équipe" in added.text
    closure_id = int(re.search(rf"/places/{site.paris}/closures/(\d+)/delete", added.text).group(1))
    # Bobigny's agent cannot remove it.
    other = login(site, "agent@bobigny.example")
    other_token = csrf_of(other, site.root + "/backoffice/structure")
    refused = other.post(f"{site.root}/backoffice/places/{site.paris}/closures/{closure_id}/delete",
                         data={"csrf_token": other_token}, allow_redirects=False)
    assert refused.status_code == 403
    removed = browser.post(f"{site.root}/backoffice/places/{site.paris}/closures/{closure_id}/delete",
                           data={"csrf_token": token})
    assert "La fermeture est supprimée." in removed.text and "Formation de l&#39;équipe" not in removed.text
    past = browser.post(f"{site.root}/backoffice/places/{site.paris}/closures",
                        data={"csrf_token": token, "start": "2020-01-01", "end": "2020-01-02",
                              "reason": "x"})
    assert "ne peut pas commencer dans le passé" in past.text


def test_logout_ends_the_session(site):
    browser = login(site, "agent@paris12.example")
    token = csrf_of(browser, site.root + "/backoffice/structure")
    cookie = browser.cookies.get("npt_session")
    browser.post(site.root + "/backoffice/logout", data={"csrf_token": token})
    replay = requests.get(site.root + "/backoffice/structure", cookies={"npt_session": cookie},
                          allow_redirects=False)
    assert replay.status_code == 303 and replay.headers["Location"].startswith("/backoffice/login")


# -- admins ------------------------------------------------------------------------------------

def test_the_admin_dashboard_report_and_exports_show_what_staff_confirmed(site):
    booking = past_booking(site.url, site.bobigny, "admin-view-person", "Sékou", days_ago=1)
    referral = referral_of(site.url, booking.id)
    staff = login(site, "agent@bobigny.example")
    token = csrf_of(staff, site.root + "/backoffice/structure")
    staff.post(f"{site.root}/backoffice/referrals/{referral.id}/mark",
               data={"csrf_token": token, "outcome": "accompanied",
                     "accompanied_on": booking.start.date().isoformat()})
    year = booking.start.year
    with session_scope(site.url) as session:
        funded = session.execute(select(FundingEntry).where(
            FundingEntry.year == year, FundingEntry.funded.is_(True))).scalars().all()
        bobigny_funded = [e for e in funded if e.place_pk == site.bobigny]
    assert bobigny_funded, "the confirmation made no funding entry"

    admin = login(site, "admin@metropole.example")
    assert admin.last_login.headers["Location"] == "/backoffice/admin"
    page = admin.get(f"{site.root}/backoffice/admin?year={year}").text
    total = re.search(r'id="total-funded">(\d+)<', page).group(1)
    assert int(total) == len(funded)
    assert "<svg" in page and "plafond" in page
    assert "France services" in page or "France Services" in page

    exported = admin.get(f"{site.root}/backoffice/admin/export.csv?year={year}")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    bobigny_rows = [row for row in rows if "Bobigny" in ";".join(row)]
    assert bobigny_rows and str(len(bobigny_funded)) in bobigny_rows[0]
    assert f"{len(bobigny_funded) * 50},00" in ";".join(bobigny_rows[0])

    workbook = admin.get(f"{site.root}/backoffice/admin/export.xlsx?year={year}")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert len(bobigny_funded) * 50 in values or float(len(bobigny_funded) * 50) in values


def test_admins_see_the_audit_log_and_every_structure(site):
    admin = login(site, "admin@metropole.example")
    audit = admin.get(site.root + "/backoffice/admin/audit")
    assert audit.status_code == 200
    assert "agent@paris12.example" in audit.text and "Accompagné" in audit.text
    partners = admin.get(site.root + "/backoffice/admin/partners").text
    assert f"/backoffice/places/{site.bobigny}" in partners
    assert admin.get(f"{site.root}/backoffice/places/{site.bobigny}").status_code == 200


def test_admins_merge_two_keys_of_one_person_and_the_person_counts_once(site):
    first = past_booking(site.url, site.paris, "merge-sms-key", "Rose", days_ago=1)
    second = past_booking(site.url, site.bobigny, "merge-telegram-key", "Rose", days_ago=1)
    for agent, booking in (("agent@paris12.example", first), ("agent@bobigny.example", second)):
        browser = login(site, agent)
        token = csrf_of(browser, site.root + "/backoffice/structure")
        browser.post(f"{site.root}/backoffice/referrals/{referral_of(site.url, booking.id).id}/mark",
                     data={"csrf_token": token, "outcome": "accompanied",
                           "accompanied_on": booking.start.date().isoformat()})
    year = first.start.year

    def entries() -> int:
        with session_scope(site.url) as session:
            return len(session.execute(select(FundingEntry).where(
                FundingEntry.year == year,
                FundingEntry.person_key.in_(["merge-sms-key", "merge-telegram-key"]))).all())

    assert entries() == 2
    admin = login(site, "admin@metropole.example")
    token = csrf_of(admin, site.root + "/backoffice/admin/persons")
    empty = admin.post(site.root + "/backoffice/admin/persons/merge",
                       data={"csrf_token": token, "from_key": "merge-telegram-key",
                             "into_key": "", "reason": ""})
    assert empty.status_code == 400 and "Remplissez les trois champs." in empty.text
    merged = admin.post(site.root + "/backoffice/admin/persons/merge",
                        data={"csrf_token": token, "from_key": "merge-telegram-key",
                              "into_key": "merge-sms-key", "reason": "même personne, deux canaux"})
    assert "fusionnées" in merged.text
    assert entries() == 1


def test_staff_change_their_weekly_hours_and_the_file_reload_keeps_them(site):
    from bot.booking.agenda_edit import agenda_hours
    from bot.booking.partners.listing import list_partners

    [partner] = [p for p in list_partners(url=site.url) if p.pk == site.paris]
    agenda = next(a for a in partner.agendas if a.active)
    browser = login(site, "agent@paris12.example")
    agenda_url = f"{site.root}/backoffice/places/{site.paris}/agenda"
    page = browser.get(agenda_url).text
    assert "lundi 10:00-13:00" in page  # the current hours, one per line, ready to edit
    token = csrf_of(browser, agenda_url)
    before = agenda_hours(agenda.id, site.url)
    target = f"{site.root}/backoffice/places/{site.paris}/agendas/{agenda.id}"
    wrong = browser.post(target, data={"csrf_token": token, "slot_minutes": "45", "seats": "1",
                                       "hours": "lundi 07:00-09:00\nmardi 10h-11h\nn'importe quoi"})
    assert wrong.status_code == 400
    assert "en dehors des horaires" in wrong.text and "Ligne 3" in wrong.text
    assert "n&#39;est pas compris" in wrong.text
    assert agenda_hours(agenda.id, site.url) == before  # nothing changed
    saved = browser.post(target, data={"csrf_token": token, "slot_minutes": "30", "seats": "1",
                                       "hours": "lundi-mardi 10:00-12:00\njeudi 14h-16h30"})
    assert "L&#39;agenda est enregistré." in saved.text
    hours = agenda_hours(agenda.id, site.url)
    assert [(h.weekday, str(h.start), str(h.end)) for h in hours] == [
        (0, "10:00:00", "12:00:00"), (1, "10:00:00", "12:00:00"), (3, "14:00:00", "16:30:00")]
    # Another structure cannot change it.
    other = login(site, "agent@bobigny.example")
    other_token = csrf_of(other, site.root + "/backoffice/structure")
    refused = other.post(target, data={"csrf_token": other_token, "slot_minutes": "30",
                                       "seats": "1", "hours": "lundi 10:00-12:00"},
                         allow_redirects=False)
    assert refused.status_code == 403
    # Loading the partners file again keeps the structure's hours, unless --override.
    report = load_partners(url=site.url)
    assert any("keeps the hours" in warning for warning in report.warnings)
    assert len(agenda_hours(agenda.id, site.url)) == 3
    load_partners(url=site.url, override=True)
    assert len(agenda_hours(agenda.id, site.url)) > 3


def test_an_appointment_not_yet_begun_cannot_be_marked(site):
    coming = upcoming_booking(site.url, site.paris, "not-yet-person", "Léo")
    referral = referral_of(site.url, coming.id)
    browser = login(site, "agent@paris12.example")
    token = csrf_of(browser, site.root + "/backoffice/structure")
    answer = browser.post(f"{site.root}/backoffice/referrals/{referral.id}/mark",
                          data={"csrf_token": token, "outcome": "accompanied",
                                "accompanied_on": now_paris().date().isoformat()})
    assert answer.status_code == 409 and "pas encore eu lieu" in answer.text
    assert referral_of(site.url, coming.id).status == "booked"


@pytest.mark.parametrize("path", ["/backoffice/places/99999999999999999999",
                                  "/backoffice/places/0/agenda",
                                  "/backoffice/admin/audit?referral=%C2%B2"])
def test_odd_numbers_in_addresses_get_a_page_not_an_error(site, path):
    admin = login(site, "admin@metropole.example")
    answer = admin.get(site.root + path)
    assert answer.status_code in (200, 404) and "Traceback" not in answer.text
    post = admin.post(site.root + "/backoffice/referrals/99999999999999999999/mark",
                      data={"csrf_token": csrf_of(admin, site.root + "/backoffice/admin/audit"),
                            "outcome": "absent"})
    assert post.status_code == 404


def test_a_new_password_ends_the_accounts_sessions(site):
    from bot.web.backoffice.accounts import set_password

    create_account(email="reset@paris12.example", display_name="Reset", role="structure",
                   password=PASSWORD, place_pk=site.paris, url=site.url)
    browser = login(site, "reset@paris12.example")
    assert browser.get(site.root + "/backoffice/structure", allow_redirects=False).status_code == 200
    set_password("reset@paris12.example", "another long password", url=site.url)
    after = browser.get(site.root + "/backoffice/structure", allow_redirects=False)
    assert after.status_code == 303 and after.headers["Location"].startswith("/backoffice/login")


def test_a_huge_form_is_refused_before_it_is_read(site):
    answer = requests.post(site.root + "/backoffice/login", data={"email": "x" * 400_000})
    assert answer.status_code == 413


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_failures_are_counted_in_the_database_by_parallel_checks(backend, tmp_path, monkeypatch,
                                                                 request):
    """The throttle's own queries, on SQLite and on a real PostgreSQL: parallel wrong passwords
    all count, the guessing address is refused, another address gets in, a new password
    unlocks."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.web.backoffice.accounts import authenticate, login_gate, set_password

    monkeypatch.setenv("NPT_SECRET_KEY", "throttle-test")
    url = (f"sqlite:///{tmp_path / 'npt.db'}" if backend == "sqlite"
           else request.getfixturevalue("postgres_database"))
    upgrade(url)
    create_account(email="admin@throttle.example", display_name="Admin", role="admin",
                   password=PASSWORD, url=url)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: authenticate("admin@throttle.example", f"wrong {n}",
                                                       source="192.0.2.10", url=url), range(4)))
    assert all(result.account is None for result in results)
    gate = login_gate("192.0.2.10", "Admin@Throttle.example ", url=url)
    assert not gate.refused and gate.delay == 2  # 4 failures: answers for the e-mail wait
    assert authenticate("admin@throttle.example", "wrong 5", source="192.0.2.10",
                        url=url).account is None
    assert login_gate("192.0.2.10", "admin@throttle.example", url=url).refused
    assert authenticate("admin@throttle.example", PASSWORD, source="192.0.2.10", url=url).throttled
    assert authenticate("admin@throttle.example", PASSWORD, source="192.0.2.11",
                        url=url).account is not None
    set_password("admin@throttle.example", "another long password", url=url)
    assert not login_gate("192.0.2.10", "admin@throttle.example", url=url).refused
    assert authenticate("admin@throttle.example", "another long password", source="192.0.2.10",
                        url=url).account is not None


# -- prescripteur organisations (admins) ---------------------------------------------------

def test_admins_create_an_organisation_see_its_code_once_and_revoke_it(site, monkeypatch):
    from bot.prescripteurs.organisations import CodeCheck, check_code

    monkeypatch.setenv("NPT_SECRET_KEY", "backoffice-test")  # the web app's key
    admin = login(site, "admin@metropole.example")
    page = site.root + "/backoffice/admin/organisations"
    token = csrf_of(admin, page)
    created = admin.post(page + "/create", allow_redirects=False, data={
        "csrf_token": token, "name": "CCAS de Bobigny", "kind": "ccas", "commune": "93000"})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    code = re.search(r'<p class="code"><code>([A-Z0-9]{10})</code>', created.text).group(1)
    assert "Nouveau code pour <strong>CCAS de Bobigny</strong>" in created.text
    assert check_code(code, "web:admin-test").status == CodeCheck.OK
    listing = admin.get(page).text
    assert code not in listing and f"…{code[-2:]}" in listing and "Bobigny" in listing
    # The year's activity: the new organisation, no referral yet, no rate to show.
    activity = listing[listing.index('id="activity"'):]
    assert re.search(r'CCAS de Bobigny</th>\s*<td data-label="Orientations">0</td>', activity)
    assert 'role="img"' in listing and "Orientations des prescripteurs en" in listing
    code_id = re.search(r'/organisations/codes/(\d+)/revoke', listing).group(1)
    revoked = admin.post(f"{page}/codes/{code_id}/revoke", data={"csrf_token": token},
                         allow_redirects=False)
    assert revoked.status_code == 303 and revoked.headers["Location"].endswith("msg=code_revoked")
    assert "Le code est révoqué" in html.unescape(
        admin.get(site.root + revoked.headers["Location"]).text)
    assert check_code(code, "web:admin-test").status == CodeCheck.UNKNOWN
    again = admin.post(f"{page}/codes/{code_id}/revoke", data={"csrf_token": token})
    assert again.status_code == 409 and "Ce code était déjà révoqué" in html.unescape(again.text)
    organisation_id = re.search(r'/organisations/(\d+)/code"', listing).group(1)
    second = admin.post(f"{page}/{organisation_id}/code", data={"csrf_token": token})
    new = re.search(r'<p class="code"><code>([A-Z0-9]{10})</code>', second.text).group(1)
    assert new != code and check_code(new, "web:admin-test").status == CodeCheck.OK
    assert admin.post(f"{page}/999999/code", data={"csrf_token": token}).status_code == 404


def test_a_wrong_organisation_form_says_why_and_keeps_what_was_typed(site):
    admin = login(site, "admin@metropole.example")
    page = site.root + "/backoffice/admin/organisations"
    answer = admin.post(page + "/create", data={
        "csrf_token": csrf_of(admin, page), "name": "Mairie de Lille", "kind": "mairie",
        "commune": "Lille"})
    assert answer.status_code == 400
    assert ("Cette commune n'est pas une commune de la Métropole du Grand Paris"
            in html.unescape(answer.text))
    assert 'value="Mairie de Lille"' in answer.text and 'class="code"' not in answer.text


def test_staff_and_forged_posts_cannot_touch_organisations(site):
    agent = login(site, "agent@paris12.example")
    page = site.root + "/backoffice/admin/organisations"
    assert agent.get(page).status_code == 403
    token = csrf_of(agent, site.root + "/backoffice/structure")
    assert agent.post(page + "/create", data={"csrf_token": token, "name": "X", "kind": "ccas",
                                              "commune": "Bobigny"}).status_code == 403
    admin = login(site, "admin@metropole.example")
    no_token = admin.post(page + "/create", data={"name": "Y", "kind": "ccas",
                                                  "commune": "Bobigny"})
    assert no_token.status_code == 403
    with session_scope(site.url) as session:
        names = set(session.execute(select(Organisation.name)).scalars())
    assert not names & {"X", "Y"}


def test_admins_see_the_funnel_with_its_filters_and_staff_do_not(site):
    from bot.funnel.starts import record_start

    record_start("telegram", "tg:funnel-1", url=site.url)
    record_start("telegram", "tg:funnel-2", url=site.url)
    record_start("socketio", "web:funnel-3", url=site.url)
    month = now_paris().strftime("%Y-%m")
    admin = login(site, "admin@metropole.example")
    page = admin.get(site.root + "/backoffice/admin/funnel")
    assert page.status_code == 200
    row = re.search(rf'<tr data-month="{month}">(.*?)</tr>', page.text, re.S).group(1)
    started = int(re.search(r'data-label="Conversations commencées">(\d+)<', row).group(1))
    assert started >= 3
    assert 'role="img"' in page.text and "tg:funnel" not in page.text
    telegram = admin.get(site.root + "/backoffice/admin/funnel?channel=telegram").text
    row = re.search(rf'<tr data-month="{month}">(.*?)</tr>', telegram, re.S).group(1)
    assert int(re.search(r'data-label="Conversations commencées">(\d+)<', row).group(1)) == started - 1
    # Unusable filters are ignored, never an error.
    odd = admin.get(site.root + "/backoffice/admin/funnel?year=abc&channel=<x>&organisation=-3"
                    "&commune=%27%3B")
    assert odd.status_code == 200 and "<x>" not in odd.text
    staff = login(site, "agent@paris12.example")
    assert staff.get(site.root + "/backoffice/admin/funnel").status_code == 403


# -- webinars (the organisers) --------------------------------------------------------------

def test_admins_organise_webinars_count_by_commune_and_ept_and_mark_attendance(site):
    from bot.webinars.notices import notices_of_registration
    from bot.webinars.registrations import register
    from bot.webinars.sessions import create_session

    admin = login(site, "admin@metropole.example")
    listing = site.root + "/backoffice/admin/webinars"
    token = csrf_of(admin, listing)
    form = {"csrf_token": token, "title": "Présentation aux élus", "start": "2031-03-04T10:00",
            "minutes": "60", "capacity": "2", "link": "javascript:alert(1)"}
    refused = admin.post(listing + "/create", data=form)
    assert refused.status_code == 400 and "https://" in refused.text
    form["link"] = "https://visio.example.org/elus"
    created = admin.post(listing + "/create", data=form)
    assert created.status_code == 200 and "La session est créée" in created.text
    session_id = int(re.search(r"/admin/webinars/(\d+)/attendees\.csv", created.text).group(1))
    first = register(session_id, "Awa Diallo", "awa@montreuil.fr", "Montreuil", "agent",
                     "telegram", "tg:11", url=site.url)
    register(session_id, "Karim B", "karim@bondy.fr", "Bondy", "elu", "telegram", "tg:12",
             url=site.url)
    register(session_id, "Zoé L", "zoe@paris.fr", "Paris 12e", "autre", "telegram", "tg:13",
             url=site.url)  # full: the waiting list
    page = admin.get(listing + f"/{session_id}").text
    by_commune = re.search(r'<table class="stack" id="by-commune">(.*?)</table>', page, re.S).group(1)
    assert re.search(r"Montreuil</th><td data-label=\"Inscrits\">1</td>", by_commune)
    by_ept = re.search(r'<table class="stack" id="by-ept">(.*?)</table>', page, re.S).group(1)
    assert "Est Ensemble" in by_ept and "Paris" in by_ept
    assert 'role="img"' in page and "2 inscrit(s) sur 2 places" in page
    exported = admin.get(listing + f"/{session_id}/attendees.csv")
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert [line[0] for line in lines[1:]] == ["Awa Diallo", "Karim B", "Zoé L"]
    book = openpyxl.load_workbook(io.BytesIO(admin.get(listing + f"/{session_id}/attendees.xlsx").content))
    assert [c.value for c in book.active[3]][:2] == ["Awa Diallo", "awa@montreuil.fr"]
    # A new time: every registrant is told (the notices are queued).
    changed = admin.post(listing + f"/{session_id}/edit", data={
        "csrf_token": token, "title": "Présentation aux élus", "start": "2031-03-05T14:00",
        "minutes": "60", "capacity": "2", "link": "https://visio.example.org/elus"})
    assert "va être prévenu(e)" in changed.text
    assert ("changed", "chat", "pending") in [n[:3] for n in notices_of_registration(
        first.registration_id, url=site.url)]
    # Attendance: only once the session has begun.
    assert admin.post(listing + f"/{session_id}/attendance",
                      data={"csrf_token": token, "present": str(first.registration_id)}
                      ).status_code == 400
    past = create_session("Atelier passé", now_paris() - timedelta(hours=1), 60, 5,
                          "https://visio.example.org/x", actor="t",
                          now=now_paris() - timedelta(hours=3), url=site.url)
    came = register(past.id, "Inès M", "ines@pantin.fr", "Pantin", "agent", "telegram", "tg:14",
                    now=now_paris() - timedelta(hours=2), url=site.url)
    register(past.id, "Paul R", "paul@pantin.fr", "Pantin", "agent", "telegram", "tg:15",
             now=now_paris() - timedelta(hours=2), url=site.url)
    saved = admin.post(listing + f"/{past.id}/attendance",
                       data={"csrf_token": token, "present": str(came.registration_id)})
    assert "Les présences sont enregistrées" in saved.text
    lines = list(csv.reader(io.StringIO(admin.get(listing + f"/{past.id}/attendees.csv")
                                        .content.decode("utf-8-sig")), delimiter=";"))
    assert [(line[0], line[-1]) for line in lines[1:]] == [("Inès M", "Oui"), ("Paul R", "Non")]
    # Staff of a structure see none of it; a POST without the token changes nothing.
    staff = login(site, "agent@paris12.example")
    assert staff.get(listing).status_code == 403
    assert staff.get(listing + f"/{session_id}/attendees.csv").status_code == 403
    assert admin.post(listing + f"/{session_id}/edit", data={"start": "2031-03-06T10:00"}
                      ).status_code == 403
