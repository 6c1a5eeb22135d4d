"""SMS text: GSM-7 transliteration, segment cost, and buttons as numbered choices.

An SMS is billed per segment. A message made only of GSM 03.38 characters (GSM-7) holds
160 septets in a single SMS, or 153 per part once concatenated; the extension characters
^ { } \\ [ ] ~ | € and form feed take 2 septets (an escape, then the character) and an
escape pair is never split between two parts. A single character outside GSM-7 turns the
whole message into UCS-2: 70 UTF-16 code units in a single SMS, 67 per part; a character
outside the BMP (an emoji) takes 2 code units, and a surrogate pair is never split.

`to_gsm7` gives the SMS variant of a message: French stays readable ("Vous êtes bien
inscrit(e) – à bientôt…" -> "Vous etes bien inscrit(e) - à bientot..." with é è à ù kept,
since they are GSM-7) and the message stays cheap. Rules, in order, for each character:

1. GSM-7 characters (basic set and extension table) are kept: é è ù ì ò à É Ç ä ö ñ ü
   Ä Ö Ñ Ü Å å Ø ø Æ æ ß € ...
2. The explicit table `TRANSLITERATION` (French letters and typography): ê ë -> e, â -> a,
   î ï -> i, ô -> o, û -> u, ÿ -> y, ç -> c, œ -> oe, À Â -> A, È Ê Ë -> E, Î Ï -> I,
   Ô -> O, Ù Û -> U, Œ -> OE (Oe before a lower-case letter); ’ ‘ -> ', “ ” « » -> " (the
   spaces inside « » are dropped: « Oui » -> "Oui"), … -> ..., – — and minus -> -, • -> -,
   · -> ., no-break and thin spaces -> space, ° -> o (n° -> no), © -> (c), ® -> (R),
   × -> x, → -> "->" ...
3. Otherwise the compatibility decomposition (NFKD, combining marks stripped) when it is
   made of GSM-7 characters: á ã ő -> a a o, ﬁ -> fi, full-width ２ -> 2, ½ -> 1/2,
   ™ -> TM, № -> No. A superscript digit right after a digit becomes ^2 (10² -> 10^2) and a
   fraction right after a digit is preceded by a space (1½ -> 1 1/2): digits keep their
   meaning.
4. Other Latin letters: their usual ASCII spelling (ł -> l, đ -> d, ŋ -> ng, ɛ -> e).
5. Letters, digits, punctuation and combining marks of other alphabets (Arabic, Cyrillic,
   Chinese...) and currency symbols are KEPT: the message is then UCS-2, dearer but
   correct; dropping them would destroy the message or its meaning.
6. Emoji and other symbols (and their variation selectors, skin tones, joiners), control
   and invisible format characters are DROPPED, together with the space they leave
   ("Bonjour 👋 !" -> "Bonjour !"; the keycap 1️⃣ -> 1). Bidirectional marks are kept
   only while the message still has characters of another alphabet.

URLs (http://, https://, www.) are copied untouched, even with accented letters: a changed
URL would be a broken link. Booking references and other ASCII text never change.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from unidecode import unidecode

from bot.choices import CHOSEN, UNCLEAR, read_choice

# GSM 03.38 basic character set (the escape 0x1B is not a character of its own).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
# GSM 03.38 extension table: each costs 2 septets (escape + character).
GSM7_EXTENSION = frozenset("^{}\\[]~|€\x0c")
GSM7 = GSM7_BASIC | GSM7_EXTENSION

GSM7_SINGLE, GSM7_PART = 160, 153  # septets
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units

REPLY_WITH_NUMBER = "Répondez par le numéro."

_DROP = "\x00"  # placeholder for a dropped character, removed with its surrounding space

_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"

TRANSLITERATION: dict[str, str] = {
    # French letters outside GSM-7 (é è ù à É Ç are GSM-7 and kept)
    "â": "a", "ê": "e", "ë": "e", "î": "i", "ï": "i", "ô": "o", "û": "u", "ÿ": "y", "ç": "c",
    "œ": "oe", "À": "A", "Â": "A", "È": "E", "Ê": "E", "Ë": "E", "Î": "I", "Ï": "I", "Ô": "O",
    "Ù": "U", "Û": "U", "Ÿ": "Y", "Œ": "OE",
    # apostrophes and quotes
    "’": "'", "‘": "'", "‚": "'", "‛": "'", "′": "'", "ʼ": "'", "`": "'", "´": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"', "‹": '"', "›": '"',
    "〝": '"', "〞": '"',
    # dashes, bullets, dots
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "⁃": "-",
    "•": "-", "◦": "-", "‣": "-", "∙": "-", "●": "-", "▪": "-",
    "…": "...", "·": ".",
    # spaces and line separators
    **{space: " " for space in _SPACES}, "\t": " ", "\u2028": "\n", "\u2029": "\n",
    # symbols with a plain spelling
    "°": "o", "©": "(c)", "®": "(R)", "×": "x", "÷": "/", "⁄": "/", "∕": "/", "±": "+/-",
    "≤": "<=", "≥": ">=", "≠": "!=", "→": "->", "←": "<-", "↔": "<->", "⇒": "=>",
    # an emoji whose compatibility decomposition is a letter
    "ℹ": _DROP,
}

_URL = re.compile(r"(?:https?://|www\.)[^\s<>«»\"“”‘’]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?…'’"
_OPENING_QUOTE = re.compile(f"([«‹])[ {_SPACES}]*")
_CLOSING_QUOTE = re.compile(f"[ {_SPACES}]*([»›])")
_DROPPED_RUN = re.compile(f" *(?:{_DROP} *)+")
_JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner / joiner
_BIDI_MARKS = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class SmsCost:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # 0 for an empty text


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 03.38 basic set or its extension table."""
    return all(ch in GSM7 for ch in text or "")


