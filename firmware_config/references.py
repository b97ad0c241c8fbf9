"""Cross-reference rules a valid site obeys beyond its schema: unique ids, existing targets."""

from collections.abc import Iterable
from dataclasses import dataclass

from contracts import SensorClass
from firmware_config.esphome_topics import overlap, prefix_problem
from firmware_config.site import Rect, Site

Loc = tuple[str | int, ...]

# Long lists in messages are cut here: the point is to hint, not to dump the file back.
_MAX_LISTED = 8
# Decimal metres do not add up exactly in binary (0.1 + 0.2 > 0.3); a micrometre is no error.
_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class ReferenceProblem:
    """One broken rule at `loc`; `other` is the earlier declaration it clashes with, if any."""

    loc: Loc
    message: str
    other: Loc | None = None


def _listing(ids: Iterable[str]) -> str:
    items = list(ids)
    if not items:
        return "none"
    shown = ", ".join(items[:_MAX_LISTED])
    return shown + (f", … ({len(items)} in all)" if len(items) > _MAX_LISTED else "")


def _num(value: float) -> str:
    return f"{value:g}"


def _rect_problems(
    rect: Rect, loc: Loc, what: str, width: float, height: float
) -> list[ReferenceProblem]:
    problems = []
    if rect.x + rect.w > width + _TOLERANCE:
        problems.append(
            ReferenceProblem(
                (*loc, "rect", "w"),
                f"{what} reaches x = {_num(rect.x + rect.w)} m, beyond the floor's width "
                f"{_num(width)} m",
            )
        )
    if rect.y + rect.h > height + _TOLERANCE:
        problems.append(
            ReferenceProblem(
                (*loc, "rect", "h"),
                f"{what} reaches y = {_num(rect.y + rect.h)} m, beyond the floor's height "
                f"{_num(height)} m",
            )
        )
    return problems


