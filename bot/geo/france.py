"""Communes of France outside the Métropole, by name: "Lille", "je suis à Lyon", "Toulous".

`bot/geo/locate.py` asks here only once the members, the arrondissements, the departments and
the postcodes have said nothing, so a member always wins ("Saint-Denis" is never Saint-Denis
(974)), except that a longer name beats a member's shorter one ("Montreuil-sur-Mer" is not
Montreuil, "Orly-sur-Morin" not Orly): see `longer_name_at`.

A name is recognised

- as the whole answer, the words around it left aside ("Versailles", "j'habite à Cergy merci"),
  with the article its preposition holds ("au Mans" -> Le Mans, "du Havre" -> Le Havre), and
  followed or not by its department ("Lille 59", "Marseille (13)");
- inside a sentence, right after a word that says where ("à", "au", "en", "dans", "vers",
  "sur", "habite", "près de", "à côté de"...): "je vis à Lyon avec ma fille";
- as the whole answer, by the usual short form of a commune of at least `SHORT_MIN_POPULATION`
  inhabitants ("Charleville", "Brive", "Évry") or, for those communes, with a small typo
  (`fuzzy`, a score of at least `FUZZY_MIN_SCORE`: "Toulous", "Bordeau", "Marseile").

Never recognised: a name made only of ordinary words ("Placé" is "place", "Rue", "Ville",
"L'Hôpital", "Le Pas"), except as the whole answer for a commune of at least
`SHORT_MIN_POPULATION` inhabitants ("Moulins", "Croix"); names of places inside the Métropole
that other communes also bear ("Auteuil", "Belleville", "Le Châtelet", "Saint-Germain-des-Prés":
quartiers of Paris). For those the postcode, asked next, settles it.

The index (about 35,000 communes) is built once, on first use; `preload()` builds it ahead.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz, process
from unidecode import unidecode

from bot.geo.communes import OtherCommune, other_communes

# Short forms and typos are read only for communes at least this large (about 1,000 of them):
# a small village's name typed wrong is left to the postcode question.
SHORT_MIN_POPULATION = 10_000
FUZZY_MIN_SCORE = 90.0
NAME_MAX_TOKENS = 8

_CANON = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_NON_WORD = re.compile(r"[^a-z0-9]+")
_ARTICLES = {"le", "la", "les", "l"}
# "au Mans" is "à Le Mans", "du Havre" "de Le Havre", "aux Mureaux" "à Les Mureaux".
_CONTRACTED = {"au": "le", "aux": "les", "du": "le", "des": "les"}
# Words after which a short form ends: "Charleville|-Mézières" has none, "Brive|-la-Gaillarde".
_CONNECTORS = {"sur", "sous", "en", "aux", "au", "les", "le", "la", "des", "de", "du", "d", "l",
               "saint", "sainte", "lez", "et"}
# A name after these words is a place in a sentence: "je vis à Lyon", "près de Lille".
_CUES = {"a", "au", "aux", "en", "dans", "vers", "sur", "habite", "habites", "habitons",
         "habitez", "habiter", "vis", "vit", "vivons", "vivez", "reside", "resides", "residons",
         "residez", "demeure", "pres", "proche", "cote", "region", "banlieue", "environs",
         "alentours", "agglomeration", "metropole", "mairie", "commune", "ville"}
_CUE_LINKS = {"de", "d", "du", "des"}  # "près de", "à côté d'", "la banlieue du"
# Ordinary French words (accents dropped) that are also the whole name of some small commune:
# "à la rue", "en ligne", "sur place", "je suis à l'hôpital", "au cours de" say nothing about a
# commune. A name made of these words (and articles, "de", "sur"...) is never recognised.
_ORDINARY = set("""
    a ai aide aider aise allons alors ami amie amis an annee ans apres argent arret attente au
    aussi autre avance avant avec avenir bain bains bas basse beau beaucoup belle besoin bien
    bientot blanc blanche bleu bois bon bonne bord bourg bout bus but cafe calme camp campagne
    camping car carte cave caves centre chambre champ champs change charge chateau chaud
    chaussee chemin chez ciel cinema cite clair classe clos coin colline commun compte conge
    cote cotes couleur cour cours court courte croix dame debut demain depart dessous dessus
    devant droit droite eau eaux ecole eglise emploi encore enfant enfants est etang ete etoile
    face faim fait famille fer ferme fete feu fille fils fin fleur fleurs fond fontaine force
    foret forme fort fosse fosses four foyer frais franc francs froid gare garde gauche general
    grand grande gros guichet halle haut haute herbe heure heures hier hiver hopital hotel ici
    ile iles jardin jour jours lac ligne lieu lit loge loin long longue lune madame mai mail
    main maire mairie mais maison maisons mal marche marches mare mari mars mas matin mer mere
    merci midi milieu mode moins monde mont montagne moulin moulins moyen mur murs neuf neuve
    noir noire nord nuit ouest paix pardon parent parents parc part pas passe pays pere personne
    petit petite peu pied pin pins place plage plaine plan plus poste pont port porte pre pres
    prix puits quartier rapide region retard retraite reunion rien rive riviere roche roches
    rose roses rouge route rue sable sables saint sainte salle salut sans semaine seul seule
    simple soir soleil source sources sud table taille tard temps terre titre tot tour tout
    toute train travail tres trou val vallee vent vert verte vie vieux vigne vignes village
    ville vite voie vrai vue vers y
