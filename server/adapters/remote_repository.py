"""The remote-work marks on SQLAlchemy."""

from datetime import date, datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.adapters.tables_people import PersonRow
from server.adapters.tables_remote import RemoteDayRow
from server.services.remote_work import RemoteMark


class SqlRemoteStore:
    """The RemoteStore port."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def marked(self, staff_id: str, day: date) -> bool:
        with Session(self._engine) as session:
            return session.get(RemoteDayRow, (staff_id, day)) is not None

    def mark(self, staff_id: str, day: date, at: datetime) -> None:
        try:
            with Session(self._engine) as session, session.begin():
                if session.get(RemoteDayRow, (staff_id, day)) is None:
                    session.add(RemoteDayRow(staff_id=staff_id, day=day, marked_at=at))
        except IntegrityError:
            pass  # marked at the same moment by another request: marked either way

    def unmark(self, staff_id: str, day: date) -> bool:
        with Session(self._engine) as session, session.begin():
            result = session.execute(
                delete(RemoteDayRow).where(
                    RemoteDayRow.staff_id == staff_id, RemoteDayRow.day == day
                )
            )
            return bool(getattr(result, "rowcount", 0))

    def marks(self, first: date, last: date) -> list[RemoteMark]:
        query = (
            select(RemoteDayRow.staff_id, PersonRow.department, RemoteDayRow.day)
            .outerjoin(PersonRow, PersonRow.staff_id == RemoteDayRow.staff_id)
            .where(RemoteDayRow.day >= first, RemoteDayRow.day <= last)
        )
        with Session(self._engine) as session:
            return [RemoteMark(s, d, day) for s, d, day in session.execute(query)]
