"""Tables of the assistant's own data. Persons are known only by their pseudonym."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Column, DateTime, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Person(Base):
    """A person, by the keyed hash of their channel identity; never the raw number or id."""

    __tablename__ = "people"

    person_key = Column(String(64), primary_key=True)
    consent_at = Column(DateTime, nullable=True)
    opted_out_at = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class StoredDiagnostic(Base):
    """One completed diagnostic, with the grid version that scored it."""

    __tablename__ = "diagnostic_results"

    id = Column(Integer, primary_key=True)
    person_key = Column(String(64), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    grid_version = Column(String(32), nullable=False)
    level = Column(String(32), nullable=False)
    score = Column(Integer, nullable=False)
    area_scores = Column(JSON, nullable=False)
    services = Column(JSON, nullable=False)
    accompaniment = Column(String(64), nullable=False)
    support = Column(JSON, nullable=False)
    answers = Column(JSON, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