""".split())
# Places inside the Métropole that other communes are named after: quartiers and landmarks of
# Paris. A person who names them is asked for the postcode, never told they are outside.
_INSIDE = {
    "auteuil", "belleville", "chatelet", "le chatelet", "chapelle", "la chapelle", "la villette",
    "villette", "la madeleine", "madeleine", "les halles", "halles", "les ternes", "ternes",
    "la roquette", "roquette", "gaillon", "monnaie", "rochechouart", "passy", "plaisance",
    "grenelle", "charonne", "bercy", "la muette", "le marais", "marais", "la defense",
    "saint germain", "saint germain des pres", "saint germain l auxerrois", "saint michel",
    "saint paul", "saint martin", "saint lambert", "saint georges", "saint victor",
    "saint gervais", "saint merri", "saint ambroise", "saint fargeau", "saint lazare",
    "saint sulpice", "saint antoine", "saint honore", "saint louis", "saint jacques",
    "saint augustin", "saint eustache", "saint blaise", "saint vincent de paul",
    "sainte marguerite", "sainte avoie", "notre dame", "notre dame des champs", "bel air",
    "montmartre", "montparnasse", "la goutte d or", "picpus", "javel", "necker", "monceau",
    "plaine monceau",
    # "Paris, l'hôpital ..." is Paris, not Paris-l'Hôpital (71)
    "paris l hopital",
}


def key_tokens(text: str | None) -> list[str]:
    """The words of a name as `bot.text.normalize` gives them, "st" read "saint"."""
    words = _NON_WORD.sub(" ", unidecode(str(text or "")).lower()).split()
    return [_CANON.get(w, w) for w in words]


def _ignored(key: str) -> bool:
    words = key.split()
    if key in _INSIDE:
        return True
    if words[0] in ("saint", "sainte", "saints", "saintes") and len(words) > 1:
        return False  # "Saint-Prix", "Sainte-Croix": a saint's name is a place name
    return all(w in _ORDINARY or w in _CONNECTORS for w in words)


def _short_form(tokens: list[str]) -> str | None:
    """"brive la gaillarde" -> "brive", "charleville mezieres" -> "charleville", "saint
    germain en laye" -> "saint germain"; None when the name has no shorter usual form."""
    start = 1 if tokens[0] in _ARTICLES else 0
    for i in range(start + 1, len(tokens)):
        if tokens[i] in _CONNECTORS and tokens[i - 1] not in ("saint", "sainte"):
            prefix = tokens[:i]
            break
    else:
        if len(tokens) - start != 2 or tokens[start] in ("saint", "sainte"):
            return None
        prefix = tokens[:start + 1]
    if len(prefix) == len(tokens) or len(prefix[-1]) < 3:
        return None
    return " ".join(prefix)


