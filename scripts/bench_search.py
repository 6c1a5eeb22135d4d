"""Speed of the place search (`bot.places.search.find_places`) on a national-size directory.

Builds a throwaway SQLite database (migrated like the real one), fills it with `n_places`
places made from the shipped France Services rows (services, hours, fees kept; coordinates
jittered), then times `queries` searches from random points of the Métropole du Grand Paris.

Where the places are: `mgp_share` of them (default a tenth, about the Île-de-France share of
the national directory) are scattered over the Métropole, within 2 km of a member commune's or
arrondissement's centroid; the others are spread uniformly over the bounding box of
metropolitan France. Uniform places alone would leave the Métropole almost empty (about 15
places within 15 km) and flatter the search.

The queries mix the diagnostic's needs (see PRODUCT.md, "Diagnostic grid v1"), accompaniment
modes and specific supports. None of the shipped rows lists a mode or a specific support, and
some needs ask for services they do not offer: those searches cannot stop early and read every
place within 15 km, which is the worst case of the search.

    .venv/bin/python scripts/bench_search.py [--places N] [--queries N] [--index]

prints one JSON object (times in milliseconds).
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

from bot.db.models import Place, utcnow  # noqa: E402
from bot.db.session import get_engine, upgrade  # noqa: E402
from bot.geo.communes import point_places  # noqa: E402
from bot.places.schema import load_schema  # noqa: E402
from bot.places.search import find_places  # noqa: E402
from bot.places.seed import DEFAULT_PLACES_FILE  # noqa: E402

FRANCE_BOX = (41.3, 51.1, -5.2, 9.6)  # south, north, west, east (metropolitan France)
KM_PER_DEGREE = 111.195
INSERT_BATCH = 5000
ADMIN = "Aide aux démarches administratives"
# (services, accompaniment, specific) of the searches, cycled through.
QUERY_PROFILES = (
    ([ADMIN], "Accompagnement individuel", None),
    (["Insertion professionnelle via le numérique"], "Dans un atelier collectif", None),
    (["Maîtrise des outils numériques du quotidien"], None, None),
    ([ADMIN], "En autonomie", ["Langues étrangères (anglais)", "Langues étrangères (autres)"]),
    (["Parentalité et éducation avec le numérique"], "Accompagnement individuel", None),
    (["Acquisition de matériel informatique à prix solidaire",
      "Accès internet et matériel informatique"], "Accompagnement individuel", None),
    (["Utilisation sécurisée du numérique", ADMIN], None, ["Surdité"]),
    (["Maîtrise des outils numériques du quotidien", ADMIN], "Accompagnement individuel",
     ["Illettrisme"]),
)


def _seed_values() -> list[dict]:
    """The shipped France Services rows, as the importer would store them."""
    schema = load_schema()
    with DEFAULT_PLACES_FILE.open(encoding="utf-8-sig", newline="") as handle:
        rows = [schema.to_values(row) for row in csv.DictReader(handle)]
    for values in rows:
        values["source_structure"] = values.pop("source")
    return rows


def _jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    dlat = rng.uniform(-km, km) / KM_PER_DEGREE
    dlon = rng.uniform(-km, km) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def _generate(n_places: int, mgp_share: float, rng: random.Random) -> list[dict]:
    templates = _seed_values()
    centroids = point_places()
    now = utcnow()
    south, north, west, east = FRANCE_BOX
    rows = []
    for number in range(n_places):
        values = dict(rng.choice(templates))
        if rng.random() < mgp_share:
            centroid = rng.choice(centroids)
            lat, lon = _jitter(rng, centroid.lat, centroid.lon, 2.0)
        else:
            lat, lon = rng.uniform(south, north), rng.uniform(west, east)
        values.update(id=f"bench-{number}", latitude=round(lat, 6), longitude=round(lon, 6),
                      source="bench", partner=False, booking_enabled=False, imported_at=now,
                      updated_at=now)
        rows.append(values)
    return rows


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def bench_search(n_places: int = 20000, queries: int = 200, mgp_share: float = 0.1,
                 lat_lon_index: bool = True, seed: int = 20250715) -> dict:
    """Build a directory of `n_places` places and time `queries` searches; see the module's doc.

    `lat_lon_index=False` drops the index on (latitude, longitude) that migration 0004 creates,
    to show what it brings.
    """
    rng = random.Random(seed)
    rows = _generate(n_places, mgp_share, rng)
    with tempfile.TemporaryDirectory(prefix="npt-bench-search-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        engine = get_engine(url)
        try:
            started = time.perf_counter()
            with engine.begin() as connection:
                for start in range(0, len(rows), INSERT_BATCH):
                    connection.execute(insert(Place.__table__), rows[start:start + INSERT_BATCH])
            insert_seconds = time.perf_counter() - started
            if not lat_lon_index:  # show what the index of migration 0004 brings
                with engine.begin() as connection:
                    connection.exec_driver_sql("DROP INDEX IF EXISTS ix_places_latitude_longitude")
            with engine.connect() as connection:
                stored = connection.execute(select(func.count()).select_from(Place.__table__)).scalar_one()

            centroids = point_places()
            points = []
            for _ in range(queries):
                centroid = rng.choice(centroids)
                points.append(_jitter(rng, centroid.lat, centroid.lon, 1.0))
            warm_up = time.perf_counter()
            find_places(points[0][0], points[0][1], [ADMIN], url=url)
            first_ms = (time.perf_counter() - warm_up) * 1000

            timings, found = [], []
            for number, (lat, lon) in enumerate(points):
                services, accompaniment, specific = QUERY_PROFILES[number % len(QUERY_PROFILES)]
                started = time.perf_counter()
                matches = find_places(lat, lon, services, accompaniment=accompaniment,
                                      specific=specific, url=url)
                timings.append((time.perf_counter() - started) * 1000)
                found.append(len(matches))
        finally:
            engine.dispose()
    return {
        "places": stored,
        "places_in_mgp_share": mgp_share,
        "lat_lon_index": lat_lon_index,
        "insert_s": round(insert_seconds, 3),
        "insert_rows_per_s": round(stored / insert_seconds) if insert_seconds else None,
        "queries": queries,
        "first_query_ms": round(first_ms, 2),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_percentile(timings, 0.95), 2),
        "max_ms": round(max(timings), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
        "mean_matches": round(statistics.fmean(found), 2),
        "empty_results": sum(1 for n in found if n == 0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the place search on a national-size directory.")
    parser.add_argument("--places", type=int, default=20000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--mgp-share", type=float, default=0.1)
    parser.add_argument("--no-index", action="store_true",
                        help="drop the (latitude, longitude) index of migration 0004, to compare")
    args = parser.parse_args(argv)
    result = bench_search(args.places, args.queries, mgp_share=args.mgp_share, lat_lon_index=not args.no_index)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
