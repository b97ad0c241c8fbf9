"""Small groups: departments too small to report on, and the zones that would reveal them.

A figure about a department of fewer than MIN_GROUP people describes identifiable people, so
such departments get no figure at all. They are also left out of every total and of every zone
and floor figure, so no figure can be recovered by subtracting the shown ones from a total.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MIN_GROUP = 5
# People with no department form one more group, under this key.
UNASSIGNED = "unassigned"


def group_of(department: str | None) -> str:
    """The reporting group of a department id (None: the unassigned group)."""
    return department or UNASSIGNED


@dataclass(frozen=True, slots=True)
class Groups:
    """Department sizes from the staff directory, and which departments are hidden."""

    sizes: Mapping[str, int]

    @classmethod
    def of(cls, departments: Iterable[str | None]) -> "Groups":
        """Count one department id per person."""
        sizes: dict[str, int] = {}
        for department in departments:
            key = group_of(department)
            sizes[key] = sizes.get(key, 0) + 1
        return cls(sizes)

    def hidden(self, department: str | None) -> bool:
        """True when the department (or its absence) names fewer than MIN_GROUP people."""
        return self.sizes.get(group_of(department), 0) < MIN_GROUP

    def shown(self, department: str | None) -> bool:
        return not self.hidden(department)

    def hidden_zones(self, zone_department: Mapping[str, str | None]) -> frozenset[str]:
        """Zones that belong to a hidden department (zones of no department stay shown)."""
        return frozenset(
            zone for zone, dept in zone_department.items() if dept is not None and self.hidden(dept)
        )
