"""The demo site, Aoba City Hall: a deterministic generator for its site file and staff directory.

Run `python -m firmware_config.demo_site` to rewrite the shipped files after changing this
module, demo_departments or demo_staff; a test fails while the shipped files differ from what
it generates.
"""

import json
import math
import random
import re
from dataclasses import dataclass, field

from firmware_config.demo_departments import DEPARTMENTS, DepartmentPlan
from firmware_config.demo_staff import render_staff_csv
from firmware_config.paths import demo_site_path, demo_staff_path

__all__ = ["demo_site_path", "demo_staff_path", "main", "render_site_yaml"]

# Its own seed, so that changing the staff list (demo_staff) never reshuffles the floor plans.
_SITE_SEED = 20_240_401

FLOOR_WIDTH = 64.0
FLOOR_HEIGHT = 38.0
# North side: meeting rooms left and right of the lift/stair core; then a corridor,
# then two bands of team zones separated by a main aisle.
ROOM_BAND_Y = 0.5
ROOM_DEPTH = 6.0
CORE_X = (27.0, 37.0)
BAND_YS = (8.5, 23.5)
BAND_DEPTH = 13.0
WALL_MARGIN = 0.8
ZONE_AISLE = 1.2
ROOM_WALL = 0.2

# Desk islands: two rows back to back, 1.6 m seat pitch, three islands per band.
SEAT_PITCH = 1.6
ISLANDS_PER_ZONE = 3
ISLAND_PITCH = 4.4
BACK_TO_BACK = 0.8
ZONE_PADDING = 0.6
MAX_ZONE_DESKS = 36

# What an office zone draws while in use, per square metre: LED lighting and the electrical
# input of air conditioning in a Japanese office (the energy a dark zone-hour can save).
LIGHTING_W_PER_M2 = 10.0
HVAC_W_PER_M2 = 40.0

# Room width (m) → seats; all rooms are ROOM_DEPTH deep.
ROOM_CAPACITY = {3.0: 4, 4.5: 8, 6.0: 12, 9.0: 18, 12.0: 30}
ROOM_MONITOR_IN = {4: 43, 8: 55, 12: 65, 18: 75, 30: 86}
ROOM_PATTERNS = (
    (6.0, 9.0),
    (4.5, 4.5, 6.0),
    (12.0, 4.5),
    (3.0, 3.0, 6.0, 4.5),
    (4.5, 9.0, 3.0),
)
FLOOR_LEVELS = tuple(range(2, 9))


@dataclass(frozen=True)
class _Rect:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class _Desk:
    id: str
    zone: str
    x: float
    y: float
    equipment: tuple[str, ...]


@dataclass(frozen=True)
class _Zone:
    id: str
    name: str
    name_ja: str
    department: str
    rect: _Rect
    desks: tuple[_Desk, ...]
    sensor: str


@dataclass(frozen=True)
class _PlannedRoom:
    id: str
    name: str
    name_ja: str
    capacity: int
    rect: _Rect


@dataclass(frozen=True)
class _AccessPoint:
    id: str
    x: float
    y: float
    bssids: tuple[str, ...]


@dataclass
class _Floor:
    id: str
    name: str
    level: int
    zones: list[_Zone] = field(default_factory=list)
    rooms: list[_PlannedRoom] = field(default_factory=list)
    access_points: list[_AccessPoint] = field(default_factory=list)


