"""The staff directory and sign-in: CSV import, local accounts, demo picking, identity providers.

Seating and every other capability see only `Person` (server.domain.people); how someone
proved who they are stays here. An identity provider turns credentials into a staff id the
directory knows; local accounts (argon2) and the demo picker are the two shipped, and an OIDC
provider would be a third that resolves its `sub`/email claim to a staff id the same way.
"""

import csv
import io
import re
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from server.domain.people import Person, Role
from server.domain.refusals import Refusal, RefusalCode

REQUIRED_COLUMNS = ("staff_id", "name", "department")
OPTIONAL_COLUMNS = ("name_ja", "needs", "email", "role")
_STAFF_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_NEED = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


class StaffFileError(ValueError):
    """A staff CSV that cannot be imported; the message names the file, line and fix."""


class PeopleStore(Protocol):
    """Where people and their local credentials are kept."""

    def person(self, staff_id: str) -> Person | None: ...
    def search(self, query: str, limit: int, demo_only: bool) -> list[Person]: ...
    def upsert(self, people: Sequence[Person], demo: bool) -> int:
        """Insert or update by staff id (roles and passwords of existing people are kept)."""
        ...

    def count(self) -> int: ...
    def password_hash(self, staff_id: str) -> str | None: ...
    def set_password_hash(self, staff_id: str, password_hash: str) -> bool: ...
    def set_role(self, staff_id: str, role: Role) -> bool: ...
    def set_disabled(self, staff_id: str, at: datetime | None) -> bool:
        """Disable the person from `at` (None: enable again); False when the id is unknown.
        A disabled person is not found by `person` or `search`."""
        ...

    def is_demo(self, staff_id: str) -> bool: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool:
        """Raises HashingBusy when no hashing slot frees up in time."""
        ...

    def verify_nothing(self, password: str) -> None:
        """The same work as `verify`, for an id with no password: no timing tells them apart."""
        ...


class HashingBusy(Exception):
    """Every password-hashing slot stayed busy: the server bounds how many run at once."""


class IdentityProvider(Protocol):
    """Turns credentials into a known person; each provider owns one way of proving identity."""

    name: str

    def authenticate(self, staff_id: str, secret: str | None) -> Person | Refusal: ...


# Deliberately one refusal for unknown people and wrong passwords: it tells an attacker nothing.
BAD_CREDENTIALS = RefusalCode.BAD_CREDENTIALS


class LocalAccounts:
    """Staff id + password checked against an argon2 hash kept in the directory."""

    name = "local"

    def __init__(self, store: PeopleStore, hasher: PasswordHasher) -> None:
        self._store = store
        self._hasher = hasher

    def authenticate(self, staff_id: str, secret: str | None) -> Person | Refusal:
        if not secret:
            return Refusal(RefusalCode.PASSWORD_REQUIRED)
        stored = self._store.password_hash(staff_id)
        try:
            if stored is None:
                self._hasher.verify_nothing(secret)
                return Refusal(BAD_CREDENTIALS)
            if not self._hasher.verify(stored, secret):
                return Refusal(BAD_CREDENTIALS)
        except HashingBusy:
            return Refusal(RefusalCode.SIGN_IN_BUSY, retry_after_s=5)
        person = self._store.person(staff_id)  # None when disabled: same answer, same work
        return person if person is not None else Refusal(BAD_CREDENTIALS)

    def set_password(self, staff_id: str, password: str) -> bool:
        if len(password) < 8:
            raise ValueError("a password needs at least 8 characters")
        return self._store.set_password_hash(staff_id, self._hasher.hash(password))


class DemoPicker:
    """Demo mode only: a visitor picks any person of the directory, no password."""

    name = "demo"

    def __init__(self, store: PeopleStore) -> None:
        self._store = store

    def authenticate(self, staff_id: str, secret: str | None) -> Person | Refusal:
        # Only the demo's own people: a real account in the same database needs its password.
        person = self._store.person(staff_id)
        if person is None or not self._store.is_demo(staff_id):
            return Refusal(RefusalCode.PERSON_UNKNOWN, staff_id=staff_id)
        return person


