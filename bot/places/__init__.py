"""The directory of places of digital mediation (national standard "lieux de médiation numérique")."""
from bot.places.importer import (ImportReport, PlacesDatabaseError, PlacesFileError, PlacesImportError,
                                 RowProblem, import_places)
from bot.places.schema import FieldError, StandardSchema, load_schema, validate_row
from bot.places.seed import DEFAULT_SOURCE, seed_default_places

__all__ = [
    "DEFAULT_SOURCE", "FieldError", "ImportReport", "PlacesDatabaseError", "PlacesFileError",
    "PlacesImportError", "RowProblem", "StandardSchema", "import_places", "load_schema",
    "seed_default_places", "validate_row",
]
