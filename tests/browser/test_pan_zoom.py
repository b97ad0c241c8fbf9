"""Pan and zoom of the floor map with keyboard, mouse wheel, mouse drag and two-finger pinch."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from server.api.app import create_app
from server.settings import Settings
from tests.browser.harness import shoot
from tests.support import ServerThread

pytestmark = pytest.mark.browser

FLOOR = "f3"
DRAWN = "document.querySelectorAll('#floor-map [data-desk]').length > 300"

# Touch pointers as a phone's browser sends them; Playwright has no multi-touch gesture API.
PINCH = """([cx, cy, from, to]) => {
  const svg = document.querySelector('#floor-map');
  const fire = (type, id, x) => svg.dispatchEvent(new PointerEvent(type, {
    pointerId: id, pointerType: 'touch', isPrimary: id === 1, clientX: x, clientY: cy,
    button: type === 'pointermove' ? -1 : 0, buttons: type === 'pointerup' ? 0 : 1,
    bubbles: true, cancelable: true }));
  fire('pointerdown', 1, cx - from); fire('pointerdown', 2, cx + from);
  for (let i = 1; i <= 10; i++) {
    const d = from + ((to - from) * i) / 10;
    fire('pointermove', 1, cx - d); fire('pointermove', 2, cx + d);
  }
  fire('pointerup', 1, cx - to); fire('pointerup', 2, cx + to);
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    db = tmp_path_factory.mktemp("panzoom") / "freeseat.db"
    settings = Settings(database_url=f"sqlite:///{db}", enable_mqtt=False)
    with ServerThread(create_app(settings)) as running:
        yield running


def view_box(page: Page) -> list[float]:
    return [float(v) for v in (page.get_attribute("#floor-map", "viewBox") or "").split()]


def zoom(page: Page) -> float:
    return float(page.get_attribute("#floor-map", "data-zoom") or "1")


def open_map(page: Page, server: ServerThread) -> None:
    page.goto(f"{server.url}/?floor={FLOOR}")
    page.wait_for_function(DRAWN)


def test_keyboard_zooms_pans_and_resets(page: Page, server: ServerThread) -> None:
    open_map(page, server)
    page.locator("#floor-map").focus()
    whole = view_box(page)
    page.keyboard.press("+")
    page.keyboard.press("+")
    assert zoom(page) == pytest.approx(1.5625, abs=0.001)
    before = view_box(page)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    after = view_box(page)
    assert after[0] > before[0] and after[1] > before[1]
    assert after[2:] == before[2:], "panning must not change the zoom"
    page.keyboard.press("-")
    assert zoom(page) == pytest.approx(1.25, abs=0.001)
    page.keyboard.press("0")
    assert view_box(page) == whole


def test_wheel_zooms_about_the_pointer_and_a_drag_pans_without_selecting(
    page: Page, server: ServerThread, screenshot_dir: Path
) -> None:
    open_map(page, server)
    box = page.locator("#floor-map").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5
    page.mouse.move(x, y)
    page.mouse.wheel(0, -600)
    expect(page.locator("#floor-map")).not_to_have_attribute("data-zoom", "1")
    assert zoom(page) > 2
    before = view_box(page)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 40, steps=6)
    page.mouse.up()
    after = view_box(page)
    assert after[0] < before[0] and after[1] < before[1], (
        "dragging right/down shows what is left/up"
    )
    expect(page.locator("#desk-details")).to_be_hidden()
    shoot(page, screenshot_dir, "f3-zoomed-in")


def test_two_finger_pinch_zooms_and_one_finger_pans(page: Page, server: ServerThread) -> None:
    open_map(page, server)
    box = page.locator("#floor-map").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.evaluate(PINCH, [cx, cy, 40, 120])
    assert zoom(page) == pytest.approx(3, rel=0.05)
    page.evaluate(PINCH, [cx, cy, 120, 60])
    assert zoom(page) == pytest.approx(1.5, rel=0.05)
    expect(page.locator("#desk-details")).to_be_hidden()

    before = view_box(page)
    page.evaluate(
        """([x, y]) => {
          const svg = document.querySelector('#floor-map');
          const fire = (type, px) => svg.dispatchEvent(new PointerEvent(type, {
            pointerId: 7, pointerType: 'touch', isPrimary: true, clientX: px, clientY: y,
            button: type === 'pointermove' ? -1 : 0, bubbles: true, cancelable: true }));
          fire('pointerdown', x); fire('pointermove', x - 50); fire('pointermove', x - 100);
          fire('pointerup', x - 100);
        }""",
        [cx, cy],
    )
    assert view_box(page)[0] > before[0], "a one-finger swipe left shows what is to the right"
