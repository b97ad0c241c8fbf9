"""`freeseat qr`: printable A4 label sheets whose codes open each desk's check-in page."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import segno
import yaml
from typer.testing import CliRunner

from server.cli import app
from tests.support import small_site

runner = CliRunner()
SVG = "{http://www.w3.org/2000/svg}"


def site_file(tmp_path: Path, desks_per_zone: int) -> Path:
    path = tmp_path / "site.yaml"
    site = small_site(desks_per_zone).model_dump(mode="json")
    path.write_text(yaml.safe_dump(site), encoding="utf-8")
    return path


def qr_path(url: str) -> str:
    inline = segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True)
    return re.search(r' d="([^"]+)"', inline).group(1)  # type: ignore[union-attr]


def test_every_desk_of_the_floor_gets_a_label_with_its_own_check_in_code(tmp_path: Path) -> None:
    site = site_file(tmp_path, desks_per_zone=15)  # 30 desks on f1: two A4 pages
    out = tmp_path / "labels"
    result = runner.invoke(
        app,
        [
            "qr", "--floor", "f1", "--site", str(site), "--out", str(out),
            "--base-url", "https://seats.city.example/",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote 2 A4 page(s) with 30 desk labels" in result.output
    pages = sorted(out.glob("*.svg"))
    assert [p.name for p in pages] == ["qr-f1-p01.svg", "qr-f1-p02.svg"]
    labels: list[tuple[str, str]] = []
    for page in pages:
        root = ET.parse(page).getroot()
        assert (root.get("width"), root.get("height")) == ("210.0mm", "297.0mm")
        codes = [p.get("d") for p in root.iter(f"{SVG}path")]
        desks = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("desk-")]
        assert len(codes) == len(desks)
        labels += zip(desks, codes, strict=True)  # type: ignore[arg-type]
    expected = [d.id for d in small_site(15).buildings[0].floors[0].desks]
    assert [desk for desk, _ in labels] == expected
    for desk, code in labels:
        assert code == qr_path(f"https://seats.city.example/checkin/{desk}"), desk


def test_a_wrong_floor_or_address_says_what_to_use(tmp_path: Path) -> None:
    site = site_file(tmp_path, desks_per_zone=2)
    wrong = runner.invoke(app, ["qr", "--floor", "f9", "--site", str(site)])
    assert wrong.exit_code == 1
    assert "floor 'f9' is not in the site file; known floors: f1, f2" in wrong.output
    bad_url = runner.invoke(
        app, ["qr", "--floor", "f1", "--site", str(site), "--base-url", "seats.example"]
    )
    assert bad_url.exit_code == 1
    assert "must start with http:// or https://" in bad_url.output
