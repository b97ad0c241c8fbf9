"""The SQLAlchemy implementation of the PeopleStore port, and argon2 password hashing."""

from collections.abc import Sequence

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import sessionmaker

from server.adapters.database import WRITE_INTENT
from server.adapters.tables_people import PersonRow
from server.domain.people import Person, Role


class Argon2Hasher:
    """argon2id with the library's recommended parameters (RFC 9106 low-memory profile)."""

    def __init__(self) -> None:
        self._argon = Argon2()

    def hash(self, password: str) -> str:
        return self._argon.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


class SqlPeopleStore:
    """People in the `people` table."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(
            engine.execution_options(**WRITE_INTENT), expire_on_commit=False
        )

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
