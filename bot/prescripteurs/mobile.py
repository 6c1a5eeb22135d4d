"""The person's mobile number, as a prescripteur types it at the counter.

Read with `phonenumbers` (France by default): a French mobile (metropolitan or overseas) is
kept in E.164 and gives the person's own pseudonym, the one an SMS from that number has, so
that a person oriented at a counter and texting later is one person. A landline or a foreign
number cannot receive our SMS (the programme sends to French mobiles): the prescripteur is told,
and may book without SMS. Anything else is not a number.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import phonenumbers
from phonenumbers import PhoneNumberType

from bot.pseudonyms import channel_identity, person_key

# France and its overseas departments and collectivities with French numbers.
FRENCH_REGIONS = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF"}
MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class MobileKind(str, Enum):
    MOBILE = "mobile"  # a French mobile: SMS can be sent
    LANDLINE = "landline"  # a valid French number that is not a mobile
    FOREIGN = "foreign"  # a valid number of another country
    INVALID = "invalid"  # not a phone number


@dataclass(frozen=True)
class MobileCheck:
    kind: MobileKind
    e164: str | None = None  # set for every valid number

    @property
    def person_key(self) -> str:
        """The pseudonym of the person of this mobile (the key an SMS from it has)."""
        if self.kind is not MobileKind.MOBILE:
            raise ValueError("only a mobile number names a person here")
        return person_key(channel_identity("twilio_sms", self.e164))


def read_mobile(typed: str) -> MobileCheck:
    """"06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678" -> a French mobile in E.164."""
    text = str(typed or "").strip()[:40]
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return MobileCheck(MobileKind.INVALID)
    if not phonenumbers.is_valid_number(number):
        return MobileCheck(MobileKind.INVALID)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.region_code_for_number(number) not in FRENCH_REGIONS:
        return MobileCheck(MobileKind.FOREIGN, e164)
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        return MobileCheck(MobileKind.LANDLINE, e164)
    return MobileCheck(MobileKind.MOBILE, e164)
