"""Reads bookings, sessions, their materials and openers, and the rooms' cast and occupancy
events, for the paperless KPI; a few set queries per month, never one per session."""

import json
from collections import defaultdict
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from server.adapters.tables import EventRow
from server.adapters.tables_rooms import (
    RoomBookingRow,
    RoomMaterialOpenRow,
    RoomMaterialRow,
    RoomSessionRow,
)
from server.domain.paperless import HeldBooking, RoomSignal, SessionFacts

SIGNALS = {
    "room.cast_changed": ("cast", "casting"),
    "room.occupancy_changed": ("occupancy", "occupied"),
}


class SqlMeetingHistory:
    """The MeetingHistory port on SQLAlchemy; read-only."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def held_bookings(self, start: datetime, end: datetime) -> list[HeldBooking]:
        query = select(
            RoomBookingRow.id,
            RoomBookingRow.room,
            RoomBookingRow.department,
            RoomBookingRow.starts_at,
            RoomBookingRow.ends_at,
            RoomBookingRow.status,
        ).where(RoomBookingRow.starts_at >= start, RoomBookingRow.starts_at < end)
        with Session(self._engine) as session:
            return [HeldBooking(*row) for row in session.execute(query)]

    def session_facts(self, start: datetime, end: datetime) -> list[SessionFacts]:
        window = (RoomSessionRow.started_at >= start, RoomSessionRow.started_at < end)
        with Session(self._engine) as session:
            rows = session.execute(
                select(
                    RoomSessionRow.id,
                    RoomSessionRow.room,
                    RoomSessionRow.booking_id,
                    RoomSessionRow.department,
                    RoomSessionRow.started_at,
                    RoomSessionRow.ended_at,
                    RoomSessionRow.end_reason,
                ).where(*window)
            ).all()
            pages = dict(
                session.execute(
                    select(RoomMaterialRow.session_id, func.sum(RoomMaterialRow.pages))
                    .join(RoomSessionRow, RoomSessionRow.id == RoomMaterialRow.session_id)
                    .where(*window)
                    .group_by(RoomMaterialRow.session_id)
                ).all()
            )
            viewers: dict[int, set[str]] = defaultdict(set)
            for session_id, viewer in session.execute(
                select(RoomMaterialOpenRow.session_id, RoomMaterialOpenRow.viewer)
                .join(RoomSessionRow, RoomSessionRow.id == RoomMaterialOpenRow.session_id)
                .where(*window)
                .distinct()
            ):
                viewers[session_id].add(viewer)
        return [
            SessionFacts(
                id=sid,
                room=room,
                booking_id=booking,
                department=department,
                started_at=started,
                ended_at=ended,
                end_reason=reason,
                pages=int(pages.get(sid) or 0),
                viewers=frozenset(viewers.get(sid, ())),
            )
            for sid, room, booking, department, started, ended, reason in rows
        ]

    def room_signals(self, start: datetime, end: datetime) -> list[RoomSignal]:
        kinds = tuple(SIGNALS)
        columns = (EventRow.type, EventRow.payload, EventRow.at)
        with Session(self._engine) as session:
            inside = session.execute(
                select(*columns).where(
                    EventRow.type.in_(kinds), EventRow.at >= start, EventRow.at < end
                )
            ).all()
            # Each device's last event of each kind before the window: the state it starts in.
            last = (
                select(func.max(EventRow.id))
                .where(EventRow.type.in_(kinds), EventRow.at < start)
                .group_by(EventRow.device, EventRow.type)
            )
            before = session.execute(select(*columns).where(EventRow.id.in_(last))).all()
        out = []
        for kind, payload, at in [*before, *inside]:
            name, field = SIGNALS[kind]
            body = json.loads(payload)
            out.append(RoomSignal(room=body["room"], at=at, kind=name, value=bool(body[field])))
        return out
