"""Seating test helpers: a sensor that publishes over the real broker, an in-process server."""

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import paho.mqtt.client as mqtt
from fastapi import FastAPI
from paho.mqtt.enums import CallbackAPIVersion

from contracts import DeskPresenceChanged, build_topic, encode
from firmware_config.site import Policy, Site
from server.adapters.database import make_engine, upgrade
from server.adapters.people_repository import SqlPeopleStore
from server.api.app import create_app
from server.api.auth import CSRF_HEADER
from server.composition.runtime import Runtime
from server.domain.people import Person, Role
from server.settings import Settings
from tests.fakes import FakeClock
from tests.support import small_site


class DeskSensors:
    """Publishes desk presence as the site's gateways would (QoS 1, one epoch, rising seq)."""

    def __init__(self, broker_url: str, site: Site) -> None:
        host, _, port = broker_url.removeprefix("mqtt://").partition(":")
        self._site = site
        self._gateway = {desk: d.id for d in site.devices for desk in d.desks}
        self._seq = itertools.count(1)
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="seating-test-sensors")
        self._client.connect(host, int(port or 1883))
        self._client.loop_start()

    def report(self, desks: dict[str, bool], at: datetime) -> None:
        """Presence per desk; returns once the broker has every message."""
        infos = []
        for desk, present in desks.items():
            gateway = self._gateway[desk]
            event = DeskPresenceChanged(
                device=gateway,
                epoch=1,
                seq=next(self._seq),
                at=at,
                desk=desk,
                present=present,
                sensor="mmwave",
            )
            topic = build_topic(self._site.site.id, "desk", gateway, "event")
            infos.append(self._client.publish(topic, encode(event), qos=1))
        for info in infos:
            info.wait_for_publish(timeout=10)

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


@dataclass
class Running:
    """An app running in this event loop: its runtime, one client, and a way to make more."""

    app: FastAPI
    rt: Runtime
    client: httpx.AsyncClient

    def new_client(self) -> httpx.AsyncClient:
        return client_for(self.app)


@asynccontextmanager
async def in_process(app: FastAPI) -> AsyncIterator[Running]:
    """Run `app`'s lifespan on this event loop, so a test can call its jobs directly."""
    async with app.router.lifespan_context(app), client_for(app) as client:
        yield Running(app, app.state.runtime, client)


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def sign_in_async(client: httpx.AsyncClient, staff_id: str) -> None:
    """Sign a demo person in; later requests carry the CSRF header."""
    token = (await client.get("/api/session")).json()["csrf_token"]
    response = await client.post(
        "/api/session", json={"staff_id": staff_id}, headers={CSRF_HEADER: token}
    )
    assert response.status_code == 200, response.text
    client.headers[CSRF_HEADER] = response.json()["csrf_token"]


def seed_people(database_url: str, people: list[Person]) -> None:
    """Put demo people in the directory before the server starts (so it loads no demo staff)."""
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        SqlPeopleStore(engine).upsert(people, demo=True)
    finally:
        engine.dispose()


def staff(
    count: int, department: str, prefix: str, needs: frozenset[str] = frozenset()
) -> list[Person]:
    return [
        Person(f"{prefix}{n:04d}", f"Person {prefix}{n}", department, needs=needs)
        for n in range(1, count + 1)
    ]


# 09:30 in Tokyo, the site's time zone: the working day has begun.
MORNING = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)
A1, A2, A3, A4 = (f"desk-f1-a-01-{n:02d}" for n in range(1, 5))
B1, B2 = "desk-f1-b-01-01", "desk-f1-b-01-02"
F1_DESKS = [A1, A2, A3, A4, B1, B2, "desk-f1-b-01-03", "desk-f1-b-01-04"]
TAX = staff(3, "tax", "t")
WELFARE = staff(2, "welfare", "w")
WHEELCHAIR = Person("w-acc", "Needs Access", "welfare", needs=frozenset({"accessible"}))
FACILITIES = Person("fac1", "Facilities One", None, Role.FACILITIES)


def seating_site(**policy: object) -> Site:
    """The small site with one accessible desk (B2) and a standing desk (A4)."""
    site = small_site()
    floors = []
    for floor in site.buildings[0].floors:
        desks = [
            d.model_copy(update={"equipment": ["accessible"]})
            if d.id == B2
            else d.model_copy(update={"equipment": ["standing"]})
            if d.id == A4
            else d
            for d in floor.desks
        ]
        floors.append(floor.model_copy(update={"desks": desks}))
    building = site.buildings[0].model_copy(update={"floors": floors})
    return site.model_copy(update={"buildings": [building], "policy": Policy(**policy)})


def app_for(database_url: str, clock: FakeClock, site: Site, broker: str | None = None):  # type: ignore[no-untyped-def]
    seed_people(database_url, [*TAX, *WELFARE, WHEELCHAIR, FACILITIES])
    settings = Settings(
        database_url=database_url,
        enable_mqtt=broker is not None,
        broker_url=broker or "mqtt://127.0.0.1:1",
        mqtt_client_id="seating-test-server",
        demo_mode=True,
        sweep_interval_s=3600,  # the test runs the timed jobs itself
    )
    return create_app(settings, clock=clock, site=site)


async def free_desks(rt: Runtime, sensors: DeskSensors, desks: list[str], at: datetime) -> None:
    """Sensors report nobody at `desks`; returns once the live map shows them free."""
    for _ in range(500):  # events sent before the server subscribed would never reach it
        if rt.bridge is not None and rt.bridge.connected:
            break
        await asyncio.sleep(0.02)
    sensors.report(dict.fromkeys(desks, False), at)
    for _ in range(500):
        if all(rt.hub.states("f1").get(d, {}).get("state") == "free" for d in desks):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("desks did not become free on the live map")
