"""Helpers for the meeting-room tests: a site with room monitors, signed-in clients, PDFs."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from edge_agent.room_simulation import agenda_pdf
from firmware_config.site import Device, Site
from server.api.app import create_app
from server.services.ports import Clock
from server.settings import Settings
from tests.signin import sign_in
from tests.support import METRICS_TOKEN, ServerThread, small_site

ROOM = "room-f1-1"
OTHER_ROOM = "room-f2-1"
MONITOR = "display-f1-1"
DISPLAY = "card0-HDMI-A-1"
LAPTOP_INPUT = "card0-HDMI-A-2"


def room_site(site: Site | None = None) -> Site:
    """`site` (the small site by default) with a room-monitor device in each room."""
    site = site or small_site()
    monitors = [
        Device(id=MONITOR, kind="room", room=ROOM),
        Device(id="display-f2-1", kind="room", room=OTHER_ROOM),
    ]
    return site.model_copy(update={"devices": [*site.devices, *monitors]})


def room_server(
    database_url: str, clock: Clock, *, broker_url: str | None = None, sweep_s: float = 0.05
) -> ServerThread:
    """A real server in demo mode (demo people sign in without a password) with fast jobs."""
    settings = Settings(
        database_url=database_url,
        enable_mqtt=broker_url is not None,
        broker_url=broker_url or "mqtt://127.0.0.1:1",
        mqtt_client_id="rooms-test-server",
        demo_mode=True,
        sweep_interval_s=sweep_s,
        metrics_token=METRICS_TOKEN,
    )
    return ServerThread(create_app(settings, clock=clock, site=room_site()))


@contextmanager
def client_as(server: ServerThread, staff_id: str | None) -> Iterator[httpx.Client]:
    """An HTTP client, signed in as `staff_id` (a demo person) unless None."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        if staff_id is not None:
            sign_in(client, staff_id)
        yield client


def make_pdf(pages: int, padding: int = 0) -> bytes:
    """A small valid PDF with `pages` blank pages (and `padding` bytes of comment)."""
    return agenda_pdf(pages, padding)


def screen_key(server: ServerThread, room: str = ROOM) -> str:
    """The room screen's secret key, as facilities look it up."""
    with client_as(server, "demo-facilities") as facilities:
        links = facilities.get(f"/api/rooms/{room}/links").json()
    return str(links["screen_url"].split("key=")[1])


def shown_code(server: ServerThread, key: str, room: str = ROOM) -> str:
    """The pairing code the room screen shows now."""
    state = httpx.get(f"{server.url}/api/rooms/{room}/screen-state", params={"key": key}).json()
    return str(state["code"]["code"])


class FakeRoom:
    """A fake /sys/class/drm tree and presence file the agent reads."""

    def __init__(self, root: Path) -> None:
        self.drm = root / "drm"
        self.presence = root / "presence"
        self.set(DISPLAY, True)
        self.set(LAPTOP_INPUT, False)
        self.occupied(True)

    def set(self, connector: str, connected: bool) -> None:
        folder = self.drm / connector
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "status").write_text("connected\n" if connected else "disconnected\n")

    def occupied(self, value: bool) -> None:
        self.presence.write_text("1\n" if value else "0\n")
