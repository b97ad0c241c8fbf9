"""People: who can sign in, which department they sit with, what they need at a desk."""

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """What a person may do: staff find seats; facilities and admins also see the whole site."""

    STAFF = "staff"
    FACILITIES = "facilities"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Person:
    """A member of staff as the seating code sees them; never carries a credential."""

    staff_id: str
    name: str
    department: str | None
    role: Role = Role.STAFF
    needs: frozenset[str] = field(default_factory=frozenset)
    name_ja: str = ""
    email: str = ""