def _gsm_spelling(text: str) -> str | None:
    """`text` spelled in GSM-7 with the table only, or None when it cannot be."""
    out = []
    for ch in text:
        if ch in GSM7:
            out.append(ch)
        elif ch in TRANSLITERATION and TRANSLITERATION[ch] != _DROP:
            out.append(TRANSLITERATION[ch])
        else:
            return None
    return "".join(out)


def _decomposed(ch: str) -> str | None:
    """The NFKD form of `ch` without combining marks, when GSM-7 can spell it."""
    stripped = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
                       and not unicodedata.category(c).startswith("M"))
    if not stripped or stripped == ch:
        return None
    return _gsm_spelling(stripped)


def _is_latin_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L") and unicodedata.name(ch, "").startswith("LATIN")


def _is_foreign(ch: str) -> bool:
    """A letter, digit or mark kept outside GSM-7 (another alphabet)."""
    return ch not in GSM7 and unicodedata.category(ch)[0] in "LNM"


def _transliterate(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _OPENING_QUOTE.sub(r"\1", text)
    text = _CLOSING_QUOTE.sub(r"\1", text)
    out: list[str] = []
    for index, ch in enumerate(text):
        previous = out[-1] if out else ""
        if ch in GSM7:
            out.append(ch)
            continue
        if ch == "Œ" and text[index + 1:index + 2].islower():
            out.append("Oe")  # Œuvre -> Oeuvre, ŒUVRE -> OEUVRE
            continue
        if ch in TRANSLITERATION:
            out.append(TRANSLITERATION[ch])
            continue
        category = unicodedata.category(ch)
        spelled = _decomposed(ch)
        if spelled is not None:
            if category == "No" and spelled[:1].isdigit() and previous[-1:].isdigit():
                spelled = ("^" if "SUPERSCRIPT" in unicodedata.name(ch, "") else " ") + spelled
            out.append(spelled)
            continue
        if _is_latin_letter(ch):
            ascii_spelling = unidecode(ch)
            if ascii_spelling and is_gsm7(ascii_spelling):
                out.append(ascii_spelling)
                continue
            out.append(ch)
            continue
        if category[0] in "LNP" or category == "Sc":
            out.append(ch)  # another alphabet, or money: kept (UCS-2)
        elif category[0] == "M":
            out.append(ch if _is_foreign(previous[-1:]) else _DROP)
        elif category[0] == "Z":
            out.append("\n" if category in ("Zl", "Zp") else " ")
        elif ch in _JOINERS:
            following = text[index + 1:index + 2]
            keep = _is_foreign(previous[-1:]) and following and _is_foreign(following) \
                and unicodedata.category(following)[0] in "LM"
            out.append(ch if keep else _DROP)
        elif ch in _BIDI_MARKS:
            out.append(ch)  # removed below when nothing of another alphabet remains
        else:
            out.append(_DROP)  # emoji, other symbols, controls, invisible or unknown characters
    return "".join(out)


def _remove_dropped(text: str) -> str:
    def replace(match: re.Match) -> str:
        start, end = match.start(), match.end()
        at_line_start = start == 0 or text[start - 1] == "\n"
        at_line_end = end == len(text) or text[end] == "\n"
        if at_line_start or at_line_end or " " not in match.group():
            return ""
        return " "
    return _DROPPED_RUN.sub(replace, text)


def _urls(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _URL.finditer(text):
        start, end = match.span()
        while end > start and (text[end - 1] in _URL_TRAILING or (
                text[end - 1] == ")" and text[start:end].count(")") > text[start:end].count("("))):
            end -= 1
        spans.append((start, end))
    return spans


def to_gsm7(text: str) -> str:
    """The SMS variant of `text`: GSM-7 whenever it can be written so sensibly (see module doc)."""
    if not text:
        return ""
    pieces, position = [], 0
    for start, end in _urls(text):
        pieces.append(_transliterate(text[position:start]))
        pieces.append(text[start:end])
        position = end
    pieces.append(_transliterate(text[position:]))
    result = _remove_dropped("".join(pieces))
    if any(ch in _BIDI_MARKS for ch in result):
        if all(ch in GSM7 or ch in _BIDI_MARKS for ch in result):
            result = "".join(ch for ch in result if ch not in _BIDI_MARKS)
    return result


def _utf16_units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def sms_parts(text: str) -> list[str]:
    """The parts the text is sent in (greedy packing); [] for an empty text."""
    if not text:
        return []
    if is_gsm7(text):
        cost, single, part = (lambda ch: 2 if ch in GSM7_EXTENSION else 1), GSM7_SINGLE, GSM7_PART
    else:
        cost, single, part = _utf16_units, UCS2_SINGLE, UCS2_PART
    if sum(cost(ch) for ch in text) <= single:
        return [text]
    parts, current, used = [], [], 0
    for ch in text:
        units = cost(ch)
        if used + units > part:  # an escape pair or a surrogate pair is never split
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += units
    parts.append("".join(current))
    return parts


def segments(text: str) -> SmsCost:
    """Encoding, length in septets or UTF-16 code units, and number of billed segments."""
    text = text or ""
    if is_gsm7(text):
        encoding = "GSM-7"
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    else:
        encoding = "UCS-2"
        units = sum(_utf16_units(ch) for ch in text)
    return SmsCost(encoding=encoding, units=units, segments=len(sms_parts(text)))


def sms_variant(text: str) -> tuple[str, SmsCost]:
    """`to_gsm7(text)` and what it costs."""
    variant = to_gsm7(text)
    return variant, segments(variant)


# --- buttons as numbered choices ---------------------------------------------------------

_INTENT_LIKE = re.compile(r"^/\w")


def _lines(text: str) -> list[str]:
    """Non-blank lines, right-stripped: a blank line would split the message in Rasa."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return [line.rstrip() for line in text.split("\n") if line.strip()]


def _title(button: dict, number: int) -> str:
    title = " ".join(str(button.get("title") or "").split())
    if not title or _INTENT_LIKE.match(title):  # never show a payload, nor what looks like one
        return f"Choix {number}"
    return title


def render_with_choices(text: str, buttons: list[dict]) -> str:
    """One message: the text, one line "N - title" per button, then how to answer.

    Payloads are never shown; a button without a usable title reads "Choix N". Lines are
    separated by single newlines (no blank line).
    """
    lines = _lines(text)
    if buttons:
        lines += [f"{number} - {_title(button, number)}" for number, button in enumerate(buttons, 1)]
        lines.append(REPLY_WITH_NUMBER)
    return "\n".join(lines)


def choice_payload(reply: str, buttons: list[dict]) -> str | None:
    """The payload of the button the reply designates, or None (free words go to the NLU).

    Read by `bot.choices` (the reader of every question), whole answers only: a rank ("2",
    " 2 ", "2.", "n°2", "choix 2", "２", "2️⃣", "le 2", "2e", "le deuxième", "le dernier"), or a
    reply equal to a button title ignoring case, accents, spaces and punctuation, or with a
    typo. The rank wins over a title made of digits, since the SMS asks for ranks. "aucun",
    "je sais pas" and anything else are left to the conversation.
    """
    if not reply or not buttons:
        return None
    choice = read_choice(str(reply), [str(button.get("title") or "") for button in buttons],
                         partial=False)
    if choice.kind is CHOSEN:
        return buttons[choice.number - 1].get("payload")
    if choice.kind is UNCLEAR and choice.how == "several" and choice.candidates:
        # Two buttons with the same title and the same payload are one choice.
        payloads = {buttons[number - 1].get("payload") for number in choice.candidates}
        if len(payloads) == 1 and None not in payloads:
            return payloads.pop()
    return None
