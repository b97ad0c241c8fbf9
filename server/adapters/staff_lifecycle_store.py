"""The SQLAlchemy side of the staff lifecycle: who came from the directory, who is disabled."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import sessionmaker

from server.adapters.database import WRITE_INTENT
from server.adapters.people_repository import _person
from server.adapters.tables_people import PersonRow
from server.adapters.tables_seating import SeatHoldRow
from server.domain.people import Person
from server.services.staff_directory import KnownPerson


class SqlStaffLifecycle:
    """A `StaffLifecycleStore` over the `people` table."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(
            engine.execution_options(**WRITE_INTENT), expire_on_commit=False
        )

    def known(self) -> dict[str, KnownPerson]:
        with self._sessions() as session:
            rows = session.scalars(select(PersonRow).where(PersonRow.demo.is_(False)))
            return {
                row.staff_id: KnownPerson(_person(row), row.source, row.disabled_at is not None)
                for row in rows
            }

    def known_one(self, staff_id: str) -> KnownPerson | None:
        with self._sessions() as session:
            row = session.get(PersonRow, staff_id)
            if row is None or row.demo:
                return None
            return KnownPerson(_person(row), row.source, row.disabled_at is not None)

    def record(self, people: Sequence[Person], source: str) -> None:
        with self._writes.begin() as session:
            for person in people:
                row = session.get(PersonRow, person.staff_id)
                if row is None:
                    row = PersonRow(staff_id=person.staff_id, demo=False, needs="")
                    session.add(row)
                row.name = person.name
                row.name_ja = person.name_ja
                row.email = person.email
                row.department = person.department
                row.role = person.role.value
                row.source = source
                row.disabled_at = None

    def disable(self, staff_ids: Sequence[str], at: datetime) -> None:
        with self._writes.begin() as session:
            for start in range(0, len(staff_ids), 500):
                session.execute(
                    update(PersonRow)
                    .where(PersonRow.staff_id.in_(staff_ids[start : start + 500]))
                    .where(PersonRow.disabled_at.is_(None))
                    .values(disabled_at=at)
                )

    def disabled_holders(self) -> list[str]:
        """Disabled people who still hold a desk: the server releases those desks."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(SeatHoldRow.staff_id)
                    .join(PersonRow, PersonRow.staff_id == SeatHoldRow.staff_id)
                    .where(SeatHoldRow.active.is_(True))
                    .where(PersonRow.disabled_at.is_not(None))
                    .distinct()
                )
            )

    def disabled_since(self, since: datetime) -> list[str]:
        """People disabled at or after `since`."""
        with self._sessions() as session:
            return list(
                session.scalars(select(PersonRow.staff_id).where(PersonRow.disabled_at >= since))
            )

    def by_email(self, email: str) -> Person | None:
        """The enabled person with this e-mail (case-insensitive), if exactly one has it."""
        with self._sessions() as session:
            rows = list(
                session.scalars(
                    select(PersonRow)
                    .where(func.lower(PersonRow.email) == email.lower())
                    .where(PersonRow.disabled_at.is_(None))
                    .limit(2)
                )
            )
            return _person(rows[0]) if len(rows) == 1 else None
