"""Builds `data/geo/france_communes.csv`, the national list of current communes, from the npm
package `@etalab/decoupage-administratif` (COG of INSEE, postcodes of La Poste; Licence
Ouverte), the same package `shared/data` used for the Métropole's file.

    .venv/bin/python scripts/build_communes.py                  # npm pack, then build
    .venv/bin/python scripts/build_communes.py --json communes.json [--output FILE]

Without `--json` it runs `npm pack @etalab/decoupage-administratif@6.0.0` in a temporary
folder and reads `package/data/communes.json` from the tarball. The SHA-256 of that JSON must
be the one recorded in `data/SOURCES.md` (`EXPECTED_SHA256` below) unless `--any-version` is
given, so the file is rebuilt byte for byte from the same source.

Kept: the communes of type `commune-actuelle` (not the delegated or associated communes nor the
municipal arrondissements of Paris, Lyon and Marseille), with their INSEE code, name,
postcodes (`|`-separated, sorted; empty for the five districts of the TAAF, which have none),
department code and municipal population, sorted by INSEE code. The 130 member communes of the
Métropole are in it too: `bot/geo` leaves them to `mgp_communes.csv`.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@etalab/decoupage-administratif"
VERSION = "6.0.0"
MEMBER = "package/data/communes.json"
EXPECTED_SHA256 = "6cafec09b4e127d08edc47f366b28261bee70cca323fbfcb957dd169fcad9284"
OUTPUT = Path(__file__).resolve().parents[1] / "data" / "geo" / "france_communes.csv"
COLUMNS = ("code_insee", "nom", "codes_postaux", "code_departement", "population")


def fetch_json() -> bytes:
    """communes.json of the pinned package version, through `npm pack`."""
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=folder,
                              check=True, capture_output=True, text=True)
        tarball = Path(folder) / done.stdout.strip().splitlines()[-1]
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(MEMBER)
            if member is None:
                raise SystemExit(f"{MEMBER} not found in {tarball.name}")
            return member.read()


def rows(raw: bytes) -> list[tuple[str, ...]]:
    result = []
    for item in json.loads(raw):
        if item.get("type") != "commune-actuelle":
            continue
        postcodes = "|".join(sorted(set(item.get("codesPostaux") or ())))
        population = item.get("population")
        result.append((item["code"], item["nom"], postcodes, item["departement"],
                       "" if population is None else str(int(population))))
    result.sort()
    codes = [row[0] for row in result]
    if len(set(codes)) != len(codes):
        raise SystemExit("an INSEE code appears twice among the current communes")
    return result


def write(table: list[tuple[str, ...]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(table)
    return out.getvalue().encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="communes.json already extracted")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--any-version", action="store_true",
                        help="accept a communes.json other than the recorded one")
    args = parser.parse_args(argv)
    raw = args.json.read_bytes() if args.json else fetch_json()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != EXPECTED_SHA256 and not args.any_version:
        print(f"communes.json has SHA-256 {digest}, expected {EXPECTED_SHA256} "
              f"({PACKAGE}@{VERSION}); use --any-version to build from it anyway",
              file=sys.stderr)
        return 1
    table = rows(raw)
    data = write(table)
    args.output.write_bytes(data)
    print(f"{args.output}: {len(table)} communes, {len(data)} bytes, "
          f"sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
