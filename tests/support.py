"""Test helpers: a small site, a real server on a free port, bounded waiting."""

import asyncio
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import httpx
import paho.mqtt.client as mqtt
import uvicorn
from fastapi import FastAPI
from paho.mqtt.enums import CallbackAPIVersion

from contracts import (
    AppliedRange,
    DeskPresenceChanged,
    DeviceApplied,
    DeviceBooted,
    Kind,
    build_topic,
    decode,
    encode,
    parse_topic,
)
from firmware_config.site import (
    Building,
    Department,
    Desk,
    Device,
    Floor,
    Monitor,
    Rect,
    Room,
    Site,
    SiteInfo,
    Zone,
)
from server.adapters.embedded_broker import free_port, wait_for_port
from server.api.app import UVICORN_OPTIONS

T = TypeVar("T")


def small_site(desks_per_zone: int = 4) -> Site:
    """Two floors, two zones each, one gateway per zone: enough to exercise every path."""
    floors = []
    devices = []
    for level in (1, 2):
        zones, desks = [], []
        for letter, dept in (("a", "tax"), ("b", "welfare")):
            zone_id = f"f{level}-{letter}"
            zones.append(
                Zone(
                    id=zone_id,
                    name=f"Zone {letter.upper()}",
                    department=dept,
                    rect=Rect(x=0 if letter == "a" else 10, y=0, w=10, h=10),
                )
            )
            ids = [f"desk-f{level}-{letter}-01-{n:02d}" for n in range(1, desks_per_zone + 1)]
            desks += [
                Desk(
                    id=d,
                    zone=zone_id,
                    x=(0 if letter == "a" else 10) + 1.5 * (i % 6 + 1),
                    y=2 + 2 * (i // 6),
                )
                for i, d in enumerate(ids)
            ]
            devices.append(
                Device(id=f"gw-f{level}-{letter}", kind="desk", sensor="mmwave", desks=ids)
            )
        floors.append(
            Floor(
                id=f"f{level}",
                name=f"{level}F",
                level=level,
                width=20,
                height=12,
                zones=zones,
                desks=desks,
                rooms=[
                    Room(
                        id=f"room-f{level}-1",
                        name="Room 1",
                        capacity=6,
                        rect=Rect(x=0, y=10, w=5, h=2),
                        monitor=Monitor(),
                    )
                ],
            )
        )
    return Site(
        site=SiteInfo(id="testhall", name="Test Hall"),
        departments=[Department(id="tax", name="Tax"), Department(id="welfare", name="Welfare")],
        buildings=[Building(id="main", name="Main", floors=floors)],
        devices=devices,
    )


def wait_until(
    predicate: Callable[[], T | None], timeout: float = 10.0, what: str = "condition"
) -> T:
    """Poll `predicate` until it returns something truthy (and return it); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


class ServerThread:
    """A real uvicorn server for `app` on a free loopback port, in a background thread."""

    def __init__(self, app: FastAPI, port: int | None = None) -> None:
        self.port = port or free_port()
        self.app = app
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                lifespan="on",
                **UVICORN_OPTIONS,
            )
        )
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def __enter__(self) -> "ServerThread":
        self._thread.start()
        wait_until(lambda: self.server.started or not self._thread.is_alive(), 30, "server start")
        if not self.server.started:
            raise RuntimeError("the server failed to start; see the log above")
        wait_for_port("127.0.0.1", self.port)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=30)


def answer_as_server(client: mqtt.Client, topic: str, message: object) -> None:
    """Answer an agent's event as the server does once it has committed it: a retained
    `device.applied` on the device's cmd topic, without which no agent empties its outbox.
    For tests of agents with no server behind the broker."""
    if not isinstance(message, DeskPresenceChanged | DeviceBooted):
        return
    parsed = parse_topic(topic)
    applied = DeviceApplied(
        device=message.device,
        at=message.at,
        epoch=message.epoch,
        applied=[AppliedRange(epoch=message.epoch, first=message.seq, last=message.seq)],
    )
    cmd = build_topic(parsed.site, Kind(parsed.kind), parsed.device, "cmd")
    client.publish(cmd, encode(applied), qos=1, retain=True)


class ContractListener:
    """Every contract message published on `topic_filter`, decoded, in arrival order."""

    def __init__(self, host: str, port: int, topic_filter: str) -> None:
        self.messages: list[object] = []
        subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda client, *args: client.subscribe(topic_filter, qos=1)
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.on_message = lambda client, userdata, message: self.messages.append(
            decode(message.topic, message.payload).message
        )
        self.client.connect(host, port)
        self.client.loop_start()
        assert subscribed.wait(10), f"could not subscribe to {topic_filter}"

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


# The bearer token test servers that are scraped are given (FREESEAT_METRICS_TOKEN).
METRICS_TOKEN = "test-metrics-token"


def scrape(base_url: str) -> httpx.Response:
    """GET /metrics with the test servers' bearer token."""
    return httpx.get(
        f"{base_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30
    )
