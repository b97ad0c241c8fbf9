"""Staff CSVs as Excel writes them (issue 16, point 17): UTF-8, UTF-8 with BOM, Shift-JIS.

A file with any mistake imports nobody and names every bad line with its number.
"""

from pathlib import Path

import yaml
from typer.testing import CliRunner

from server.adapters.database import make_engine, upgrade
from server.adapters.people_repository import SqlPeopleStore
from server.cli import app as cli
from tests.support import small_site

runner = CliRunner()
ROWS = (
    "staff_id,name,name_ja,department\n"
    "t001,Tanaka Ken,田中 健,tax\n"
    "w001,Watanabe Mai,渡辺 舞,welfare\n"
)


def _import(tmp_path: Path, data: bytes, database_url: str) -> tuple[int, str]:
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(small_site().model_dump(mode="json")), encoding="utf-8")
    staff = tmp_path / "staff.csv"
    staff.write_bytes(data)
    result = runner.invoke(
        cli, ["staff", "import", str(staff), "--url", database_url, "--site", str(site)]
    )
    return result.exit_code, result.output


def _names(database_url: str) -> dict[str, str]:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        return {p.staff_id: p.name_ja for p in SqlPeopleStore(engine).search("", 50, False)}
    finally:
        engine.dispose()


def test_utf8_utf8_with_bom_and_shift_jis_files_import_the_same_people(tmp_path: Path) -> None:
    for n, data in enumerate(
        (ROWS.encode("utf-8"), ROWS.encode("utf-8-sig"), ROWS.replace("\n", "\r\n").encode("cp932"))
    ):
        url = f"sqlite:///{tmp_path / f'people-{n}.db'}"
        code, output = _import(tmp_path, data, url)
        assert code == 0, output
        assert "imported 2 people" in output
        assert _names(url) == {"t001": "田中 健", "w001": "渡辺 舞"}


def test_every_bad_line_is_named_and_nobody_is_imported(tmp_path: Path) -> None:
    text = (
        "staff_id,name,department,role\n"
        "t001,Tanaka Ken,tax,staff\n"
        "bad id!,Sato Yui,tax,staff\n"
        "t003,Ito Ren,nowhere,staff\n"
        "t004,Kato Aoi,tax,boss\n"
        "t005,Mori Sho,tax,staff,extra\n"
        "t001,Tanaka Again,tax,staff\n"
    )
    url = f"sqlite:///{tmp_path / 'people.db'}"
    code, output = _import(tmp_path, text.encode("cp932"), url)
    assert code == 1
    for line, words in (
        (3, "staff_id 'bad id!'"),
        (4, "department 'nowhere' is not in the site file"),
        (5, "role 'boss'"),
        (6, "5 fields where the header has 4"),
        (7, "staff_id 't001' appears twice"),
    ):
        assert f"staff.csv:{line}: {words}" in output, output
    assert "nothing imported" in output
    assert "Traceback" not in output
    assert _names(url) == {}


def test_a_file_in_neither_encoding_says_how_to_save_it(tmp_path: Path) -> None:
    data = b"staff_id,name,department\nt001,Tanaka,tax\n" + b"t002,\x85\x40,tax\n"
    code, output = _import(tmp_path, data, f"sqlite:///{tmp_path / 'people.db'}")
    assert code == 1
    assert "staff.csv:3: the file is neither UTF-8 nor Shift-JIS (CP932)" in output
    assert "CSV UTF-8" in output
