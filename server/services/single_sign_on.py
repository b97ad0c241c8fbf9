"""Single sign-on: the provider's claims about a person become a freeseat person.

The staff id comes from one claim (`preferred_username`, or Entra ID's employee id ...), the
department from another (mapped to the site's department ids), the role from group claims.
A person the directory disabled stays disabled however they sign in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from server.domain.people import Person, Role
from server.domain.refusals import Refusal, RefusalCode
from server.services.people import _STAFF_ID, PeopleStore
from server.services.staff_directory import StaffLifecycleStore

SSO_SOURCE = "oidc"
RANK = {Role.STAFF: 0, Role.FACILITIES: 1, Role.ADMIN: 2}
DEPARTMENT_MAX = 24


@dataclass(frozen=True)
class ClaimRules:
    """Which claims say what (FREESEAT_OIDC_*)."""

    staff_id_claim: str = "preferred_username"
    department_claim: str = "department"
    groups_claim: str = "groups"
    group_roles: Mapping[str, Role] = field(default_factory=dict)
    departments: Mapping[str, str] = field(default_factory=dict)


class SingleSignOn:
    """Claims -> the person who signs in (recorded, so seating and rooms know them)."""

    def __init__(self, rules: ClaimRules, store: StaffLifecycleStore, people: PeopleStore) -> None:
        self._rules = rules
        self._store = store
        self._people = people

    def person(self, claims: Mapping[str, Any]) -> Person:
        """The signed-in person; raises a Refusal when the claims name nobody who may."""
        rules = self._rules
        staff_id = _text(claims.get(rules.staff_id_claim))
        if "@" in staff_id and rules.staff_id_claim in ("preferred_username", "upn", "email"):
            staff_id = staff_id.split("@", 1)[0]  # user@city.example: the staff id part
        if not staff_id or not _STAFF_ID.match(staff_id):
            raise Refusal(RefusalCode.SSO_NO_STAFF_ID, claim=rules.staff_id_claim)
        known = self._store.known_one(staff_id)
        if known is not None and known.disabled:
            raise Refusal(RefusalCode.ACCOUNT_DISABLED)
        raw = _text(claims.get(rules.department_claim))
        department = rules.departments.get(raw, raw) or None
        if department is not None and len(department) > DEPARTMENT_MAX:
            department = None
        person = Person(
            staff_id=staff_id,
            name=_text(claims.get("name")) or staff_id,
            department=department,
            # Without group rules the provider says nothing of roles: `staff role` decides.
            role=self._role(claims.get(rules.groups_claim))
            if rules.group_roles
            else (known.person.role if known else Role.STAFF),
            name_ja=known.person.name_ja if known else "",
            email=_text(claims.get("email")),
        )
        # Someone the directory or a CSV brought in keeps that source, so `staff sync` still
        # manages them; single sign-on only adds people nobody listed.
        self._store.record([person], known.source if known else SSO_SOURCE)
        found = self._people.person(staff_id)
        if found is None:
            raise Refusal(RefusalCode.ACCOUNT_DISABLED)
        return found

    def _role(self, groups: object) -> Role:
        role = Role.STAFF
        values: Sequence[object] = groups if isinstance(groups, list | tuple) else []
        for value in values:
            mapped = self._rules.group_roles.get(str(value))
            if mapped is not None and RANK[mapped] > RANK[role]:
                role = mapped
        return role


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
