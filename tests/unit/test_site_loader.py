"""The site loader: a valid file loads; each mistake is named by file, line, path, expectation."""

import re
from pathlib import Path

import pytest

from contracts import SensorClass
from firmware_config.check import check_site
from firmware_config.loader import MAX_PROBLEMS, SiteError, SiteProblem, load_site, parse_site
from tests.site_files import SMALL_SITE

FILE = "office.yaml"


LINE_FORMAT = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<path>\S+): (?P<msg>.+)$"
)


def edited(*replacements: tuple[str, str]) -> str:
    """SMALL_SITE with each `old` fragment (which must occur exactly once) replaced by `new`."""
    text = SMALL_SITE
    for old, new in replacements:
        assert text.count(old) == 1, f"{old!r} must occur once in the test site"
        text = text.replace(old, new)
    return text


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the only line containing `fragment`."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(lines) == 1, f"{fragment!r} is on lines {lines}"
    return lines[0]


def column_of(text: str, fragment: str, on: str | None = None) -> int:
    """The 1-based column of `fragment` on the only line containing `on` (default: `fragment`)."""
    line = text.splitlines()[line_of(text, on or fragment) - 1]
    return line.index(fragment) + 1


def problems_of(text: str) -> list[SiteProblem]:
    with pytest.raises(SiteError) as caught:
        parse_site(text, FILE)
    error = caught.value
    # The rendered error lists exactly the problems, one per line, in FILE:LINE:COL form.
    assert str(error).splitlines() == [str(p) for p in error.problems]
    return error.problems


def only_problem(text: str) -> SiteProblem:
    problems = problems_of(text)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_a_valid_small_site_loads_with_defaults_filled_in() -> None:
    site = parse_site(SMALL_SITE, FILE)

    assert site.site.id == "tiny"
    assert site.site.name_ja == "小さな事務所"
    assert [f.id for f in site.floors()] == ["f1", "f2"]
    assert [d.id for _, d in site.desks()] == ["desk-1", "desk-2", "desk-3"]
    assert site.floors()[0].desks[1].equipment == ["monitor"]
    assert site.floors()[0].rooms[0].monitor.inputs == ["hdmi", "usb-c"]
    assert site.hold_times[SensorClass.PIR].free_after_s == 600
    assert site.policy.no_show_grace_min == 30


def test_load_site_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "office.yaml"
    path.write_text(SMALL_SITE, encoding="utf-8")

    assert load_site(path).site.name == "Tiny Office"


def test_a_missing_file_is_a_site_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    with pytest.raises(SiteError) as caught:
        load_site(path)

    assert str(caught.value) == f"{path}: cannot read the site file: No such file or directory"


def test_a_yaml_syntax_error_gives_its_line_and_column() -> None:
    text = edited(("name: HQ\n", "name: [HQ\n"))

    problem = only_problem(text)

    assert problem.file == FILE
    assert problem.line == line_of(text, "name: [HQ") + 1
    assert problem.message.startswith("invalid YAML: ")
    assert f"flow sequence at line {line_of(text, 'name: [HQ')}:" in problem.message


