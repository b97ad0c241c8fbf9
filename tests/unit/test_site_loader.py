"""The site loader on a file as a whole: a valid file loads and check_site sums it up; a missing,
empty, non-UTF-8 or non-YAML file, or one that is not a mapping, is named by file and line."""

from pathlib import Path

import pytest

from contracts import SensorClass
from firmware_config.check import check_site
from firmware_config.loader import SiteError, load_site, parse_site
from tests.site_files import SMALL_SITE
from tests.site_mistakes import FILE, column_of, edited, line_of, only_problem


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
