"""Great-circle distances, for shared locations now and for the place search later."""
from __future__ import annotations

import math

# Mean Earth radius (IUGG), in km. The haversine formula on a sphere is within 0.5 % of the
# ellipsoid distance, far below the precision of a commune centroid.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in km between two points given in decimal degrees (WGS 84)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def valid_point(lat: object, lon: object) -> bool:
    """True for a finite latitude in [-90, 90] and longitude in [-180, 180]."""
    try:
        lat_f, lon_f = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    if isinstance(lat, bool) or isinstance(lon, bool):
        return False
    return (math.isfinite(lat_f) and math.isfinite(lon_f)
            and -90 <= lat_f <= 90 and -180 <= lon_f <= 180)
