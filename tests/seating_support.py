"""Seating test helpers: a sensor that publishes over the real broker, an in-process server."""

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import httpx
import paho.mqtt.client as mqtt
from fastapi import FastAPI
from paho.mqtt.enums import CallbackAPIVersion

from contracts import DeskPresenceChanged, build_topic, encode
from firmware_config.site import Site
from server.adapters.database import make_engine, upgrade
from server.adapters.people_repository import SqlPeopleStore
from server.api.auth import CSRF_HEADER
from server.composition.runtime import Runtime
from server.domain.people import Person


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
