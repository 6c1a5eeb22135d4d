"""The default directory: the 80 France Services sites of the Métropole du Grand Paris.

`data/places/france_services_mgp_schema_lieux_mediation_numerique_v1.csv` is the ANCT list of
France Services (snapshot of 2024-08-01) mapped to the national standard v1.0.2; see
`data/SOURCES.md`. Importing it again changes nothing (upsert by source and id).
"""
from __future__ import annotations

from bot.paths import DATA_DIR
from bot.places.importer import ImportReport, import_places

DEFAULT_PLACES_FILE = DATA_DIR / "places" / "france_services_mgp_schema_lieux_mediation_numerique_v1.csv"
DEFAULT_SOURCE = "france-services-2024-08-01"


def seed_default_places(url: str | None = None) -> ImportReport:
    """Import the shipped France Services sites under the source `france-services-2024-08-01`."""
    return import_places(DEFAULT_PLACES_FILE, source=DEFAULT_SOURCE, url=url)
