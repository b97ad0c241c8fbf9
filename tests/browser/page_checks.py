"""What every journey checks on every page it passes: nothing marked hidden shows, and axe-core
finds no serious or critical accessibility violation.

axe-core comes from the npm registry at test time (`npm install` into test-output/, never
committed) and is injected into the page; the counts per page go to test-output/axe.json.
"""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE_DIR = ROOT / "test-output" / "axe"
AXE_VERSION = "4.10"
AXE_REPORT = ROOT / "test-output" / "axe.json"

# Elements carrying the hidden attribute that still take space or paint: what issue 18 saw when
# a layout rule (.row{display:grid}) overrode [hidden] and the last meeting stayed on screen.
SHOWN_BUT_HIDDEN = """() => [...document.querySelectorAll('[hidden]')]
    .filter((el) => el.checkVisibility({ checkOpacity: false, checkVisibilityCSS: true })
        || el.getClientRects().length > 0)
    .map((el) => el.id || el.className || el.tagName)"""


def axe_script() -> Path:
    """axe.min.js, installed from the npm registry into test-output/ the first time."""
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is missing; scripts/test installs it (apt-get install npm)", pytrace=False)
    AXE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            npm,
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(AXE_DIR),
            f"axe-core@{AXE_VERSION}",
        ],
        check=True,
        timeout=240,
        capture_output=True,
    )
    return script


def assert_nothing_hidden_shows(page: Page, where: str) -> None:
    shown = page.evaluate(SHOWN_BUT_HIDDEN)
    assert shown == [], f"{where}: elements marked hidden are visible: {shown}"


def axe_counts(page: Page, where: str) -> dict[str, int]:
    """Run axe-core on the page; record and return the violations per impact."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script()))
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations"
        ".map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length,"
        " targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))"
    )
    counts = {impact: 0 for impact in ("minor", "moderate", "serious", "critical")}
    for v in violations:
        counts[v["impact"] or "minor"] += 1
    report = json.loads(AXE_REPORT.read_text()) if AXE_REPORT.is_file() else {}
    report[where] = {"counts": counts, "violations": violations}
    AXE_REPORT.parent.mkdir(parents=True, exist_ok=True)
    AXE_REPORT.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"axe {where}: {counts}")
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"{where}: serious or critical accessibility violations: {bad}"
    return counts


def check_page(page: Page, where: str) -> None:
    """Both checks, for a page as a person sees it now."""
    assert_nothing_hidden_shows(page, where)
    axe_counts(page, where)
