"""The programme's funnel: conversations counted once a month without keeping their id, every
step counted by month, and the filters by channel, commune and organisation."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import create_engine, text

from bot.diagnostic import evaluate
from bot.diagnostic.results import save_result
from bot.funding import mark_absent, mark_accompanied
from bot.funding.actors import Actor
from bot.funnel.chart import funnel_chart_svg
from bot.funnel.figures import choices, funnel
from bot.funnel.starts import record_start
from bot.prescripteurs.mobile import read_mobile
from bot.prescripteurs.organisations import create_organisation
from bot.prescripteurs.sessions import enter
from bot.referrals.core import confirm_by_person, referrals_of
from tests.support.booking import BOBIGNY, NOW, PARIS, PARIS_12, at, book_for, place_pk


def test_a_conversation_counts_once_a_month_and_its_id_is_not_kept(demo):
    december, january = datetime(2026, 12, 5, tzinfo=PARIS), datetime(2027, 1, 2, tzinfo=PARIS)
    organisation, _ = create_organisation("CCAS de Bondy", "ccas", "Bondy", actor="test")
    assert record_start("telegram", "tg:123456", now=december)
    assert not record_start("telegram", "tg:123456", now=december + timedelta(days=3))
    assert record_start("telegram", "tg:123456", now=january)  # a new month counts again
    assert record_start("socketio", "web:abc", now=december)
    # Each person at a prescripteur's counter counts, with no conversation at all.
    assert record_start("telegram", None, organisation.id, now=december)
    assert record_start("telegram", None, organisation.id, now=december)
    with create_engine(demo).connect() as connection:
        stored = connection.execute(text("select * from conversation_starts")).all()
    assert "123456" not in repr(stored) and "web:abc" not in repr(stored)
    assert funnel(2026).months["2026-12"]["started"] == 4
    assert funnel(2026, channel="telegram").months["2026-12"]["started"] == 3
    assert funnel(2026, organisation_id=organisation.id).months["2026-12"]["started"] == 2
    assert funnel(2027).months["2027-01"]["started"] == 1


def test_every_step_is_counted_and_filtered(demo):
    organisation, code = create_organisation("La Poste Nation", "la_poste", "Paris", actor="test")
    session = enter(code, "tg:90", "telegram", now=NOW).session

    result = evaluate({"equipement": 1, "connexion": 1, "usage": 1, "information": 1,
                       "communication": 1, "contenu": 1, "securite": 1, "resolution": 1,
                       "besoin": 1, "contrainte": 2})
    save_result("citizen", "socketio", result)
    save_result("at-counter", "telegram", result, organisation_id=organisation.id)
    person = read_mobile("06 12 34 56 74")
    counter = book_for(person.person_key, place_pk(PARIS_12), at(3, 10), sender_id=f"sms:{person.e164}",
                       oriented_by="prescripteur", organisation_id=organisation.id,
                       prescripteur_session_id=session.id)
    book_for("citizen", place_pk(BOBIGNY), at(3, 9), channel="socketio", sender_id="web:x")
    book_for("another", place_pk(PARIS_12), at(3, 10, 45), channel="socketio", sender_id="web:y")
    confirm_by_person(counter.id, person.person_key, "twilio_sms", now=NOW)
    staff = {r.person_key: r for r in referrals_of(person.person_key) + referrals_of("citizen")}
    mark_accompanied(staff[person.person_key].id, on=date(2026, 12, 3),
                     actor=Actor("a@example.org", "structure", place_pk(PARIS_12)), now=at(3, 12))
    mark_absent(staff["citizen"].id, actor=Actor("b@example.org", "structure", place_pk(BOBIGNY)),
                now=at(3, 12))

    month = funnel(2026).months["2026-12"]
    assert {k: month[k] for k in ("diagnosed", "booked", "confirmed", "accompanied", "absent")} == \
        {"diagnosed": 2, "booked": 3, "confirmed": 1, "accompanied": 1, "absent": 1}
    # The counter's referral counts on the prescripteur's channel (Telegram), not the SMS.
    telegram = funnel(2026, channel="telegram").months["2026-12"]
    assert (telegram["diagnosed"], telegram["booked"], telegram["accompanied"]) == (1, 1, 1)
    by_organisation = funnel(2026, organisation_id=organisation.id).totals
    assert (by_organisation["booked"], by_organisation["confirmed"]) == (1, 1)
    paris_12 = [code for code, name in choices(2026).communes if "Paris" in name]
    assert paris_12
    in_paris = funnel(2026, commune=paris_12[0]).totals
    assert in_paris["started"] is None and in_paris["diagnosed"] is None
    assert in_paris["booked"] == 2 and in_paris["absent"] == 0
    assert (organisation.id, "La Poste Nation") in choices(2026).organisations

    chart = funnel_chart_svg(funnel(2026).totals, "Parcours 2026")
    assert 'role="img"' in chart and "Rendez-vous pris : 3" in chart
    assert "Accompagnés : 1 (33 %)" in chart  # a share of the bookings
