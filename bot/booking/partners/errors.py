"""What the partners operations refuse, said for the operator."""
from __future__ import annotations

from pathlib import Path


class PartnersError(Exception):
    """A partners operation was refused; the message is for the operator."""


class PartnersFileError(PartnersError):
    """The partners file is unusable; `problems` lists every fault, one line each."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(problems))


class PartnersDatabaseError(PartnersError):
    """The database is not ready (not migrated)."""


class PlaceNotFound(PartnersError):
    pass
