"""The city's directory (LDAP / Active Directory) as freeseat sees it: sign-in and staff sync.

Sign-in binds as the person (the directory checks the password; freeseat never stores it) and
records them with the role and department the directory gives. `StaffSync` compares the whole
directory with the people it brought in before: newcomers are added, changes applied, and
leavers disabled — never deleted, so their history keeps its retention.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from server.domain.people import Person, Role
from server.domain.refusals import Refusal, RefusalCode
from server.services.people import BAD_CREDENTIALS, PeopleStore

DIRECTORY_SOURCE = "ldap"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One person as the directory describes them."""

    staff_id: str
    name: str
    department: str | None
    role: Role = Role.STAFF
    name_ja: str = ""
    email: str = ""
    disabled: bool = False

    def person(self, needs: frozenset[str] = frozenset(), role: Role | None = None) -> Person:
        """The person freeseat keeps; needs (and `role`, when given) come from freeseat."""
        return Person(
            staff_id=self.staff_id,
            name=self.name,
            department=self.department,
            role=self.role if role is None else role,
            needs=needs,
            name_ja=self.name_ja,
            email=self.email,
        )


class DirectoryUnreachable(Exception):
    """The directory did not answer (down, refused TLS, timed out); `where` names it."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__(f"{where}: {why}")
        self.where = where
        self.why = why


class StaffDirectorySource(Protocol):
    """Reads the directory; raises DirectoryUnreachable when it cannot."""

    where: str
    # False when no group is mapped to a role: roles are then left to `freeseat staff role`.
    decides_roles: bool

    def verify(self, staff_id: str, password: str) -> DirectoryEntry | None:
        """The person if the directory takes their password (or they are disabled); else None."""
        ...

    def entries(self) -> list[DirectoryEntry]:
        """Every person the directory lists for freeseat, disabled ones included."""
        ...


@dataclass(frozen=True, slots=True)
class KnownPerson:
    """A person freeseat holds, as the staff sync compares them."""

    person: Person
    source: str
    disabled: bool


class StaffLifecycleStore(Protocol):
    """People as the directory manages them: who came from where, who is disabled."""

    def known(self) -> dict[str, KnownPerson]: ...
    def known_one(self, staff_id: str) -> KnownPerson | None: ...
    def record(self, people: Sequence[Person], source: str) -> None:
        """Insert or update (enabling them); needs and local passwords are kept."""
        ...

    def disable(self, staff_ids: Sequence[str], at: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class Change:
    """One field of a person that the directory changed: (field, before, after)."""

    staff_id: str
    fields: tuple[tuple[str, str, str], ...]


@dataclass
class SyncPlan:
    """What `staff sync` would do; applied only when not a dry run."""

    added: list[Person] = field(default_factory=list)
    changed: list[tuple[Person, Change]] = field(default_factory=list)
    disabled: list[Person] = field(default_factory=list)
    enabled: list[Person] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.disabled or self.enabled)

    def lines(self) -> list[str]:
        """The diff, one line per person: + added, ~ changed, - disabled, ^ enabled again."""
        out = [
            f"+ {p.staff_id}  {p.name}  {p.department or '-'}  {p.role.value}" for p in self.added
        ]
        for person, change in self.changed:
            what = ", ".join(
                f"{name}: {before!r} -> {after!r}" for name, before, after in change.fields
            )
            out.append(f"~ {person.staff_id}  {what}")
        out += [f"^ {p.staff_id}  {p.name}  (enabled again)" for p in self.enabled]
        out += [f"- {p.staff_id}  {p.name}  (disabled: left the directory)" for p in self.disabled]
        return out

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.enabled)} enabled "
            f"again, {len(self.disabled)} disabled, {self.unchanged} unchanged"
        )


def _compared(before: Person, after: Person) -> Change | None:
    fields = []
    for name in ("name", "name_ja", "email", "department", "role"):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            fields.append(
                (
                    name,
                    str(old.value if isinstance(old, Role) else old or ""),
                    str(new.value if isinstance(new, Role) else new or ""),
                )
            )
    return Change(after.staff_id, tuple(fields)) if fields else None


def plan_sync(
    entries: Iterable[DirectoryEntry], known: dict[str, KnownPerson], decides_roles: bool = True
) -> SyncPlan:
    """Compare the directory with freeseat's people.

    Only people the directory brought in (source `ldap`) are ever disabled: local accounts
    (an admin kept for when the directory is down) and CSV imports are left alone. A person
    imported by CSV who appears in the directory is taken over by it.
    """
    plan = SyncPlan()
    listed: set[str] = set()
    for entry in sorted(entries, key=lambda e: e.staff_id):
        listed.add(entry.staff_id)
        held = known.get(entry.staff_id)
        if entry.disabled:
            if held is not None and not held.disabled:
                plan.disabled.append(held.person)
            continue
        kept_role = held.person.role if held and not decides_roles else None
        person = entry.person(held.person.needs if held else frozenset(), kept_role)
        if held is None:
            plan.added.append(person)
            continue
        change = _compared(held.person, person)
        if held.disabled:
            plan.enabled.append(person)
        elif change is not None or held.source != DIRECTORY_SOURCE:
            plan.changed.append((person, change or Change(person.staff_id, ())))
        else:
            plan.unchanged += 1
    for staff_id, held in sorted(known.items()):
        if staff_id not in listed and held.source == DIRECTORY_SOURCE and not held.disabled:
            plan.disabled.append(held.person)
    return plan


class StaffSync:
    """`freeseat staff sync`: the directory's people into freeseat; leavers disabled."""

    def __init__(
        self,
        source: StaffDirectorySource,
        store: StaffLifecycleStore,
        on_disabled: Callable[[list[str]], object] | None = None,
    ) -> None:
        """`on_disabled`: told who was disabled (their sessions end and it is audited)."""
        self._source = source
        self._store = store
        self._on_disabled = on_disabled

    def plan(self) -> SyncPlan:
        """The diff between the directory and freeseat (raises DirectoryUnreachable)."""
        return plan_sync(self._source.entries(), self._store.known(), self._source.decides_roles)

    def apply(self, plan: SyncPlan, now: datetime) -> None:
        """Carry the plan out. A leaver's sessions end (on every replica within seconds), their
        tokens stop at their next request, and the server releases their desk on its next
        sweep; nothing of theirs is deleted."""
        people = [*plan.added, *(p for p, _ in plan.changed), *plan.enabled]
        if people:
            self._store.record(people, DIRECTORY_SOURCE)
        leavers = [p.staff_id for p in plan.disabled]
        if leavers:
            self._store.disable(leavers, now)
            if self._on_disabled is not None:
                self._on_disabled(leavers)