def test_tabs_for_indentation_are_a_syntax_error_with_its_line() -> None:
    text = edited(("    name: HQ\n", "\tname: HQ\n"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "\tname: HQ")
    assert "invalid YAML" in problem.message


def test_a_control_character_is_a_syntax_error_with_its_position() -> None:
    text = edited(("name: HQ", "name: H\x01Q"))

    problem = only_problem(text)

    assert (problem.line, problem.column) == (line_of(text, "name: H"), column_of(text, "\x01"))
    assert problem.message == "invalid YAML: character '\\x01' is not allowed in YAML text"


def test_an_empty_file_says_what_is_expected() -> None:
    problem = only_problem("# nothing here yet\n")

    assert (problem.file, problem.line, problem.column) == (FILE, 1, 1)
    assert "expected a mapping with at least 'site' and 'buildings'" in problem.message


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(SMALL_SITE.encode().replace(b"name: HQ", b"name: Caf\xe9"))

    with pytest.raises(SiteError) as caught:
        load_site(path)

    (problem,) = caught.value.problems
    assert problem.file == str(path)
    assert problem.line == line_of(SMALL_SITE, "name: HQ")
    assert problem.message == "expected UTF-8 text, found an invalid byte"


def test_a_number_that_is_not_a_number() -> None:
    text = edited(("{id: desk-2, zone: z-ops, x: 4,", "{id: desk-2, zone: z-ops, x: abc,"))

    problem = only_problem(text)

    assert problem.file == FILE
    assert problem.line == line_of(text, "x: abc")
    assert problem.column == column_of(text, "abc")
    assert problem.path == "buildings[0].floors[0].desks[1].x"
    assert problem.message == "expected a number, got 'abc'"
    assert str(problem) == (
        f"{FILE}:{problem.line}:{problem.column}: buildings[0].floors[0].desks[1].x: "
        "expected a number, got 'abc'"
    )


def test_an_empty_value_where_a_number_belongs() -> None:
    text = edited(
        (
            "        width: 20\n        height: 10\n        zones:\n          - {id: z-it",
            "        width:\n        height: 10\n        zones:\n          - {id: z-it",
        )
    )

    problem = only_problem(text)

    assert problem.path == "buildings[0].floors[1].width"
    assert problem.message == "expected a number, got nothing (null)"


def test_an_unknown_field_lists_the_allowed_ones() -> None:
    text = edited(("x: 4, y: 2, equipment", "x: 4, y: 2, colour: red, equipment"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "colour: red")
    assert problem.column == column_of(text, "colour")
    assert problem.path == "buildings[0].floors[0].desks[1].colour"
    assert problem.message == "unknown field 'colour' (allowed: id, label, zone, x, y, equipment)"


def test_a_misspelt_field_suggests_the_right_one() -> None:
    text = edited(("            capacity: 6", "            capacty: 6"))

    problems = problems_of(text)

    assert [(p.path, p.line) for p in problems] == [
        ("buildings[0].floors[0].rooms[0].capacity", line_of(text, "id: room-101")),
        ("buildings[0].floors[0].rooms[0].capacty", line_of(text, "capacty")),
    ]
    assert problems[0].message == "required field missing"
    assert problems[1].message.endswith("did you mean 'capacity'?")


def test_a_missing_required_field_points_at_its_mapping() -> None:
    text = edited(("{id: desk-3, zone: z-it, x: 2, y: 2}", "{id: desk-3, x: 2, y: 2}"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "id: desk-3")
    assert problem.path == "buildings[0].floors[1].desks[0].zone"
    assert problem.message == "required field missing"


def test_an_id_with_capitals_says_what_an_id_looks_like() -> None:
    text = edited(("{id: ap-1,", "{id: AP_1,"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "AP_1")
    assert problem.path == "buildings[0].floors[0].access_points[0].id"
    assert problem.message == (
        "expected an id of 1-24 characters a-z, 0-9 and '-', not starting or ending with '-', "
        "got 'AP_1'"
    )


def test_a_malformed_bssid_shows_the_format() -> None:
    text = edited(('"02:00:00:00:00:01"', '"02-00-00-00-00-01"'))

    problem = only_problem(text)

    assert problem.path == "buildings[0].floors[0].access_points[0].bssids[0]"
    assert problem.message == (
        "expected a BSSID like 'aa:bb:cc:dd:ee:ff' (six lowercase hex pairs), "
        "got '02-00-00-00-00-01'"
    )


def test_a_value_outside_the_choices_lists_them() -> None:
    text = edited(("{id: gw-2, kind: desk, sensor: pir,", "{id: gw-2, kind: desk, sensor: sonar,"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "sensor: sonar")
    assert problem.path == "devices[1].sensor"
    assert problem.message == (
        "expected 'pir', 'mmwave', 'pressure', 'thermal' or 'simulated', got 'sonar'"
    )


def test_a_value_below_its_minimum_gives_the_bound() -> None:
    text = edited(("            capacity: 6", "            capacity: 0"))

    problem = only_problem(text)

    assert problem.line == line_of(text, "capacity: 0")
    assert problem.path == "buildings[0].floors[0].rooms[0].capacity"
    assert problem.message == "expected a number ≥ 1, got 0"


def test_an_unquoted_yaml_boolean_where_text_belongs_suggests_quoting() -> None:
    text = edited(("    name: HQ", "    name: yes"))

    problem = only_problem(text)

    assert problem.path == "buildings[0].name"
    assert problem.message.startswith("expected text, got yes")
    assert 'quote it: "yes"' in problem.message


def test_an_unknown_hold_times_key_points_at_the_key() -> None:
    text = edited(
        ("departments:\n", "hold_times:\n  sonar: {free_after_s: 5, ttl_s: 60}\ndepartments:\n")
    )

    problem = only_problem(text)

    assert problem.line == line_of(text, "sonar:")
    assert problem.path == "hold_times.sonar"
    assert problem.message.startswith("expected 'pir', 'mmwave'")


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


def test_schema_problems_are_all_reported_together() -> None:
    text = edited(
        ("{id: desk-1, zone: z-ops, x: 2,", "{id: desk-1, zone: z-ops, x: two,"),
        ("{id: desk-2, zone: z-ops, x: 4,", "{id: desk-2, zone: z-ops, x: four,"),
        ("kind: room,", "kind: screen,"),
    )

    problems = problems_of(text)

    assert [(p.line, p.path) for p in problems] == [
        (line_of(text, "x: two"), "buildings[0].floors[0].desks[0].x"),
        (line_of(text, "x: four"), "buildings[0].floors[0].desks[1].x"),
        (line_of(text, "kind: screen"), "devices[2].kind"),
    ]


def test_a_flood_of_problems_is_capped_and_says_how_many_more() -> None:
    desks = "".join(
        f"          - {{id: desk-x{n}, zone: z-ops, x: bad, y: 2}}\n" for n in range(30)
    )
    text = edited(
        (
            "        desks:\n          - {id: desk-1,",
            "        desks:\n" + desks + "          - {id: desk-1,",
        )
    )

    with pytest.raises(SiteError) as caught:
        parse_site(text, FILE)

    error = caught.value
    assert len(error.problems) == MAX_PROBLEMS
    assert error.omitted == 30 - MAX_PROBLEMS
    lines = str(error).splitlines()
    assert lines[-1].startswith(f"… and {30 - MAX_PROBLEMS} more problem(s)")
    for line in lines[:-1]:
        match = LINE_FORMAT.match(line)
        assert match is not None, line
        assert match["file"] == FILE
        assert match["msg"] == "expected a number, got 'bad'"


def test_a_top_level_list_says_a_mapping_was_expected() -> None:
    problem = only_problem("- site\n- buildings\n")

    assert (problem.line, problem.column) == (1, 1)
    assert problem.message == "expected a mapping of fields, got a list"


def test_check_site_summarises_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "office.yaml"
    path.write_text(SMALL_SITE, encoding="utf-8")

    summary = check_site(path)

    assert summary.startswith(f"{path}: site 'tiny' (Tiny Office / 小さな事務所) is valid: ")
    for part in (
        "1 building",
        "2 floors",
        "3 desks in 2 zones",
        "1 meeting room",
        "1 access point",
        "4 devices (2 desk, 1 room, 1 ap)",
        "2 departments",
    ):
        assert part in summary
    assert "\n" not in summary


def test_check_site_raises_the_problems_of_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "office.yaml"
    path.write_text(edited(("room: room-101}", "room: room-102}")), encoding="utf-8")

    with pytest.raises(SiteError) as caught:
        check_site(path)

    assert str(caught.value).startswith(f"{path}:{line_of(SMALL_SITE, 'room: room-101}')}:")
