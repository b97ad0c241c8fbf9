"""Reads seat holds with their holders' departments, and department sizes, for the facilities
insight figures; read-only."""

from datetime import date

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from server.adapters.tables_people import PersonRow
from server.adapters.tables_seating import SeatHoldRow
from server.domain.occupancy import DeskReason
from server.domain.small_groups import Groups
from server.services.facilities_insight import HeldDay


class SqlHoldHistory:
    """The HoldHistory port on SQLAlchemy."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def held_days(self, first: date, last: date) -> list[HeldDay]:
        query = (
            select(
                SeatHoldRow.staff_id,
                PersonRow.department,
                SeatHoldRow.desk,
                SeatHoldRow.day,
                SeatHoldRow.claimed_at,
                SeatHoldRow.checked_in_at,
                SeatHoldRow.released_at,
                SeatHoldRow.release_reason,
            )
            .outerjoin(PersonRow, PersonRow.staff_id == SeatHoldRow.staff_id)
            .where(SeatHoldRow.day >= first, SeatHoldRow.day <= last)
            .order_by(SeatHoldRow.id)
        )
        with Session(self._engine) as session:
            return [
                HeldDay(staff, dept, desk, day, claimed, checked, released, _reason(reason))
                for staff, dept, desk, day, claimed, checked, released, reason in session.execute(
                    query
                )
            ]

    def groups(self) -> Groups:
        """Department sizes: one count per person in the staff directory who has not left."""
        query = select(PersonRow.department).where(PersonRow.disabled_at.is_(None))
        with Session(self._engine) as session:
            return Groups.of(session.scalars(query))


def _reason(kind: str | None) -> DeskReason | None:
    return None if kind is None else DeskReason(kind)
