"""The SQLAlchemy implementation of RetentionStore."""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.sql.dml import Delete, Update

from server.adapters.database import write_sessions
from server.adapters.tables import DeskTransitionRow, QuarantineRow
from server.adapters.tables_rooms import RoomMaterialRow, RoomSessionRow
from server.adapters.tables_seating import SeatHoldRow


class SqlRetentionStore:
    """Each purge is one statement in a transaction of its own."""

    def __init__(self, engine: Engine) -> None:
        self._writes = write_sessions(engine)

    def forget_desk_people(self, before: datetime) -> int:
        return self._run(
            update(DeskTransitionRow)
            .where(DeskTransitionRow.at < before, DeskTransitionRow.person.is_not(None))
            .values(person=None)
        ) + self._run(
            delete(SeatHoldRow).where(
                SeatHoldRow.released_at < before, SeatHoldRow.active.is_(False)
            )
        )

    def purge_materials(self, ended_before: datetime) -> int:
        ended = select(RoomSessionRow.id).where(RoomSessionRow.ended_at < ended_before)
        return self._run(
            update(RoomMaterialRow)
            .where(RoomMaterialRow.session_id.in_(ended), RoomMaterialRow.content != b"")
            .values(content=b"")
        )

    def purge_quarantine(self, before: datetime) -> int:
        return self._run(delete(QuarantineRow).where(QuarantineRow.received_at < before))

    def _run(self, statement: Update | Delete) -> int:
        with self._writes.begin() as session:
            result = session.execute(statement.execution_options(synchronize_session=False))
            return int(cast(Any, result).rowcount or 0)
