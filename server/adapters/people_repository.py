"""The SQLAlchemy implementation of the PeopleStore port, and argon2 password hashing."""

import os
import secrets
import threading
from collections.abc import Sequence
from datetime import datetime

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import sessionmaker

from server.adapters.database import write_sessions
from server.adapters.tables_people import PersonRow
from server.domain.people import Person, Role
from server.services.people import HashingBusy


class Argon2Hasher:
    """argon2id with the library's recommended parameters (RFC 9106 low-memory profile).

    At most `concurrency` checks run at once (each takes a core for about half a second); a
    check that cannot start within `wait_s` raises HashingBusy instead of queueing without end.
    """

    def __init__(self, concurrency: int = 0, wait_s: float = 10.0) -> None:
        self._argon = Argon2()
        slots = concurrency or max(1, (os.cpu_count() or 2) // 2)
        self._slots = threading.BoundedSemaphore(slots)
        self._wait_s = wait_s
        self._decoy: str | None = None

    def hash(self, password: str) -> str:
        return self._argon.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        if not self._slots.acquire(timeout=self._wait_s):
            raise HashingBusy
        try:
            return self._argon.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        finally:
            self._slots.release()

    def verify_nothing(self, password: str) -> None:
        if self._decoy is None:
            # A hash of nothing anyone knows, with the same parameters as real ones.
            self._decoy = self._argon.hash(secrets.token_urlsafe(16))
        self.verify(self._decoy, password)


class SqlPeopleStore:
    """People in the `people` table."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._writes = write_sessions(engine)

    def person(self, staff_id: str) -> Person | None:
        """The person, or None when unknown or disabled (a leaver's sessions end with this)."""
        with self._sessions() as session:
            row = session.get(PersonRow, staff_id)
            return None if row is None or row.disabled_at is not None else _person(row)

    def search(self, query: str, limit: int, demo_only: bool) -> list[Person]:
        statement = (
            select(PersonRow)
            .where(PersonRow.disabled_at.is_(None))
            .order_by(PersonRow.staff_id)
            .limit(limit)
        )
        if query:
            like = f"%{query.lower()}%"
            statement = statement.where(
                or_(
                    func.lower(PersonRow.staff_id).like(like),
                    func.lower(PersonRow.name).like(like),
                    PersonRow.name_ja.like(f"%{query}%"),
                    func.lower(PersonRow.department).like(like),
                )
            )
        if demo_only:
            statement = statement.where(PersonRow.demo.is_(True))
        with self._sessions() as session:
            return [_person(row) for row in session.scalars(statement)]

    def upsert(self, people: Sequence[Person], demo: bool) -> int:
        with self._writes.begin() as session:
            ids = [p.staff_id for p in people]
            existing: dict[str, PersonRow] = {}
            for start in range(0, len(ids), 500):  # bounded IN lists for every backend
                chunk = select(PersonRow).where(PersonRow.staff_id.in_(ids[start : start + 500]))
                existing.update((row.staff_id, row) for row in session.scalars(chunk))
            for person in people:
                row = existing.get(person.staff_id)
                if row is None:
                    row = PersonRow(staff_id=person.staff_id, role=person.role.value, demo=demo)
                    session.add(row)
                elif person.role is not Role.STAFF:
                    row.role = person.role.value  # a file without roles never demotes anyone
                row.name = person.name
                row.name_ja = person.name_ja
                row.email = person.email
                row.department = person.department
                row.needs = ",".join(sorted(person.needs))
                row.demo = row.demo or demo
        return len(people)

    def count(self) -> int:
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(PersonRow)) or 0)

    def password_hash(self, staff_id: str) -> str | None:
        with self._sessions() as session:
            row = session.get(PersonRow, staff_id)
            return None if row is None else row.password_hash

    def set_password_hash(self, staff_id: str, password_hash: str) -> bool:
        with self._writes.begin() as session:
            row = session.get(PersonRow, staff_id)
            if row is None:
                return False
            row.password_hash = password_hash
            return True

    def set_role(self, staff_id: str, role: Role) -> bool:
        with self._writes.begin() as session:
            row = session.get(PersonRow, staff_id)
            if row is None:
                return False
            row.role = role.value
            return True

    def set_disabled(self, staff_id: str, at: datetime | None) -> bool:
        with self._writes.begin() as session:
            row = session.get(PersonRow, staff_id)
            if row is None:
                return False
            row.disabled_at = at
            return True

    def real_accounts(self) -> int:
        """How many people are not demo people (imported staff, directory accounts)."""
        with self._sessions() as session:
            query = select(func.count()).select_from(PersonRow).where(PersonRow.demo.is_(False))
            return int(session.scalar(query) or 0)

    def is_demo(self, staff_id: str) -> bool:
        with self._sessions() as session:
            row = session.get(PersonRow, staff_id)
            return row is not None and row.demo


def _person(row: PersonRow) -> Person:
    return Person(
        staff_id=row.staff_id,
        name=row.name,
        name_ja=row.name_ja,
        email=row.email,
        department=row.department,
        role=Role(row.role),
        needs=frozenset(n for n in row.needs.split(",") if n),
    )
