"""The person's mobile as a prescripteur types it: a French mobile gives the person's own SMS
pseudonym; a landline, a foreign number or garbage is told apart."""
from __future__ import annotations

import pytest

from bot.prescripteurs.mobile import MobileKind, read_mobile
from bot.pseudonyms import conversation_identity, person_key


@pytest.mark.parametrize("typed, kind, e164", [
    ("06 12 34 56 78", MobileKind.MOBILE, "+33612345678"),
    ("06.12.34.56.78", MobileKind.MOBILE, "+33612345678"),
    ("+33 7 81 23 45 67", MobileKind.MOBILE, "+33781234567"),
    ("0033612345678", MobileKind.MOBILE, "+33612345678"),
    ("+262 692 12 34 56", MobileKind.MOBILE, "+262692123456"),  # La Réunion
    ("01 23 45 67 89", MobileKind.LANDLINE, "+33123456789"),
    ("09 72 12 34 56", MobileKind.LANDLINE, "+33972123456"),
    ("+44 7911 123456", MobileKind.FOREIGN, "+447911123456"),
    ("+212 6 12 34 56 78", MobileKind.FOREIGN, "+212612345678"),
    ("0612", MobileKind.INVALID, None),
    ("bonjour", MobileKind.INVALID, None),
    ("", MobileKind.INVALID, None),
    ("٠٦١٢٣٤٥٦٧٨", MobileKind.MOBILE, "+33612345678"),  # Arabic-Indic digits
    ("0" * 5000, MobileKind.INVALID, None),
])
def test_numbers_are_read_as_typed_at_a_counter(typed, kind, e164):
    found = read_mobile(typed)
    assert (found.kind, found.e164) == (kind, e164)


def test_a_mobile_names_the_same_person_as_an_sms_from_it(monkeypatch):
    monkeypatch.setenv("NPT_SECRET_KEY", "test-secret-key")
    found = read_mobile("06 12 34 56 78")
    assert found.person_key == person_key(conversation_identity("sms:+33612345678"))
    with pytest.raises(ValueError):
        read_mobile("01 23 45 67 89").person_key
