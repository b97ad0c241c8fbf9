"""The site loader on mistakes between parts of a file: duplicate keys and ids, desks, zones,
rooms and devices that refer to what is not there or is taken, reported in file order."""

from tests.site_mistakes import column_of, edited, line_of, only_problem, problems_of


def test_a_duplicate_key_names_the_first_one() -> None:
    text = edited(("        level: 2\n", "        level: 2\n        level: 3\n"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "level: 3")
    assert problem.path == "buildings[0].floors[1].level"
    assert problem.message == f"duplicate key 'level': already given at line {problem.line - 1}:9"


def test_a_duplicate_id_names_where_the_first_one_is() -> None:
    text = edited(("- id: room-101", "- id: desk-3"), ("room: room-101}", "room: desk-3}"))

    problem = only_problem(text)

    # Floor 1's room is declared before floor 2's desk, so the desk is the duplicate.
    assert problem.line == line_of(text, "{id: desk-3,")
    assert problem.path == "buildings[0].floors[1].desks[0].id"
    room_line = line_of(text, "- id: desk-3")
    room_column = column_of(text, "desk-3", on="- id: desk-3")
    assert problem.message == (
        f"duplicate id 'desk-3': already used by the room at line {room_line}:{room_column} "
        "(buildings[0].floors[0].rooms[0].id)"
    )


def test_ids_are_unique_across_kinds_and_floors() -> None:
    text = edited(
        ("{id: desk-3, zone: z-it", "{id: desk-1, zone: z-it"),
        ("desks: [desk-3]", "desks: [desk-1]"),
    )

    problems = problems_of(text)

    duplicate = next(p for p in problems if p.message.startswith("duplicate id"))
    assert duplicate.line == line_of(text, "{id: desk-1, zone: z-it")
    assert duplicate.path == "buildings[0].floors[1].desks[0].id"
    first = line_of(text, "{id: desk-1, zone: z-ops")
    first_column = column_of(text, "desk-1", on="{id: desk-1, zone: z-ops")
    assert duplicate.message == (
        f"duplicate id 'desk-1': already used by the desk at line {first}:{first_column} "
        "(buildings[0].floors[0].desks[0].id)"
    )


def test_a_device_may_not_reuse_a_desk_id() -> None:
    text = edited(("{id: apd-1,", "{id: desk-2,"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "{id: desk-2, kind: ap")
    assert problem.path == "devices[3].id"
    assert problem.message.startswith("duplicate id 'desk-2': already used by the desk at line ")


def test_a_desk_in_a_zone_of_another_floor() -> None:
    text = edited(("{id: desk-3, zone: z-it", "{id: desk-3, zone: z-ops"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "{id: desk-3")
    assert problem.column == column_of(text, "z-ops", on="{id: desk-3")
    assert problem.path == "buildings[0].floors[1].desks[0].zone"
    assert problem.message == "unknown zone 'z-ops' (it is on floor 'f1', not on this floor 'f2')"


def test_a_desk_in_a_zone_that_does_not_exist() -> None:
    text = edited(("{id: desk-3, zone: z-it", "{id: desk-3, zone: z-hr"))

    problem = only_problem(text)

    assert problem.path == "buildings[0].floors[1].desks[0].zone"
    assert problem.message == "unknown zone 'z-hr' (zones on floor 'f2': z-it)"


def test_a_zone_of_an_unknown_department() -> None:
    text = edited(("department: it,", "department: hr,"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "department: hr")
    assert problem.path == "buildings[0].floors[1].zones[0].department"
    assert problem.message == "unknown department 'hr' (departments: ops, it)"


def test_a_desk_outside_its_floor() -> None:
    text = edited(("zone: z-ops, x: 4, y: 2", "zone: z-ops, x: 4, y: 12.5"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "y: 12.5")
    assert problem.column == column_of(text, "12.5")
    assert problem.path == "buildings[0].floors[0].desks[1].y"
    assert problem.message == "desk 'desk-2' lies outside the floor: y = 12.5 m, expected 0 to 10"


def test_a_room_reaching_beyond_its_floor() -> None:
    text = edited(("rect: {x: 12, y: 0, w: 6, h: 5}", "rect: {x: 12, y: 0, w: 9, h: 5}"))

    problem = only_problem(text)

    assert problem.path == "buildings[0].floors[0].rooms[0].rect.w"
    assert problem.message == "room 'room-101' reaches x = 21 m, beyond the floor's width 20 m"


def test_a_device_serving_an_unknown_desk() -> None:
    text = edited(("desks: [desk-3]", "desks: [desk-3, desk-9]"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "desk-9")
    assert problem.column == column_of(text, "desk-9")
    assert problem.path == "devices[1].desks[1]"
    assert problem.message == "unknown desk 'desk-9'"


def test_a_desk_device_needs_a_sensor() -> None:
    text = edited(("{id: gw-2, kind: desk, sensor: pir,", "{id: gw-2, kind: desk,"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "gw-2")
    assert problem.path == "devices[1].sensor"
    assert problem.message.startswith("required field missing for a 'desk' device: expected one of")


def test_a_desk_device_needs_a_desk() -> None:
    text = edited(("sensor: pir, desks: [desk-3]}", "sensor: pir}"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "gw-2")
    assert problem.path == "devices[1].desks"
    assert problem.message == "a 'desk' device must serve at least one desk: list its ids"


def test_a_room_device_naming_an_unknown_room() -> None:
    text = edited(("room: room-101}", "room: room-102}"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "room-102")
    assert problem.path == "devices[2].room"
    assert problem.message == "unknown room 'room-102' (rooms: room-101)"


def test_a_room_device_without_a_room() -> None:
    text = edited((", room: room-101}", "}"))

    problem = only_problem(text)

    assert problem.path == "devices[2].room"
    assert problem.message == (
        "required field missing for a 'room' device: expected the id of its room"
    )


def test_an_ap_device_naming_an_unknown_access_point() -> None:
    text = edited(("access_point: ap-1}", "access_point: ap-2}"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "access_point: ap-2")
    assert problem.path == "devices[3].access_point"
    assert problem.message == "unknown access point 'ap-2' (access points: ap-1)"


def test_a_desk_served_by_two_devices_names_the_first() -> None:
    text = edited(("desks: [desk-3]", "desks: [desk-3, desk-2]"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "desk-3, desk-2")
    assert problem.path == "devices[1].desks[1]"
    first = line_of(text, "{id: gw-1")
    first_column = column_of(text, "desk-2", on="{id: gw-1")
    assert problem.message == (
        "desk 'desk-2' is already served by device 'gw-1' "
        f"at line {first}:{first_column} (devices[0].desks[1])"
    )


def test_every_problem_is_reported_in_file_order() -> None:
    text = edited(
        ("department: it,", "department: hr,"),
        ("{id: desk-3, zone: z-it", "{id: desk-3, zone: z-hr"),
        ("room: room-101}", "room: room-102}"),
    )

    problems = problems_of(text)

    assert [p.path for p in problems] == [
        "buildings[0].floors[1].zones[0].department",
        "buildings[0].floors[1].desks[0].zone",
        "devices[2].room",
    ]
    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)
