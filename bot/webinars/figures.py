"""What the organisers count for a session: seats held and waiting, by commune and by EPT (the
territorial establishments of the Métropole; Paris belongs to none), and who attended."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from bot.db.models import WebinarRegistration
from bot.db.session import session_scope
from bot.geo.communes import place as place_by_insee
from bot.webinars.seats import OFFERED, REGISTERED, WAITING

PARIS_EPT = "Paris"


@dataclass
class Counts:
    registered: int = 0  # a seat (an offered seat included)
    waiting: int = 0
    attended: int = 0


@dataclass
class SessionFigures:
    by_commune: dict[str, Counts] = field(default_factory=dict)  # commune name -> counts
    by_ept: dict[str, Counts] = field(default_factory=dict)
    total: Counts = field(default_factory=Counts)


def session_figures(session_id: int, url: str | None = None) -> SessionFigures:
    with session_scope(url) as session:
        rows = list(session.execute(
            select(WebinarRegistration.commune_insee, WebinarRegistration.status,
                   WebinarRegistration.attended)
            .where(WebinarRegistration.session_id == session_id,
                   WebinarRegistration.status.in_((REGISTERED, OFFERED, WAITING)))))
    figures = SessionFigures()
    for insee, status, attended in rows:
        commune = place_by_insee(insee)
        name = commune.nom if commune is not None else insee
        ept = (commune.ept or PARIS_EPT) if commune is not None else "?"
        for counts in (figures.by_commune.setdefault(name, Counts()),
                       figures.by_ept.setdefault(ept, Counts()), figures.total):
            if status == WAITING:
                counts.waiting += 1
            else:
                counts.registered += 1
            counts.attended += 1 if attended else 0
    order = lambda table: dict(sorted(table.items(),  # noqa: E731 - most registered first
                                      key=lambda item: (-item[1].registered, item[0])))
    figures.by_commune, figures.by_ept = order(figures.by_commune), order(figures.by_ept)
    return figures