class DirectorySignIn:
    """Staff id + password checked by binding to the directory; the person is recorded."""

    name = DIRECTORY_SOURCE

    def __init__(
        self, source: StaffDirectorySource, store: StaffLifecycleStore, people: PeopleStore
    ) -> None:
        self._source = source
        self._store = store
        self._people = people

    def authenticate(self, staff_id: str, secret: str | None) -> Person | Refusal:
        # An empty password is an "unauthenticated bind" that directories accept: refuse it here.
        if not secret:
            return Refusal(RefusalCode.PASSWORD_REQUIRED)
        try:
            entry = self._source.verify(staff_id, secret)
        except DirectoryUnreachable as exc:
            log.warning("directory sign-in of %s failed: %s", staff_id, exc)
            return Refusal(RefusalCode.DIRECTORY_UNREACHABLE)
        if entry is None:
            return Refusal(BAD_CREDENTIALS)
        if entry.disabled:
            return Refusal(RefusalCode.ACCOUNT_DISABLED)
        held = None if self._source.decides_roles else self._store.known_one(entry.staff_id)
        self._store.record(
            [entry.person(role=held.person.role if held else None)], DIRECTORY_SOURCE
        )
        person = self._people.person(entry.staff_id)
        return person if person is not None else Refusal(BAD_CREDENTIALS)