@lru_cache(maxsize=1)
def _indexes() -> tuple[dict[str, tuple[OtherCommune, ...]], dict[str, tuple[OtherCommune, ...]],
                        int]:
    """Full names -> communes; short forms of the larger communes, and their names made of
    ordinary words, read as the whole answer only -> communes; the longest name in words."""
    full: dict[str, list[OtherCommune]] = {}
    short: dict[str, list[OtherCommune]] = {}
    forms: dict[str, list[OtherCommune]] = {}
    longest = 1
    for commune in other_communes():
        tokens = key_tokens(commune.nom)
        key = " ".join(tokens)
        longest = max(longest, len(tokens))
        if not _ignored(key):
            full.setdefault(key, []).append(commune)
        elif commune.population >= SHORT_MIN_POPULATION and key not in _INSIDE:
            # a large commune named with ordinary words ("Moulins", "Croix", "Le Port"): as
            # the whole answer only
            short.setdefault(key, []).append(commune)
        form = _short_form(tokens)
        if form and not _ignored(form):
            forms.setdefault(form, []).append(commune)
    # a short form is read when a large commune has it; then it means all that have it
    # ("roissy": Roissy-en-Brie, 23,000 inhabitants, and Roissy-en-France)
    for form, found in forms.items():
        if any(c.population >= SHORT_MIN_POPULATION for c in found):
            short.setdefault(form, []).extend(found)

    def frozen(index):
        return {k: tuple(sorted(v, key=lambda c: -c.population)) for k, v in index.items()}

    return frozen(full), frozen(short), min(longest, NAME_MAX_TOKENS)


def preload() -> None:
    """Builds the index now (about 0.3 s) rather than on the first answer that needs it."""
    _indexes()
    _fuzzy_choices()


def longest_at(tokens: list[str], i: int) -> tuple[int, tuple[OtherCommune, ...]]:
    """The longest full name starting at token `i`: (its length in words, its communes), or
    (0, ())."""
    full, _, longest = _indexes()
    for n in range(min(longest, len(tokens) - i), 0, -1):
        found = full.get(" ".join(tokens[i:i + n]))
        if found:
            return n, found
    return 0, ()


def longer_name_at(tokens: list[str], i: int, length: int) -> int:
    """How many words from token `i` a commune's name outside the Métropole covers when it is
    longer than the member's name of `length` words found there, else 0: "montreuil sur mer",
    "le bourget du lac", "au bourget du lac" (the article of "au" or just before counts)."""
    tries = [(tokens[i:], 0)]
    if i > 0 and tokens[i - 1] in _ARTICLES:
        tries.append((tokens[i - 1:], 1))
    elif i > 0 and tokens[i - 1] in _CONTRACTED:
        tries.append(([_CONTRACTED[tokens[i - 1]]] + tokens[i:], 1))
    for words, extra in tries:
        n, _ = longest_at(words, 0)
        if n - extra > length:
            return n - extra
    return 0


def split_department(tokens: list[str]) -> tuple[list[str], str | None]:
    """"lille 59" -> (["lille"], "59"); "marseille 13" -> (["marseille"], "13"); an
    arrondissement after the name is left aside ("lyon 3e" -> (["lyon"], None))."""
    if len(tokens) >= 2 and re.fullmatch(r"[0-9]{1,2}(?:e|eme|er|ere)", tokens[-1]):
        return tokens[:-1], None
    if len(tokens) >= 3 and tokens[-1] in ("e", "eme", "er") and tokens[-2].isdigit():
        return tokens[:-2], None
    if len(tokens) >= 2:
        last = tokens[-1].upper()
        if re.fullmatch(r"[0-9]{1,3}|2A|2B", last):
            return tokens[:-1], last.zfill(2) if last.isdigit() else last
    return tokens, None


