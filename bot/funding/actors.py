"""Who acts on the funding: an account of a structure's staff, a Métropole admin, an operator
(the CLI), the assistant or the person; and which roles may mark referrals or run admin work.
"""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("structure", "admin", "cli", "assistant", "person")
MARKING_ROLES = frozenset({"structure", "admin", "cli"})
ADMIN_ROLES = frozenset({"admin", "cli"})


@dataclass(frozen=True)
class Actor:
    """Who acts: `name` (an account's email, "cli:<user>", "assistant"), `role` and, for a
    structure's staff, the place they belong to."""

    name: str
    role: str  # "structure" | "admin" | "cli" | "assistant" | "person"
    place_pk: int | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("an actor needs a name")
        if self.role not in ROLES:
            raise ValueError(f"actor role must be one of {', '.join(ROLES)}, not {self.role!r}")
        if self.role == "structure" and self.place_pk is None:
            raise ValueError("a structure's staff actor needs its place_pk")

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES
