"""Reads the desk transition history and device records for occupancy analytics."""

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from server.adapters.repository import _device
from server.adapters.tables import DeskRow, DeskTransitionRow, DeviceRow
from server.adapters.tables_seating import SeatHoldRow
from server.domain.occupancy import DeskReason
from server.domain.seat_holds import proven
from server.services.occupancy_analytics import HoldFact, TransitionFact
from server.services.ports import DeviceRecord


class SqlOccupancyHistory:
    """The OccupancyHistory port on SQLAlchemy; read-only."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def latest_before(self, at: datetime, desks: Collection[str] | None) -> dict[str, str]:
        # Ids grow in commit order, and a desk's transitions are recorded in order.
        last = select(func.max(DeskTransitionRow.id)).where(DeskTransitionRow.at < at)
        if desks is not None:
            last = last.where(DeskTransitionRow.desk.in_(desks))
        last = last.group_by(DeskTransitionRow.desk)
        query = select(DeskTransitionRow.desk, DeskTransitionRow.after).where(
            DeskTransitionRow.id.in_(last)
        )
        with Session(self._engine) as session:
            return {desk: after for desk, after in session.execute(query)}

    def transitions(
        self, start: datetime, end: datetime, desks: Collection[str] | None
    ) -> list[TransitionFact]:
        query = (
            select(
                DeskTransitionRow.desk,
                DeskTransitionRow.before,
                DeskTransitionRow.after,
                DeskTransitionRow.at,
            )
            .where(DeskTransitionRow.at >= start, DeskTransitionRow.at < end)
            .order_by(DeskTransitionRow.at, DeskTransitionRow.id)
        )
        if desks is not None:
            query = query.where(DeskTransitionRow.desk.in_(desks))
        with Session(self._engine) as session:
            return [
                TransitionFact(desk=desk, before=before, after=after, at=at)
                for desk, before, after, at in session.execute(query)
            ]

    def current_states(self) -> dict[str, str]:
        with Session(self._engine) as session:
            return {d: s for d, s in session.execute(select(DeskRow.id, DeskRow.state))}

    def devices(self) -> list[DeviceRecord]:
        with Session(self._engine) as session:
            return [_device(row) for row in session.scalars(select(DeviceRow))]

    def holds(self, first: date, last: date) -> list[HoldFact]:
        query = select(
            SeatHoldRow.desk,
            SeatHoldRow.day,
            SeatHoldRow.release_reason,
            SeatHoldRow.checked_in_at,
            SeatHoldRow.check_in_how,
        ).where(SeatHoldRow.day >= first, SeatHoldRow.day <= last)
        with Session(self._engine) as session:
            return [
                HoldFact(
                    desk=desk,
                    day=day,
                    no_show=reason == DeskReason.NO_SHOW,
                    unconfirmed=checked_in_at is not None and not proven(how),
                )
                for desk, day, reason, checked_in_at, how in session.execute(query)
            ]
