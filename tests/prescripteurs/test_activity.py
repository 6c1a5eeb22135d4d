"""What the Métropole sees of each organisation: its referrals by month, how many the person
confirmed, what came of them, and the chart of the year (counts only)."""
from __future__ import annotations

from bot.booking.bookings import cancel
from bot.funding.marking import mark_absent, mark_accompanied
from bot.prescripteurs.activity import Activity, organisation_activity
from bot.prescripteurs.chart import activity_chart_svg
from bot.prescripteurs.organisations import create_organisation
from bot.referrals.core import confirm_by_person, referrals_of
from tests.support.booking import BOBIGNY, NOW, PARIS_11, PARIS_12, at, book_for, place_pk
from tests.support.funding import staff


def test_each_organisation_s_referrals_confirmations_and_outcomes_by_month(demo):
    poste, _ = create_organisation("La Poste Bercy", "la_poste", "Paris", actor="test")
    create_organisation("CCAS Bobigny", "ccas", "Bobigny", actor="test")
    by_poste = dict(oriented_by="prescripteur", oriented_by_organisation=poste.name,
                    organisation_id=poste.id, prescripteur_first_name="Nadia")
    came = book_for("p-came", place_pk(PARIS_12), at(3, 10), **by_poste)
    missed = book_for("p-missed", place_pk(BOBIGNY), at(3, 10), **by_poste)
    dropped = book_for("p-dropped", place_pk(PARIS_11), at(3, 14, 30), **by_poste)
    book_for("p-alone", place_pk(PARIS_12), at(10, 10))  # the assistant's: not counted
    assert confirm_by_person(came.id, "p-came", "twilio_sms", now=NOW)
    after = at(3, 18)
    mark_accompanied(referrals_of("p-came")[0].id, on=at(3, 10).date(),
                     actor=staff(place_pk(PARIS_12)), now=after)
    mark_absent(referrals_of("p-missed")[0].id, actor=staff(place_pk(BOBIGNY)), now=after)
    cancel(dropped.id, person_key="p-dropped", now=NOW)
    assert missed.reference and dropped.reference

    [bobigny, bercy] = organisation_activity(NOW.year)
    assert (bobigny.name, bobigny.months, bobigny.total.honour_rate) == ("CCAS Bobigny", {}, None)
    assert bercy.name == "La Poste Bercy"
    assert bercy.months == {f"{NOW:%Y-%m}": Activity(referrals=3, confirmed=1, accompanied=1,
                                                     absent=1, cancelled=1)}
    assert (bercy.total.confirmed_share, bercy.total.honour_rate) == (1 / 3, 1 / 3)
    assert organisation_activity(NOW.year + 1)[1].months == {}


def test_the_chart_says_its_figures_in_words():
    svg = activity_chart_svg({"2026-12": Activity(referrals=3, confirmed=1)}, 2026)
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "<title id=\"orientations-title\">Orientations des prescripteurs en 2026</title>" in svg
    assert "déc. : 3 orientation(s), 1 confirmée(s)" in svg
    assert "aucune orientation" in activity_chart_svg({}, 2026)
