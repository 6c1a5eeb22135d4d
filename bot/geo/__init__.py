"""Where the person is: member communes and Paris arrondissements of the Métropole du Grand
Paris, what a person types or shares, distances, and what the assistant says about it."""
from bot.geo.communes import Arrondissement, Commune, Place
from bot.geo.distance import haversine_km
from bot.geo.locate import (
    AMBIGUOUS, FOUND, OUTSIDE, OUTSIDE_KM, UNKNOWN, Location, locate, locate_point, nearest_places,
)
from bot.geo.messages import ask_where, render

__all__ = [
    "AMBIGUOUS", "FOUND", "OUTSIDE", "OUTSIDE_KM", "UNKNOWN", "Arrondissement", "Commune",
    "Location", "Place", "ask_where", "haversine_km", "locate", "locate_point",
    "nearest_places", "render",
]
