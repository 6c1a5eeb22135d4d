"""Storing completed diagnostics (pseudonymous, with the grid version)."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from bot.db.models import StoredDiagnostic, utcnow
from bot.db.session import session_scope
from bot.diagnostic.engine import DiagnosticResult


def save_result(person_key: str, channel: str, result: DiagnosticResult,
                url: str | None = None, organisation_id: int | None = None) -> int:
    """Store one result (`organisation_id`: made at that organisation's counter); returns its
    id."""
    with session_scope(url) as session:
        row = StoredDiagnostic(
            person_key=person_key,
            channel=(channel or "unknown")[:32],
            grid_version=result.grid_version,
            level=result.level,
            score=result.score,
            area_scores=result.area_scores,
            services=result.services,
            accompaniment=result.accompaniment,
            support=result.support,
            answers=result.answers,
            organisation_id=organisation_id,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return row.id


def results_for(person_key: str, url: str | None = None) -> list[StoredDiagnostic]:
    with session_scope(url) as session:
        return list(session.execute(
            select(StoredDiagnostic).where(StoredDiagnostic.person_key == person_key)
            .order_by(StoredDiagnostic.created_at)
        ).scalars())


def level_counts(url: str | None = None) -> dict[str, int]:
    with session_scope(url) as session:
        return dict(Counter(session.execute(select(StoredDiagnostic.level)).scalars()))