def reference_problems(site: Site) -> list[ReferenceProblem]:
    """Every cross-reference rule `site` breaks, in declaration order; empty when it is sound."""
    problems: list[ReferenceProblem] = []
    # One namespace for every id: topics, ACLs and URLs take bare ids without saying their kind.
    declared: dict[str, tuple[str, Loc]] = {}

    def declare(ident: str, kind: str, loc: Loc) -> None:
        if ident in declared:
            first_kind, first_loc = declared[ident]
            problems.append(
                ReferenceProblem(
                    (*loc, "id"),
                    f"duplicate id {ident!r}: already used by the {first_kind}",
                    (*first_loc, "id"),
                )
            )
        else:
            declared[ident] = (kind, loc)

    for d_index, department in enumerate(site.departments):
        declare(department.id, "department", ("departments", d_index))
    department_ids = [d.id for d in site.departments]

    zone_floor: dict[str, str] = {}
    for floor in reversed(site.floors()):
        zone_floor.update((zone.id, floor.id) for zone in floor.zones)
    desk_ids: set[str] = set()
    room_ids: set[str] = set()
    ap_ids: set[str] = set()
    for b_index, building in enumerate(site.buildings):
        b_loc: Loc = ("buildings", b_index)
        declare(building.id, "building", b_loc)
        for f_index, floor in enumerate(building.floors):
            f_loc: Loc = (*b_loc, "floors", f_index)
            declare(floor.id, "floor", f_loc)
            for z_index, zone in enumerate(floor.zones):
                z_loc: Loc = (*f_loc, "zones", z_index)
                declare(zone.id, "zone", z_loc)
                if zone.department is not None and zone.department not in department_ids:
                    problems.append(
                        ReferenceProblem(
                            (*z_loc, "department"),
                            f"unknown department {zone.department!r} "
                            f"(departments: {_listing(department_ids)})",
                        )
                    )
                problems += _rect_problems(
                    zone.rect, z_loc, f"zone {zone.id!r}", floor.width, floor.height
                )
            for r_index, room in enumerate(floor.rooms):
                r_loc: Loc = (*f_loc, "rooms", r_index)
                declare(room.id, "room", r_loc)
                room_ids.add(room.id)
                problems += _rect_problems(
                    room.rect, r_loc, f"room {room.id!r}", floor.width, floor.height
                )
            for a_index, ap in enumerate(floor.access_points):
                a_loc: Loc = (*f_loc, "access_points", a_index)
                declare(ap.id, "access point", a_loc)
                ap_ids.add(ap.id)
                problems += _outside_floor(
                    ap.x, ap.y, a_loc, f"access point {ap.id!r}", floor.width, floor.height
                )
            floor_zones = [z.id for z in floor.zones]
            for k_index, desk in enumerate(floor.desks):
                k_loc: Loc = (*f_loc, "desks", k_index)
                declare(desk.id, "desk", k_loc)
                desk_ids.add(desk.id)
                if desk.zone not in floor_zones:
                    elsewhere = zone_floor.get(desk.zone)
                    where = (
                        f"it is on floor {elsewhere!r}, not on this floor {floor.id!r}"
                        if elsewhere
                        else f"zones on floor {floor.id!r}: {_listing(floor_zones)}"
                    )
                    problems.append(
                        ReferenceProblem((*k_loc, "zone"), f"unknown zone {desk.zone!r} ({where})")
                    )
                problems += _outside_floor(
                    desk.x, desk.y, k_loc, f"desk {desk.id!r}", floor.width, floor.height
                )

    served_by: dict[str, tuple[str, Loc]] = {}
    for v_index, device in enumerate(site.devices):
        v_loc: Loc = ("devices", v_index)
        declare(device.id, "device", v_loc)
        problems += _device_problems(site, device_index=v_index, room_ids=room_ids, ap_ids=ap_ids)
        for s_index, desk_id in enumerate(device.desks):
            s_loc: Loc = (*v_loc, "desks", s_index)
            if desk_id not in desk_ids:
                problems.append(ReferenceProblem(s_loc, f"unknown desk {desk_id!r}"))
            elif desk_id in served_by:
                other_device, other_loc = served_by[desk_id]
                problems.append(
                    ReferenceProblem(
                        s_loc,
                        f"desk {desk_id!r} is already served by device {other_device!r}",
                        other_loc,
                    )
                )
            else:
                served_by[desk_id] = (device.id, s_loc)
    problems += _topic_problems(site)
    zone_ids = set(zone_floor)
    for o_index, zone_id in enumerate(site.policy.zone_order):
        if zone_id not in zone_ids:
            problems.append(
                ReferenceProblem(
                    ("policy", "zone_order", o_index),
                    f"unknown zone {zone_id!r}: zone_order lists zones of this site's floors",
                )
            )
    return problems


def _outside_floor(
    x: float, y: float, loc: Loc, what: str, width: float, height: float
) -> list[ReferenceProblem]:
    problems = []
    if x > width + _TOLERANCE:
        problems.append(
            ReferenceProblem(
                (*loc, "x"),
                f"{what} lies outside the floor: x = {_num(x)} m, expected 0 to {_num(width)}",
            )
        )
    if y > height + _TOLERANCE:
        problems.append(
            ReferenceProblem(
                (*loc, "y"),
                f"{what} lies outside the floor: y = {_num(y)} m, expected 0 to {_num(height)}",
            )
        )
    return problems


