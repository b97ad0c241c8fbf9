"""What people read instead of ids: desk labels and the names of floors, zones, rooms and
departments, in English and Japanese. Ids stay in URLs and APIs; these go on pages and in CSVs.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from firmware_config.site import Site

Names = Mapping[str, tuple[str, str]]  # id -> (English name, Japanese name or "")


@dataclass(frozen=True, slots=True)
class Served:
    """Where a device is and what it serves, for naming it: its floor, zone or room."""

    kind: str
    floor: str | None
    zone: str | None
    room: str | None


def desk_label(floor_id: str, floor_name: str, desk_id: str, label: str = "") -> str:
    """A desk as people read it, e.g. "3F A-04-04" for desk-f3-a-04-04 on floor 3F."""
    if label:
        return label
    rest = desk_id.removeprefix("desk-").removeprefix(f"{floor_id}-")
    return f"{floor_name} {rest.upper()}"


@dataclass(frozen=True, slots=True)
class SiteLabels:
    """Every label of one site file, looked up by id; an unknown id reads as itself."""

    desks: Mapping[str, str]
    floors: Names
    zones: Names
    rooms: Names
    departments: Names
    floor_of_zone: Mapping[str, str]
    department_of_zone: Mapping[str, str]
    devices: Mapping[str, Served]

    @classmethod
    def of(cls, site: Site) -> "SiteLabels":
        desks: dict[str, str] = {}
        floors: dict[str, tuple[str, str]] = {}
        zones: dict[str, tuple[str, str]] = {}
        rooms: dict[str, tuple[str, str]] = {}
        floor_of_zone: dict[str, str] = {}
        department_of_zone: dict[str, str] = {}
        for floor in site.floors():
            floors[floor.id] = (floor.name, floor.name_ja)
            for zone in floor.zones:
                zones[zone.id] = (zone.name, zone.name_ja)
                floor_of_zone[zone.id] = floor.id
                if zone.department is not None:
                    department_of_zone[zone.id] = zone.department
            for room in floor.rooms:
                rooms[room.id] = (room.name, room.name_ja)
            for desk in floor.desks:
                desks[desk.id] = desk_label(floor.id, floor.name, desk.id, desk.label)
        departments = {d.id: (d.name, d.name_ja) for d in site.departments}
        return cls(
            desks,
            floors,
            zones,
            rooms,
            departments,
            floor_of_zone,
            department_of_zone,
            _served(site),
        )

    def desk(self, desk_id: str) -> str:
        return self.desks.get(desk_id, desk_id)

    def floor(self, floor_id: str, lang: str = "en") -> str:
        return _pick(self.floors, floor_id, lang)

    def zone(self, zone_id: str, lang: str = "en") -> str:
        return _pick(self.zones, zone_id, lang)

    def room(self, room_id: str, lang: str = "en") -> str:
        return _pick(self.rooms, room_id, lang)

    def department(self, department_id: str, lang: str = "en") -> str:
        return _pick(self.departments, department_id, lang)

    def of_fact(self, name: str, value: str, lang: str) -> str | None:
        """The label for a fact named `name` (desk, room, floor, zone ...), None if not an id."""
        if name in ("desk", "scanned"):
            return self.desks.get(value)
        table = {
            "room": self.rooms,
            "floor": self.floors,
            "zone": self.zones,
            "department": self.departments,
        }.get(name)
        return _pick(table, value, lang) if table is not None and value in table else None


def _pick(names: Names, key: str, lang: str) -> str:
    english, japanese = names.get(key, (key, ""))
    return (japanese if lang == "ja" and japanese else english) or key


def _served(site: Site) -> dict[str, Served]:
    desk_place = {desk.id: (floor.id, desk.zone) for floor in site.floors() for desk in floor.desks}
    room_floor = {room.id: floor.id for floor in site.floors() for room in floor.rooms}
    ap_floor = {ap.id: floor.id for floor in site.floors() for ap in floor.access_points}
    out = {}
    for device in site.devices:
        floor, zone = (
            desk_place.get(device.desks[0], (None, None)) if device.desks else (None, None)
        )
        if device.room is not None:
            floor = room_floor.get(device.room)
        if device.access_point is not None:
            floor = ap_floor.get(device.access_point)
        out[device.id] = Served(device.kind, floor, zone, device.room)
    return out
