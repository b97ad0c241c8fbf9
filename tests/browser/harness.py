"""Helpers the browser test modules share: the demo server, desk presence over MQTT, a
signed-in client."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from playwright.sync_api import Page

from benchmarks.rush import at_local_hour
from contracts import DeskPresenceChanged, build_topic, encode
from firmware_config.paths import demo_site_path
from firmware_config.site import Site
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.settings import Settings
from tests.support import ServerThread, wait_until

FLOOR = "f3"  # the demo's busiest floor (312 desks)

# Resolved once in the page: every desk drawn and the feed live; answers performance.now(),
# which counts from navigation start.
ALL_DESKS_LIVE = """(n) => document.querySelectorAll('#floor-map [data-desk]').length === n
    && document.querySelector('#live-status')?.dataset.live === 'true'
    && performance.now()"""

EVENING_HOUR = 21  # after the demo site's end of day (20:00), well before midnight


class DemoServer:
    """The freeseat server on the demo site; `stop()` then `start()` keeps its URL and DB."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        first = ServerThread(create_app(settings)).__enter__()
        self._thread: ServerThread | None = first
        self.port = first.port
        self.url = first.url
        self._wait_connected()

    def _wait_connected(self) -> None:
        wait_until(
            lambda: httpx.get(f"{self.url}/api/health").json()["broker_connected"],
            15,
            "the server to connect to the broker",
        )

    def floor(self, floor_id: str = FLOOR) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/api/floors/{floor_id}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.__exit__(None, None, None)
            self._thread = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = ServerThread(create_app(self.settings), self.port).__enter__()
            self._wait_connected()


def shoot(page: Page, directory: Path, name: str) -> Path:
    path = directory / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path


@contextmanager
def demo_server(
    mosquitto: MosquittoBroker,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    *,
    local_hour: int | None = None,
    demo_mode: bool = True,
) -> Iterator[DemoServer]:
    """The demo city hall for one test module: its own SQLite file and client id, demo sign-in.

    `local_hour`: the site in a time zone where that is the hour now: the rush's MORNING_HOUR
    for tests that claim seats (after the site's end of day, 20:00, claims are refused),
    EVENING_HOUR for what staff see after it. `demo_mode=False`: as production runs, nobody
    signs in without a password.
    """
    if not mosquitto.running:
        mosquitto.start()
    folder = tmp_path_factory.mktemp(name)
    db = folder / "freeseat.db"
    settings = Settings(
        database_url=f"sqlite:///{db}",
        broker_url=mosquitto.url,
        mqtt_client_id=f"{name}-test-{uuid.uuid4().hex[:8]}",
        demo_mode=demo_mode,
        site_file=(
            at_local_hour(demo_site_path(), folder, local_hour) if local_hour is not None else None
        ),
    )
    demo = DemoServer(settings)
    try:
        yield demo
    finally:
        demo.stop()


class Publisher:
    """Desk presence over MQTT as gateways send it: QoS 1, per-device increasing seq."""

    def __init__(self, broker: MosquittoBroker, site: Site, epoch: int = 1) -> None:
        """`epoch`: a publisher after another one for the same gateways is a restarted one."""
        self._site_id = site.site.id
        self._epoch = epoch
        self.device_of = {
            desk: device.id
            for device in site.devices
            if device.kind == "desk"
            for desk in device.desks
        }
        self._seq: dict[str, int] = {}
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self._client.max_inflight_messages_set(1000)
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()

    def presence_many(self, facts: list[tuple[str, bool, datetime]]) -> None:
        """Publish every fact without waiting in between; return when the broker has them all."""
        infos = []
        for desk, present, at in facts:
            device = self.device_of[desk]
            seq = self._seq[device] = self._seq.get(device, 0) + 1
            event = DeskPresenceChanged(
                device=device,
                epoch=self._epoch,
                seq=seq,
                at=at,
                desk=desk,
                present=present,
                sensor="mmwave",
            )
            topic = build_topic(self._site_id, "desk", device, "event")
            infos.append(self._client.publish(topic, encode(event), qos=1))
        for info in infos:
            info.wait_for_publish(10)

    def presence(self, desk: str, present: bool) -> None:
        """One desk's reading now; returns once the broker has it (PUBACK)."""
        self.presence_many([(desk, present, datetime.now(UTC))])

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


def signed_in_client(base_url: str, staff_id: str | None = None) -> tuple[httpx.Client, str]:
    """A client signed in as a demo person (the first unless named), and its CSRF token."""
    client = httpx.Client(base_url=base_url, timeout=30)
    token = client.get("/api/session").json()["csrf_token"]
    if staff_id is None:
        staff_id = client.get("/api/people").json()[0]["staff_id"]
    response = client.post(
        "/api/session", json={"staff_id": staff_id}, headers={"X-CSRF-Token": token}
    )
    response.raise_for_status()
    return client, response.json()["csrf_token"]


def report_free(
    mosquitto: MosquittoBroker, site: Site, server: DemoServer, floor: str, desks: list[str]
) -> None:
    """The desks' sensors say nobody is there; returns once the server shows them all free."""
    publisher = Publisher(mosquitto, site)
    try:
        publisher.presence_many([(desk, False, datetime.now(UTC)) for desk in desks])
    finally:
        publisher.close()
    wanted = set(desks)
    wait_until(
        lambda: all(
            d["state"] == "free" for d in server.floor(floor)["desks"] if d["id"] in wanted
        ),
        30,
        f"{len(desks)} desk(s) of {floor} to be free",
    )
