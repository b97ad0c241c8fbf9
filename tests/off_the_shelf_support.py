"""A real server and a plain MQTT publisher for ESPHome and Zigbee2MQTT formats, as they publish."""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine, text

from firmware_config.site import Device, Site
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.settings import Settings
from tests.support import METRICS_TOKEN, ServerThread, scrape, small_site, wait_until


def site_with(devices: list[Device]) -> Site:
    """small_site() with floor f2's zone-b gateway replaced by `devices` (its desks are free)."""
    site = small_site()
    kept = [d for d in site.devices if d.id != "gw-f2-b"]
    return site.model_copy(update={"devices": kept + devices})


class Publisher:
    """What a device (or its bridge) sends: QoS 1, optionally retained."""

    def __init__(self, broker: MosquittoBroker) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def send(self, topic: str, payload: str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@contextmanager
def serving(site: Site, broker: MosquittoBroker, database_url: str) -> Iterator[ServerThread]:
    """A server for `site` on a fresh database, subscribed at the broker."""
    settings = Settings(
        database_url=database_url,
        broker_url=broker.url,
        mqtt_client_id="ots",
        metrics_token=METRICS_TOKEN,
    )
    with ServerThread(create_app(settings, site=site)) as server:
        wait_until(lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"])
        yield server


def state_of(server: ServerThread, desk: str) -> tuple[str, str]:
    """The desk's state and reason as the floor map shows them."""
    floor_id = desk.split("-")[1]
    floor = httpx.get(f"{server.url}/api/floors/{floor_id}").json()
    found = next(d for d in floor["desks"] if d["id"] == desk)
    return found["state"], found["reason"]


def wait_state(server: ServerThread, desk: str, state: str) -> str:
    """Wait until the desk shows `state`; returns the reason it gives."""
    return wait_until(
        lambda: state_of(server, desk)[1] if state_of(server, desk)[0] == state else None,
        10,
        f"{desk} to become {state}",
    )


def quarantined(database_url: str) -> list[tuple[str, str]]:
    """(topic, reason) of every quarantined message, oldest first."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT topic, reason FROM quarantine ORDER BY id")).all()
    engine.dispose()
    return [(topic, reason) for topic, reason in rows]


def metric(server: ServerThread, sample: str) -> float | None:
    """The value of one sample line of /metrics (`name{labels}`), None when absent."""
    for line in scrape(server.url).text.splitlines():
        name, _, value = line.rpartition(" ")
        if name == sample:
            return float(value)
    return None
