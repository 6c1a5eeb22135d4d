"""Persons of the funding: one canonical key per person, after an admin's merges.

A person reached by SMS and by Telegram has two pseudonymous keys; an admin says they are the
same person with `merge_persons(from_key, into_key, ...)` (bot.funding.merges). Merges chain:
when B was merged into C, a key A merged into B resolves to C. A key is merged once
(person_merges.from_key is unique), never into itself nor into a key that resolves back to it
(no cycle).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import PersonMerge
from bot.funding.errors import InvalidMerge

_CHAIN_LIMIT = 1000  # a longer chain means a corrupted table (a cycle written by hand)


def merge_map(session: Session) -> dict[str, str]:
    """Every merge: from_key -> into_key (as written, not resolved)."""
    return dict(session.execute(select(PersonMerge.from_key, PersonMerge.into_key)).all())


def resolve(merges: dict[str, str], key: str) -> str:
    """The final key of `key` along the chain of `merges`."""
    seen = {key}
    while key in merges:
        key = merges[key]
        if key in seen:
            raise InvalidMerge(f"the person merges form a cycle through {key!r}",
                               "Les fusions de personnes forment une boucle : corrigez-les.")
        seen.add(key)
    return key


def canonical_key(session: Session, key: str) -> str:
    """The key `key` resolves to after every merge (itself when it was never merged)."""
    seen = {key}
    for _ in range(_CHAIN_LIMIT):
        into = session.execute(select(PersonMerge.into_key)
                               .where(PersonMerge.from_key == key)).scalar()
        if into is None:
            return key
        if into in seen:
            break
        seen.add(into)
        key = into
    raise InvalidMerge(f"the person merges form a cycle through {key!r}",
                       "Les fusions de personnes forment une boucle : corrigez-les.")