def _device_problems(
    site: Site, *, device_index: int, room_ids: set[str], ap_ids: set[str]
) -> list[ReferenceProblem]:
    device = site.devices[device_index]
    loc: Loc = ("devices", device_index)
    problems = []
    if device.kind == "desk":
        if device.sensor is None:
            problems.append(
                ReferenceProblem(
                    (*loc, "sensor"),
                    "required field missing for a 'desk' device: expected one of "
                    + ", ".join(repr(s.value) for s in SensorClass),
                )
            )
        if not device.desks:
            problems.append(
                ReferenceProblem(
                    (*loc, "desks"), "a 'desk' device must serve at least one desk: list its ids"
                )
            )
    elif device.desks:
        problems.append(
            ReferenceProblem(
                (*loc, "desks"), f"only a 'desk' device serves desks, this one is {device.kind!r}"
            )
        )
    if device.esphome is not None and device.zigbee2mqtt is not None:
        problems.append(
            ReferenceProblem(
                (*loc, "zigbee2mqtt"), "a device is either an ESPHome node or a Zigbee2MQTT one"
            )
        )
    source = "esphome" if device.esphome is not None else "zigbee2mqtt"
    if device.mapped_desks() and device.kind != "desk":
        problems.append(
            ReferenceProblem((*loc, source), "only a 'desk' device maps sensors to desks")
        )
    unlisted = [d for d in device.mapped_desks() if d not in device.desks]
    if unlisted:
        problems.append(
            ReferenceProblem(
                (*loc, source),
                f"maps desks that the device's desks list leaves out: {_listing(unlisted)}",
            )
        )
    if device.sensor is not None and device.sensor not in site.hold_times:
        problems.append(
            ReferenceProblem(
                (*loc, "sensor"),
                f"no hold_times for sensor {device.sensor.value!r}: add it under hold_times "
                f"(present: {_listing(s.value for s in site.hold_times)})",
            )
        )
    if device.kind == "room":
        if device.room is None:
            problems.append(
                ReferenceProblem(
                    (*loc, "room"),
                    "required field missing for a 'room' device: expected the id of its room",
                )
            )
        elif device.room not in room_ids:
            problems.append(
                ReferenceProblem(
                    (*loc, "room"),
                    f"unknown room {device.room!r} (rooms: {_listing(sorted(room_ids))})",
                )
            )
    elif device.room is not None:
        problems.append(
            ReferenceProblem(
                (*loc, "room"), f"only a 'room' device names a room, this one is {device.kind!r}"
            )
        )
    if device.kind == "ap":
        if device.access_point is None:
            problems.append(
                ReferenceProblem(
                    (*loc, "access_point"),
                    "required field missing for an 'ap' device: "
                    "expected the id of its access point",
                )
            )
        elif device.access_point not in ap_ids:
            problems.append(
                ReferenceProblem(
                    (*loc, "access_point"),
                    f"unknown access point {device.access_point!r} "
                    f"(access points: {_listing(sorted(ap_ids))})",
                )
            )
    elif device.access_point is not None:
        problems.append(
            ReferenceProblem(
                (*loc, "access_point"),
                f"only an 'ap' device names an access point, this one is {device.kind!r}",
            )
        )
    return problems


def _topic_problems(site: Site) -> list[ReferenceProblem]:
    """Prefixes ESPHome refuses or freeseat cannot route, and nodes whose topics would mix."""
    problems = []
    claimed: list[tuple[str, str, Loc]] = []  # topic prefix, whose, where
    for index, device in enumerate(site.devices):
        if device.zigbee2mqtt is not None:
            base = device.zigbee2mqtt.base_topic.strip("/")
            if not any(b == base and w.startswith("Zigbee2MQTT") for b, w, _ in claimed):
                where: Loc = ("devices", index, "zigbee2mqtt", "base_topic")
                claimed.append((base, f"Zigbee2MQTT base topic {base!r}", where))
    for index, device in enumerate(site.devices):
        if device.esphome is None:
            continue
        loc: Loc = ("devices", index, "esphome", "prefix")
        prefix = device.esphome.prefix
        problem = prefix_problem(prefix)
        if problem is not None:
            problems.append(ReferenceProblem(loc, f"topic prefix {prefix!r}: {problem}"))
            continue
        clash = next((c for c in claimed if overlap(prefix, c[0])), None)
        if clash is not None:
            problems.append(
                ReferenceProblem(
                    loc,
                    f"topic prefix {prefix!r} overlaps {clash[1]}: the messages of one would "
                    "be read as the other's; give each node a prefix of its own (e.g. its id)",
                    clash[2],
                )
            )
        claimed.append((prefix, f"device {device.id!r}'s prefix {prefix!r}", loc))
    return problems