class Match(NamedTuple):
    """Communes outside the Métropole that an answer names, and the key it named them by
    ("lille", "roissy" for Roissy-en-Brie and Roissy-en-France)."""

    communes: tuple[OtherCommune, ...]
    key: str

    @property
    def department(self) -> str | None:
        """The department of them all, if they share one."""
        departments = {c.departement for c in self.communes}
        return departments.pop() if len(departments) == 1 else None

    @property
    def name(self) -> str:
        """How to say what was understood: "Lille (59)"; the name alone when communes of
        several departments bear it ("Saint-Étienne"); the words typed, as the communes write
        them, for a short form several of them share ("Roissy")."""
        found = self.communes
        names = list(dict.fromkeys(c.nom for c in found))
        if len(names) == 1:
            name = names[0]
        else:
            exact = [c.nom for c in found if " ".join(key_tokens(c.nom)) == self.key]
            if exact:
                name = exact[0]
            else:  # a short form: the first words of the name ("Roissy-en-Brie" -> "Roissy")
                words = re.split(r"[-\s]+", found[0].nom)
                name = "-".join(words[:len(self.key.split())])
        department = self.department
        return f"{name} ({department})" if department else name


def whole(core: list[str], before: str | None) -> Match | None:
    """The communes whose name is the whole answer `core` (the words around it left aside;
    `before` is the word just before it, whose article is restored: "au" + "mans")."""
    core, department = split_department(core)
    if not core or len(core) > NAME_MAX_TOKENS:
        return None
    full, short, _ = _indexes()
    text = " ".join(core)
    keys = [text]
    article = _CONTRACTED.get(before or "", before if before in _ARTICLES else None)
    if article:
        keys.insert(0, f"{article} {text}")
    for key in keys:
        found = list(full.get(key, ()))
        found += [c for c in short.get(key, ()) if c not in found]
        if found:
            if department is not None:  # "Lille 59": that department's, if any is there
                found = [c for c in found if c.departement == department] or found
            return Match(tuple(found), key)
    return None


def homonyms_in(core: list[str], department: str) -> Match | None:
    """The communes outside named exactly `core` in `department`: "saint denis" in "974"."""
    full, _, _ = _indexes()
    key = " ".join(core)
    found = tuple(c for c in full.get(key, ()) if c.departement == department)
    return Match(found, key) if found else None


def in_sentence(tokens: list[str]) -> Match | None:
    """The communes named right after a word that says where, or after it and "de" ("je vis à
    Lyon avec ma fille", "près de Lille", "la banlieue du Havre"): the first ones named.
    A street ("rue de Lyon") has no such word before the name."""
    for i, word in enumerate(tokens[:-1]):
        if word not in _CUES:
            continue
        starts = [(i + 1, _CONTRACTED.get(word))]
        if tokens[i + 1] in _CUE_LINKS and i + 2 < len(tokens):
            starts.append((i + 2, _CONTRACTED.get(tokens[i + 1])))
        for start, article in starts:
            if article:  # "au Mans": "le mans"
                words = [article] + tokens[start:]
                n, found = longest_at(words, 0)
                if n > 1:
                    return Match(found, " ".join(words[:n]))
            n, found = longest_at(tokens, start)
            if n:
                return Match(found, " ".join(tokens[start:start + n]))
    return None


@lru_cache(maxsize=1)
def _fuzzy_choices() -> tuple[list[str], list[tuple[OtherCommune, ...]]]:
    full, short, _ = _indexes()
    keys, values = [], []
    for index in (full, short):
        for key, found in index.items():
            large = tuple(c for c in found if c.population >= SHORT_MIN_POPULATION)
            if large and len(key) >= 5:
                keys.append(key)
                values.append(large)
    return keys, values


def fuzzy(core: list[str]) -> Match | None:
    """The larger communes whose name is the whole answer typed with a small mistake
    ("toulous", "bordeau", "marseile"); None when none is close enough, or when the answer is
    a place of Paris ("monceau" is not Montceau-les-Mines)."""
    text = " ".join(core)
    if (not core or len(core) > 5 or len(text) < 5 or not all(w.isalpha() for w in core)
            or text in _INSIDE):
        return None
    keys, values = _fuzzy_choices()
    best = process.extractOne(text, keys, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE)
    if best is None:
        return None
    key, _, i = best
    if _ignored(key):
        return None
    return Match(values[i], key)
