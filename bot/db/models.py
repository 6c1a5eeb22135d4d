"""Tables of the assistant's own data. Persons are known only by their pseudonym."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (JSON, Boolean, Column, Date, DateTime, Float, Integer, String, Text,
                        UniqueConstraint, false)
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


class Place(Base):
    """A place of digital mediation, as in the national standard "lieux de médiation numérique".

    Every one of the standard's 32 fields (v1.0.2) has a column of the same name, except the
    standard's `source` (the structure that collected the data), kept in `source_structure`
    because `source` here names the file or importer the row came from. Fields holding several
    `|`-separated values are JSON lists (empty list when empty). `partner` and
    `booking_enabled` belong to the programme: an import never changes them.
    """

    __tablename__ = "places"
    __table_args__ = (UniqueConstraint("source", "id", name="uq_places_source_id"),)

    pk = Column(Integer, primary_key=True)
    source = Column(String(255), nullable=False)
    # The 32 fields of the standard, in its order.
    id = Column(String(255), nullable=False)
    pivot = Column(String(14), nullable=False)
    nom = Column(Text, nullable=False)
    commune = Column(Text, nullable=False)
    code_postal = Column(String(5), nullable=False, index=True)
    code_insee = Column(String(5), nullable=True, index=True)
    adresse = Column(Text, nullable=False)
    complement_adresse = Column(Text, nullable=True)
    latitude = Column(Float, nullable=True)
    longitude = Column(Float, nullable=True)
    typologie = Column(JSON, nullable=False, default=list)
    telephone = Column(String(16), nullable=True)
    courriels = Column(JSON, nullable=False, default=list)
    site_web = Column(JSON, nullable=False, default=list)
    horaires = Column(Text, nullable=True)
    presentation_resume = Column(Text, nullable=True)
    presentation_detail = Column(Text, nullable=True)
    source_structure = Column(Text, nullable=True)
    itinerance = Column(JSON, nullable=False, default=list)
    structure_parente = Column(Text, nullable=True)
    date_maj = Column(Date, nullable=False)
    services = Column(JSON, nullable=False, default=list)
    publics_specifiquement_adresses = Column(JSON, nullable=False, default=list)
    prise_en_charge_specifique = Column(JSON, nullable=False, default=list)
    frais_a_charge = Column(JSON, nullable=False, default=list)
    dispositif_programmes_nationaux = Column(JSON, nullable=False, default=list)
    formations_labels = Column(JSON, nullable=False, default=list)
    autres_formations_labels = Column(Text, nullable=True)
    modalites_acces = Column(JSON, nullable=False, default=list)
    modalites_accompagnement = Column(JSON, nullable=False, default=list)
    fiche_acces_libre = Column(Text, nullable=True)
    prise_rdv = Column(Text, nullable=True)
    # The programme's own fields.
    partner = Column(Boolean, nullable=False, default=False, server_default=false())
    booking_enabled = Column(Boolean, nullable=False, default=False, server_default=false())
    imported_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
