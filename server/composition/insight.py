"""The facilities insight parts over one engine: the paperless KPI, the desk figures, and the
remote-work marks they use."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from firmware_config.site import Site
from server.adapters.insight_history import SqlHoldHistory
from server.adapters.meeting_history import SqlMeetingHistory
from server.adapters.occupancy_history import SqlOccupancyHistory
from server.adapters.remote_repository import SqlRemoteStore
from server.adapters.room_repository import SqlRoomStore
from server.domain.meetings import SessionRules
from server.domain.people import Person
from server.services.facilities_insight import FacilitiesInsight, SiteShape
from server.services.meeting_figures import MeetingFigures
from server.services.ports import Clock
from server.services.remote_work import RemoteWork
from server.services.seating import Seating


@dataclass(frozen=True)
class Insight:
    """What the facilities figures and the remote-work routes use."""

    meetings: MeetingFigures
    desks: FacilitiesInsight
    remote: RemoteWork


def open_insight(site: Site, engine: Engine, clock: Clock, seating: Seating) -> Insight:
    """The parts, reading through `engine`; `seating` tells whether a person holds a desk."""
    holds = SqlHoldHistory(engine)
    remote_store = SqlRemoteStore(engine)
    capacity = {room.id: room.capacity for floor in site.floors() for room in floor.rooms}
    meetings = MeetingFigures(
        SqlRoomStore(engine),
        SqlMeetingHistory(engine),
        clock,
        ZoneInfo(site.site.timezone),
        capacity,
        SessionRules(),
        holds.groups,
    )
    desks = FacilitiesInsight(
        SqlOccupancyHistory(engine), holds, remote_store, SiteShape.of(site), clock
    )

    def desk_held(person: Person) -> str | None:
        seat = seating.my_seat(person)
        return seat.hold.desk if seat is not None else None

    remote = RemoteWork(remote_store, clock, seating.site.day_of, desk_held)
    return Insight(meetings, desks, remote)