def _split(total: int, parts: int) -> list[int]:
    """`total` in `parts` near-equal whole shares, larger shares first."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _zone_width(desks: int) -> tuple[int, float]:
    seats_per_row = math.ceil(desks / (ISLANDS_PER_ZONE * 2))
    return seats_per_row, 2 * ZONE_PADDING + seats_per_row * SEAT_PITCH


def _equipment(rng: random.Random, first_seat: bool) -> tuple[str, ...]:
    items = []
    roll = rng.random()
    if roll < 0.10:
        items.append("dual-monitor")
    elif roll < 0.62:
        items.append("monitor")
    if items and rng.random() < 0.45:
        items.append("dock")
    if rng.random() < 0.04:
        items.append("standing")
    # The seat at the aisle end of each zone's first island is kept wheelchair-accessible.
    if first_seat:
        items.append("accessible")
    return tuple(items)


def _sensor_for(zone_number: int) -> str:
    # Mostly mmWave (fast, seated presence); a few older PIR and pressure-mat floors.
    if zone_number % 9 == 4:
        return "pir"
    if zone_number % 13 == 7:
        return "pressure"
    return "mmwave"


def _zone(
    rng: random.Random,
    floor_id: str,
    letter: str,
    plan: DepartmentPlan,
    team: int,
    desks: int,
    x: float,
    y: float,
    zone_number: int,
) -> _Zone:
    seats_per_row, width = _zone_width(desks)
    zone_id = f"{floor_id}-{letter}"
    placed: list[_Desk] = []
    for row in range(ISLANDS_PER_ZONE * 2):
        island, side = divmod(row, 2)
        desk_y = y + 1.8 + island * ISLAND_PITCH + side * BACK_TO_BACK
        for seat in range(seats_per_row):
            if len(placed) == desks:
                break
            desk_x = x + ZONE_PADDING + SEAT_PITCH / 2 + seat * SEAT_PITCH
            placed.append(
                _Desk(
                    id=f"desk-{zone_id}-{row + 1:02d}-{seat + 1:02d}",
                    zone=zone_id,
                    x=round(desk_x, 2),
                    y=round(desk_y, 2),
                    equipment=_equipment(rng, first_seat=row == 0 and seat == 0),
                )
            )
    return _Zone(
        id=zone_id,
        name=f"{plan.short} {team}",
        name_ja=f"{plan.name_ja} {team}",
        department=plan.id,
        rect=_Rect(round(x, 2), y, round(width, 2), BAND_DEPTH),
        desks=tuple(placed),
        sensor=_sensor_for(zone_number),
    )


def _bssids(rng: random.Random, taken: set[str]) -> tuple[str, ...]:
    # Locally administered unicast (first octet 0x06): plausible, and never a real vendor's.
    while True:
        base = [0x06, 0x9C, 0x3A, rng.randrange(256), rng.randrange(256), rng.randrange(16) << 4]
        radios = tuple(
            ":".join(f"{octet:02x}" for octet in [*base[:5], base[5] | radio]) for radio in (0, 1)
        )
        if not taken.intersection(radios):
            taken.update(radios)
            return radios


def _floors() -> list[_Floor]:
    rng = random.Random(_SITE_SEED)
    floors: list[_Floor] = []
    zone_number = 0
    taken_bssids: set[str] = set()
    for level in FLOOR_LEVELS:
        floor_id = f"f{level}"
        floor = _Floor(id=floor_id, name=f"{level}F", level=level)
        band, cursor = 0, WALL_MARGIN
        letters = iter("abcdefghijklmnopqrstuvwxyz")
        for plan in (p for p in DEPARTMENTS if p.floor == level):
            teams = _split(plan.desks, math.ceil(plan.desks / MAX_ZONE_DESKS))
            for team, desks in enumerate(teams, start=1):
                _, width = _zone_width(desks)
                if cursor + width > FLOOR_WIDTH - WALL_MARGIN:
                    band, cursor = band + 1, WALL_MARGIN
                    if band == len(BAND_YS):
                        raise ValueError(f"floor {floor_id}: the zones do not fit")
                floor.zones.append(
                    _zone(
                        rng,
                        floor_id,
                        next(letters),
                        plan,
                        team,
                        desks,
                        cursor,
                        BAND_YS[band],
                        zone_number,
                    )
                )
                zone_number += 1
                cursor += width + ZONE_AISLE

        widths = [*rng.choice(ROOM_PATTERNS), *rng.choice(ROOM_PATTERNS)]
        room_rects = _room_band(widths)
        # Space left over at the end of the last band becomes a project room.
        if band < len(BAND_YS) and FLOOR_WIDTH - WALL_MARGIN - cursor >= 6.0:
            room_rects.append(_Rect(round(cursor, 2), BAND_YS[band] + 0.5, 6.0, ROOM_DEPTH))
        for number, rect in enumerate(room_rects, start=1):
            code = f"{level}{number:02d}"
            capacity = ROOM_CAPACITY[rect.w]
            floor.rooms.append(
                _PlannedRoom(
                    id=f"room-{code}",
                    name=f"Meeting Room {code}",
                    name_ja=f"{code}会議室",
                    capacity=capacity,
                    rect=rect,
                )
            )
        for index, (ap_x, ap_y) in enumerate(((16, 15), (48, 15), (16, 30), (48, 30)), start=1):
            floor.access_points.append(
                _AccessPoint(
                    id=f"ap-{floor_id}-{index}",
                    x=ap_x,
                    y=ap_y,
                    bssids=_bssids(rng, taken_bssids),
                )
            )
        floors.append(floor)
    return floors


def _room_band(widths: list[float]) -> list[_Rect]:
    """Rooms along the north wall, left of the core until full, then right of it."""
    rects = []
    x = WALL_MARGIN
    for width in widths:
        if x < CORE_X[0] and x + width > CORE_X[0]:
            x = CORE_X[1] + ROOM_WALL
        if x + width > FLOOR_WIDTH - WALL_MARGIN:
            raise ValueError("the meeting rooms do not fit along the north wall")
        rects.append(_Rect(round(x, 2), ROOM_BAND_Y, width, ROOM_DEPTH))
        x += width + ROOM_WALL
    return rects


_PLAIN = re.compile(r"^[a-z][a-z0-9-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _s(value: str) -> str:
    """A YAML scalar for `value`: plain for ids, double-quoted (JSON) for anything else."""
    if _PLAIN.match(value) and value not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _watts(rect: _Rect, per_m2: float) -> str:
    return str(round(rect.w * rect.h * per_m2))


def _rect(rect: _Rect) -> str:
    return f"{{x: {_n(rect.x)}, y: {_n(rect.y)}, w: {_n(rect.w)}, h: {_n(rect.h)}}}"


def _flow_list(items: list[str], column: int, indent: int, width: int = 100) -> str:
    """A flow sequence starting at `column`, wrapped to `width`, continuing at `indent`."""
    lines, line = [], "["
    for index, item in enumerate(items):
        piece = item + (", " if index < len(items) - 1 else "]")
        if column + len(line) + len(piece.rstrip()) > width and line.strip() != "[":
            lines.append(line.rstrip())
            line, column = " " * indent, 0
        line += piece
    lines.append(line)
    return "\n".join(lines)


def render_site_yaml() -> str:
    """The demo site file's full text; the same on every run."""
    floors = _floors()
    out = [
        "# Aoba City Hall (demo): a fictional city hall of ~2,000 staff on seven office floors.",
        "# Generated by `python -m firmware_config.demo_site`; edit the generator, not this file.",
        "site:",
        "  id: cityhall",
        '  name: "Aoba City Hall (demo)"',
        '  name_ja: "青葉市役所（デモ）"',
        "  timezone: Asia/Tokyo",
        "policy: {no_show_grace_min: 30, max_same_desk_days: 3, consolidate_zones: true,",
        '         away_limit_min: 90, away_action: release, working_hours: "08:30-17:15"}',
        "hold_times:",
        "  pir: {occupied_after_s: 0, free_after_s: 600, ttl_s: 1800}",
        "  mmwave: {occupied_after_s: 0, free_after_s: 60, ttl_s: 600}",
        "  pressure: {occupied_after_s: 0, free_after_s: 120, ttl_s: 1800}",
        "  thermal: {occupied_after_s: 0, free_after_s: 420, ttl_s: 1800}",
        "  simulated: {occupied_after_s: 0, free_after_s: 0, ttl_s: 600}",
        "departments:",
    ]
    out += [
        f"  - {{id: {_s(d.id)}, name: {_s(d.name)}, name_ja: {_s(d.name_ja)}}}" for d in DEPARTMENTS
    ]
    out += ["buildings:", "  - id: main", '    name: "Main Building"', "    floors:"]
    for floor in floors:
        out += [
            f"      - id: {floor.id}",
            f"        name: {_s(floor.name)}",
            f"        level: {floor.level}",
            f"        width: {_n(FLOOR_WIDTH)}",
            f"        height: {_n(FLOOR_HEIGHT)}",
            "        zones:",
        ]
        out += [
            f"          - {{id: {z.id}, name: {_s(z.name)}, name_ja: {_s(z.name_ja)}, "
            f"department: {z.department}, "
            f"rect: {_rect(z.rect)}, lighting_w: {_watts(z.rect, LIGHTING_W_PER_M2)}, "
            f"hvac_w: {_watts(z.rect, HVAC_W_PER_M2)}}}"
            for z in floor.zones
        ]
        out.append("        rooms:")
        for room in floor.rooms:
            size = ROOM_MONITOR_IN[room.capacity]
            inputs = "[hdmi, usb-c, wireless]" if room.capacity >= 18 else "[hdmi, usb-c]"
            out.append(
                f"          - {{id: {room.id}, name: {_s(room.name)}, name_ja: {_s(room.name_ja)}, "
                f"capacity: {room.capacity}, rect: {_rect(room.rect)}, "
                f"monitor: {{size_in: {size}, inputs: {inputs}}}}}"
            )
        out.append("        access_points:")
        out += [
            f"          - {{id: {ap.id}, x: {_n(ap.x)}, y: {_n(ap.y)}, "
            f"bssids: [{', '.join(_s(b) for b in ap.bssids)}]}}"
            for ap in floor.access_points
        ]
        out.append("        desks:")
        for zone in floor.zones:
            for desk in zone.desks:
                line = (
                    f"          - {{id: {desk.id}, zone: {desk.zone}, "
                    f"x: {_n(desk.x)}, y: {_n(desk.y)}"
                )
                if desk.equipment:
                    line += f", equipment: [{', '.join(desk.equipment)}]"
                out.append(line + "}")
    out.append("devices:")
    for floor in floors:
        for zone in floor.zones:
            head = f"  - {{id: gw-{zone.id}, kind: desk, sensor: {zone.sensor}, desks: "
            desk_ids = [d.id for d in zone.desks]
            out.append(head + _flow_list(desk_ids, column=len(head), indent=6) + "}")
        out += [
            f"  - {{id: display-{room.id.removeprefix('room-')}, kind: room, room: {room.id}}}"
            for room in floor.rooms
        ]
        out += [
            f"  - {{id: apagent-{ap.id.removeprefix('ap-')}, kind: ap, access_point: {ap.id}}}"
            for ap in floor.access_points
        ]
    return "\n".join(out) + "\n"


def main() -> None:
    """Rewrite the shipped demo files, then check the site file loads."""
    from firmware_config.check import check_site

    site_path, staff_path = demo_site_path(), demo_staff_path()
    site_path.parent.mkdir(parents=True, exist_ok=True)
    site_path.write_text(render_site_yaml(), encoding="utf-8", newline="\n")
    staff_path.write_text(render_staff_csv(), encoding="utf-8", newline="\n")
    print(check_site(site_path))
    print(f"wrote {site_path} and {staff_path}")


if __name__ == "__main__":
    main()
