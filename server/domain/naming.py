"""Whether one person may see another named: the site's `policy.names`, pure."""

from enum import StrEnum

from server.domain.people import Person


class NamePolicy(StrEnum):
    """Whom signed-in staff see named (at a desk, in its history)."""

    NONE = "none"  # nobody: states and reason kinds only
    TEAM = "team"  # people of the viewer's own department
    ALL = "all"  # anyone


def may_name(policy: NamePolicy, viewer: Person, subject: Person) -> bool:
    """True when `viewer` may see `subject` named; everyone may see themselves."""
    if viewer.staff_id == subject.staff_id:
        return True
    if policy is NamePolicy.ALL:
        return True
    if policy is NamePolicy.TEAM:
        return viewer.department is not None and viewer.department == subject.department
    return False
