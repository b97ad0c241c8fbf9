"""What meeting rooms host on a simulated working day: booked and unbooked meetings, shared
material, casts, paper, breaks that end a session, no-shows and weekly series nobody uses."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from edge_agent.month_desks import People
from edge_agent.month_happenings import (
    Attach,
    Book,
    EndSession,
    OpenMaterials,
    Pair,
    RoomCast,
    RoomHeartbeat,
    RoomSensed,
)
from edge_agent.month_truth import (
    MARKS_AT,
    TICK,
    OfficeMonth,
    PersonDay,
    PlannedMeeting,
    ticks_between,
)
from firmware_config.site import Room

PAPERLESS = frozenset({"materials", "cast", "walk_in", "break", "walk_in_break"})
BREAKS = frozenset({"break", "walk_in_break"})
UNBOOKED = frozenset({"walk_in", "walk_in_break"})


def plan_rooms(
    month: OfficeMonth,
    people: People,
    rooms: Sequence[tuple[Room, str]],
    day: date,
    rng: random.Random,
    day_index: int,
) -> None:
    tz = month.tz
    hosts = [d for d in month.days if d.day == day and d.kind == "office"]
    if not hosts:
        return
    first = month.settings.first
    month_index = (day.year - first.year) * 12 + day.month - first.month
    for number, (room, _floor) in enumerate(rooms):
        room_id, capacity = room.id, room.capacity
        sensor = room_id in month.rooms_with_sensor
        if day_index == 0 and number % 5 == 0 and sensor:
            _plan_series(month, hosts, room_id, capacity, day, rng)
        cursor = datetime.combine(day, time(9, 0), tz) + TICK * rng.randint(0, 6)
        closing = datetime.combine(day, time(17, 30), tz)
        while True:
            meets = rng.random() < month.settings.meetings_per_room / 5
            host = rng.choice(hosts)
            propensity = (
                people.paperless.get(host.department or "", 0.5)
                + month_index * month.settings.paperless_gain
            )
            kind = _meeting_kind(rng, rng.random() < propensity, sensor)
            # A meeting with a break needs its booking to run past the re-pairing at +60 min.
            minutes = 90 if kind in BREAKS else rng.choice((30, 60, 60, 90))
            length = timedelta(minutes=minutes)
            if cursor + length > closing:
                break
            if meets:
                _plan_meeting(month, hosts, kind, host, room_id, capacity, cursor, length, rng)
            cursor += length + TICK * rng.randint(2, 6)


def _meeting_kind(rng: random.Random, paperless: bool, sensor: bool) -> str:
    if paperless:
        kinds = ["materials"] * 6 + ["cast"] * 2 + ["walk_in"]
        if sensor:
            kinds += ["break", "walk_in_break"]
        return rng.choice(kinds)
    kinds = ["no_material", "no_show"] + (["paper", "paper", "paper"] if sensor else [])
    return rng.choice(kinds)


def _plan_meeting(
    month: OfficeMonth,
    hosts: Sequence[PersonDay],
    kind: str,
    host: PersonDay,
    room: str,
    capacity: int,
    start: datetime,
    length: timedelta,
    rng: random.Random,
) -> None:
    end = start + length
    add = month.happenings.append
    sensor = room in month.rooms_with_sensor
    who = host.staff_id
    key = f"{room}/{start.isoformat()}"
    if kind not in UNBOOKED:
        add(Book(datetime.combine(start.date(), MARKS_AT, month.tz), who, room, start, end))
    pages = viewers = 0
    if sensor and kind != "no_show":
        add(RoomSensed(start, room, True))
        add(RoomSensed(end, room, False))
    if kind == "cast":
        add(RoomCast(start, room, True))
        add(RoomCast(end, room, False))
    elif kind in ("materials", "no_material", "walk_in"):
        with_pdf = kind != "no_material"
        pages, viewers = _session(month, hosts, key, who, room, capacity, start, end, with_pdf, rng)
    elif kind in BREAKS:
        # Everyone leaves at +40 min: the session ends by itself 10 min later; back at +60,
        # the host pairs again and shares the material.
        gone, back = start + timedelta(minutes=40), start + timedelta(minutes=60)
        add(RoomSensed(gone, room, False))
        add(RoomSensed(back, room, True))
        add(Pair(start, who, room, key + "/1"))
        for tick in ticks_between(start, gone + timedelta(minutes=10)):
            add(RoomHeartbeat(tick, room))
        pages, viewers = _session(
            month, hosts, key + "/2", who, room, capacity, back, end, True, rng
        )
    month.meetings.append(
        PlannedMeeting(
            room=room,
            department=host.department,
            starts_at=start,
            ends_at=end,
            kind=kind,
            counted=kind != "no_show",
            paperless=kind in PAPERLESS,
            pages=pages,
            viewers=viewers,
            capacity=capacity,
        )
    )


def _session(
    month: OfficeMonth,
    hosts: Sequence[PersonDay],
    key: str,
    who: str,
    room: str,
    capacity: int,
    start: datetime,
    end: datetime,
    material: bool,
    rng: random.Random,
) -> tuple[int, int]:
    """A paired session from `start` to `end`, ended by its host; (pages, distinct viewers)."""
    add = month.happenings.append
    add(Pair(start, who, room, key))
    for tick in ticks_between(start, end):
        add(RoomHeartbeat(tick, room))
    add(EndSession(end, who, key))
    if not material:
        return 0, 0
    pages = rng.randint(3, 12)
    add(Attach(start, who, key, pages))
    viewers: set[str] = set()
    for person in rng.sample(list(hosts), min(len(hosts), rng.randint(1, capacity))):
        add(OpenMaterials(start + TICK, key, person.staff_id, True))
        viewers.add(person.staff_id)
    if rng.random() < 0.15:
        # A viewer link reloaded without cookies: each load looks like a new attendee.
        for n in range(20):
            viewer = f"anon-{key}-{n}"
            add(OpenMaterials(start + TICK, key, viewer, False))
            viewers.add(viewer)
    return pages, len(viewers)


def _plan_series(
    month: OfficeMonth,
    hosts: Sequence[PersonDay],
    room: str,
    capacity: int,
    day: date,
    rng: random.Random,
) -> None:
    """A weekly series of four at 08:30 that is used once: a ghost meeting."""
    host = rng.choice(list(hosts))
    start = datetime.combine(day, time(8, 30), month.tz)
    length = timedelta(minutes=30)
    # Only occurrences inside the plan: a later one would stay booked, never judged.
    weeks = sum(1 for week in range(4) if start + timedelta(weeks=week) < month.end)
    marks = datetime.combine(day, MARKS_AT, month.tz)
    month.happenings.append(Book(marks, host.staff_id, room, start, start + length, weeks))
    for week in range(weeks):
        when = start + timedelta(weeks=week)
        used = week == 1
        if used:
            month.happenings.append(RoomSensed(when, room, True))
            month.happenings.append(RoomSensed(when + length, room, False))
        month.meetings.append(
            PlannedMeeting(
                room=room,
                department=host.department,
                starts_at=when,
                ends_at=when + length,
                kind="series_paper" if used else "series_no_show",
                counted=used,
                paperless=False,
                capacity=capacity,
                series=True,
            )
        )