class Directory:
    """Sign-in across the configured providers, and look-ups for the rest of the server."""

    # Every signed-in request looks its person up; a role or directory change shows within this.
    CACHE_S = 120.0
    CACHE_MAX = 20_000

    def __init__(self, store: PeopleStore, providers: Sequence[IdentityProvider]) -> None:
        self.store = store
        self.providers = list(providers)
        self._cache: dict[str, tuple[float, Person | None]] = {}

    @property
    def demo(self) -> bool:
        return any(p.name == "demo" for p in self.providers)

    def sign_in(self, staff_id: str, secret: str | None) -> Person | Refusal:
        """The first provider that accepts wins; a password always goes to local accounts."""
        refusal = Refusal(BAD_CREDENTIALS)
        for provider in self.providers:
            if provider.name == "demo" and secret:
                continue
            outcome = provider.authenticate(staff_id, secret)
            if isinstance(outcome, Person):
                self._remember(outcome.staff_id, outcome)  # their next requests come soon
                return outcome
            refusal = outcome
        return refusal

    def cached(self, staff_id: str) -> tuple[bool, Person | None]:
        """(True, person) when looked up less than CACHE_S ago; (False, None) otherwise."""
        hit = self._cache.get(staff_id)
        if hit is None or time.monotonic() - hit[0] > self.CACHE_S:
            return False, None
        return True, hit[1]

    def person(self, staff_id: str, *, fresh: bool = False) -> Person | None:
        """The person (None: unknown or disabled); `fresh` reads past the cache."""
        found, person = self.cached(staff_id)
        if found and not fresh:
            return person
        person = self.store.person(staff_id)
        self._remember(staff_id, person)
        return person

    def forget(self, staff_ids: Iterable[str]) -> None:
        """Drop cached look-ups, so a leaver disabled elsewhere is signed out at once."""
        for staff_id in staff_ids:
            self._cache.pop(staff_id, None)

    def _remember(self, staff_id: str, person: Person | None) -> None:
        if len(self._cache) >= self.CACHE_MAX:
            self._cache.clear()
        self._cache[staff_id] = (time.monotonic(), person)


def decode_staff_file(data: bytes, source: str) -> str:
    """The text of a staff file: UTF-8 (with or without the BOM Excel writes) or Shift-JIS
    (CP932, what Japanese Excel saves as plain "CSV"); anything else names the first bad line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as not_utf8:
        try:
            return data.decode("cp932")
        except UnicodeDecodeError:
            line = data[: not_utf8.start].count(b"\n") + 1
            raise StaffFileError(
                f"{source}:{line}: the file is neither UTF-8 nor Shift-JIS (CP932) text; "
                'save it from Excel as "CSV UTF-8" and import it again'
            ) from None


def parse_staff_csv(text: str, source: str, departments: Iterable[str] = ()) -> list[Person]:
    """People from a staff CSV (columns staff_id, name, department; optional name_ja, needs
    separated by `;` or spaces, email, role). A file with mistakes gives no people at all: the
    StaffFileError names every bad line of `source`, each with the fix."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise StaffFileError(f"{source}:1: the header is not CSV: {exc}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise StaffFileError(
            f"{source}:1: missing column(s) {', '.join(missing)}; the header must name "
            f"{', '.join(REQUIRED_COLUMNS)} (optional: {', '.join(OPTIONAL_COLUMNS)})"
        )
    known = set(departments)
    people: dict[str, Person] = {}
    errors: list[str] = []
    rows = iter(reader)
    while True:
        try:
            raw = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"{source}:{reader.line_num}: not a CSV line: {exc}")
            continue
        where = f"{source}:{reader.line_num}"
        if None in raw:
            errors.append(
                f"{where}: {len(header) + len(raw[None])} fields where the header has "
                f"{len(header)}; quote a value that holds a comma"
            )
            continue
        person = _person_of(raw, known, people)
        if isinstance(person, str):
            errors.append(f"{where}: {person}")
        else:
            people[person.staff_id] = person
    if errors:
        raise StaffFileError(
            "\n".join([*errors, f"{source}: nothing imported; fix the lines above"])
        )
    return list(people.values())


def _person_of(
    raw: dict[str | None, str | list[str] | None], known: set[str], seen: dict[str, Person]
) -> Person | str:
    """The person of one row, or what is wrong with it."""
    row = {(k or "").strip(): v.strip() if isinstance(v, str) else "" for k, v in raw.items()}
    staff_id = row["staff_id"]
    if not _STAFF_ID.match(staff_id):
        return f"staff_id {staff_id!r} must be 1-64 letters, digits, '.', '_' or '-'"
    if staff_id in seen:
        return f"staff_id {staff_id!r} appears twice"
    if not row["name"]:
        return f"name is empty for {staff_id}"
    department = row["department"] or None
    if department is not None and known and department not in known:
        return (
            f"department {department!r} is not in the site file; known: {', '.join(sorted(known))}"
        )
    needs = frozenset(n for n in re.split(r"[;\s|]+", row.get("needs", "")) if n)
    bad = sorted(n for n in needs if not _NEED.match(n))
    if bad:
        return f"need(s) {bad} must be lowercase words like accessible or dual-monitor"
    role_text = row.get("role") or Role.STAFF.value
    if role_text not in {r.value for r in Role}:
        return f"role {role_text!r} must be one of {', '.join(r.value for r in Role)}"
    return Person(
        staff_id=staff_id,
        name=row["name"],
        name_ja=row.get("name_ja", ""),
        email=row.get("email", ""),
        department=department,
        role=Role(role_text),
        needs=needs,
    )


# Demo mode's people for trying the facilities and admin pages; they join the demo staff.
DEMO_OPERATORS = (
    Person("demo-facilities", "Facilities (demo)", None, Role.FACILITIES, name_ja="施設管理(デモ)"),
    Person("demo-admin", "Administrator (demo)", None, Role.ADMIN, name_ja="管理者(デモ)"),
)
