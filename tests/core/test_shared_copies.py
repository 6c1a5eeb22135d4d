"""The data copied from the shared folder is the original, byte for byte: each copy has the
SHA-256 recorded from the original in data/SHA256SUMS; where the shared folder is beside the
project, the copies are also compared with it directly."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def recorded() -> list[tuple[str, str, str]]:
    lines = (DATA / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split()) for line in lines if line.strip() and not line.startswith("#")]


def test_every_copied_file_is_recorded():
    assert {copy for _, copy, _ in recorded()} == {
        "geo/mgp_communes.csv", "geo/paris_arrondissements_centroids.csv",
        "places/schema-lieux-mediation-numerique-1.0.2.json",
        "places/france_services_mgp_schema_lieux_mediation_numerique_v1.csv",
        "places/exemple-valide.csv"}


@pytest.mark.parametrize("digest, copy, original", recorded(), ids=lambda v: str(v)[:40])
def test_the_copy_is_the_original(digest, copy, original):
    assert hashlib.sha256((DATA / copy).read_bytes()).hexdigest() == digest
    if SHARED.exists():  # beside the project: the original itself is compared too
        assert (DATA / copy).read_bytes() == (SHARED / original).read_bytes()
