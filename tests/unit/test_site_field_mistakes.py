"""The site loader on mistakes in single fields: wrong types, unknown or missing fields, bad
ids and values, each named by file, line, path and expectation; many reported together."""

import pytest

from firmware_config.loader import MAX_PROBLEMS, SiteError, parse_site
from tests.site_mistakes import (
    FILE,
    LINE_FORMAT,
    column_of,
    edited,
    line_of,
    only_problem,
    problems_of,
)


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
