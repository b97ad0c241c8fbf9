"""Three replicas on one PostgreSQL and one Mosquitto: shared ingest, one live feed, one ticker."""

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine, text
from websockets.sync.client import ClientConnection, connect

from contracts import DeskPresenceChanged, DeviceApplied, build_topic, encode
from server.adapters.database import upgrade
from server.adapters.embedded_broker import MosquittoBroker, free_port
from server.api.app import create_app
from server.composition.runtime import Runtime
from server.services.home_assistant import bridge_status_topic
from server.settings import Settings
from tests.fakes import FakeClock
from tests.support import ContractListener, ServerThread, small_site, wait_until

postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
GATEWAYS = {
    "gw-f1-a": [f"desk-f1-a-01-0{n}" for n in range(1, 5)],
    "gw-f1-b": [f"desk-f1-b-01-0{n}" for n in range(1, 5)],
    "gw-f2-a": [f"desk-f2-a-01-0{n}" for n in range(1, 5)],
}
START = datetime(2026, 11, 30, 9, tzinfo=UTC)


def presence(device: str, seq: int) -> DeskPresenceChanged:
    """The gateway's seq-th event: desks in turn, present unless seq is a multiple of 3."""
    desks = GATEWAYS[device]
    return DeskPresenceChanged(
        device=device,
        epoch=1,
        seq=seq,
        at=START + timedelta(seconds=seq),
        desk=desks[seq % len(desks)],
        present=seq % 3 != 0,
        sensor="mmwave",
    )


class Publisher:
    def __init__(self, broker: MosquittoBroker) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.sent: list[mqtt.MQTTMessageInfo] = []

    def send(self, event: DeskPresenceChanged) -> None:
        topic = build_topic("testhall", "desk", event.device, "event")
        self.sent.append(self.client.publish(topic, encode(event), qos=1))

    def close(self) -> None:
        for info in self.sent:
            info.wait_for_publish(10)
        self.client.loop_stop()
        self.client.disconnect()


def get(url: str) -> dict[str, Any]:
    try:
        body: dict[str, Any] = httpx.get(url, timeout=5).json()
        return body
    except (httpx.HTTPError, ValueError):
        return {}


def said(url: str, key: str) -> Any:
    """What the JSON at `url` says under `key` (None while it does not answer)."""
    return get(url).get(key)


def next_delta(ws: ClientConnection, version: int, desk: str) -> tuple[int, dict[str, Any]]:
    """Read deltas until one names `desk`; every one must follow the last without a gap."""
    while True:
        frame = json.loads(ws.recv(timeout=10))
        if frame["type"] != "delta":
            continue
        assert frame["version"] == version + 1, "deltas must have consecutive versions"
        version = frame["version"]
        if desk in frame["desks"]:
            return version, frame["desks"][desk]


@postgres_only
def test_a_websocket_on_one_replica_sees_what_another_replica_ingested(
    broker: MosquittoBroker, database_url: str
) -> None:
    upgrade(database_url)
    clock = FakeClock()
    site = small_site()
    event = presence("gw-f1-a", 1)
    desk = event.desk

    def replica(name: str, mqtt_on: bool) -> ServerThread:
        settings = Settings(
            database_url=database_url,
            broker_url=broker.url,
            mqtt_client_id=f"replica-{name}",
            enable_mqtt=mqtt_on,
            scale_out=True,
            leader_retry_s=0.2,
        )
        return ServerThread(create_app(settings, clock=clock, site=site))

    # Replica a has no broker link at all: whatever its clients see, another replica ingested.
    with replica("a", False) as a, replica("b", True) as b, replica("c", True) as c:
        servers = (a, b, c)
        for server in (b, c):
            wait_until(partial(said, f"{server.url}/api/health", "broker_connected"))
        for server in servers:
            wait_until(partial(said, f"{server.url}/api/replica", "live_listening"))
        clients = [connect(f"{s.ws_url}/ws/live?floor=f1", open_timeout=5) for s in servers]
        try:
            versions = []
            for ws in clients:
                snapshot = json.loads(ws.recv(timeout=5))
                assert snapshot["desks"][desk]["state"] == "unknown"
                versions.append(snapshot["version"])
            publisher = Publisher(broker)
            publisher.send(event)
            publisher.close()
            for ws, version in zip(clients, versions, strict=True):
                _, view = next_delta(ws, version, desk)
                assert view["state"] == "occupied"
        finally:
            for ws in clients:
                ws.close()
        runtimes: list[Runtime] = [s.app.state.runtime for s in servers]
        assert runtimes[0].pump is None
        ingested = [rt.pump.totals.applied for rt in runtimes[1:] if rt.pump is not None]
        assert sum(ingested) == 1, "exactly one replica applies the event"


class AvailabilityWatcher:
    """Records every payload on one topic, in order (the Home Assistant bridge's status)."""

    def __init__(self, broker: MosquittoBroker, topic: str) -> None:
        self.seen: list[str] = []
        subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = lambda _c, _u, m: self.seen.append(m.payload.decode())
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.client.subscribe(topic, qos=1)
        assert subscribed.wait(10), "no SUBACK"

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class ReplicaProcess:
    """`freeseat serve` as a replica in a process of its own, so it can be SIGKILLed."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.env = {**os.environ, **env, "FREESEAT_MQTT_CLIENT_ID": f"replica-{name}"}
        self.log = log_dir / f"replica-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "ReplicaProcess":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        return self

    def get(self, path: str) -> dict[str, Any]:
        return get(f"http://127.0.0.1:{self.port}{path}")

    def said(self, path: str, key: str) -> Any:
        return said(f"http://127.0.0.1:{self.port}{path}", key)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture
def replica_env(tmp_path: Path, broker: MosquittoBroker, database_url: str) -> dict[str, str]:
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(small_site().model_dump(mode="json")))
    upgrade(database_url)
    return {
        "FREESEAT_DATABASE_URL": database_url,
        "FREESEAT_BROKER_URL": broker.url,
        "FREESEAT_SITE_FILE": str(tmp_path / "site.yaml"),
        "FREESEAT_SCALE_OUT": "true",
        "FREESEAT_LEADER_RETRY_S": "0.2",
    }


@pytest.fixture
def availability(broker: MosquittoBroker) -> Iterator[AvailabilityWatcher]:
    """What the Home Assistant bridge says of itself, watched from before any replica starts."""
    watcher = AvailabilityWatcher(broker, bridge_status_topic("testhall"))
    yield watcher
    watcher.close()


@pytest.fixture
def replicas(replica_env: dict[str, str], tmp_path: Path) -> Iterator[list[ReplicaProcess]]:
    started: list[ReplicaProcess] = []
    yield started
    for replica in started:
        replica.stop()


def log_counts(url: str) -> tuple[int, int, int]:
    """Rows in the event log, distinct event ids, and events with more than one transition."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            total, distinct = conn.execute(
                text("SELECT count(*), count(DISTINCT event_id) FROM event_log")
            ).one()
            twice = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT event_id FROM desk_transitions"
                    " WHERE event_id IS NOT NULL GROUP BY event_id HAVING count(*) > 1) AS t"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return int(total), int(distinct), int(twice)


EVENTS_PER_GATEWAY = 150


@postgres_only
def test_a_replica_killed_mid_stream_loses_no_event_and_applies_none_twice(
    replica_env: dict[str, str],
    replicas: list[ReplicaProcess],
    broker: MosquittoBroker,
    tmp_path: Path,
    database_url: str,
) -> None:
    # Small batches and windows, so the kill lands between commits with messages in flight.
    env = {**replica_env, "FREESEAT_INGEST_BATCH_MAX": "5", "FREESEAT_MQTT_RECEIVE_MAXIMUM": "20"}
    replicas += [ReplicaProcess(name, env, tmp_path).start() for name in "abc"]
    for replica in replicas:
        wait_until(partial(replica.said, "/api/health", "broker_connected"), 60)
    publisher = Publisher(broker)
    total = EVENTS_PER_GATEWAY * len(GATEWAYS)
    try:
        for seq in range(EVENTS_PER_GATEWAY):
            for device in GATEWAYS:
                publisher.send(presence(device, seq))
            if seq == EVENTS_PER_GATEWAY // 3:
                # Each gateway's messages go to the replica owning its partition: the victim is
                # one that is ingesting.
                victim = wait_until(
                    lambda: next(
                        (r for r in replicas if r.get("/api/health").get("applied", 0) > 5), None
                    ),
                    30,
                    "a replica ingesting its share",
                )
                assert victim is not None
                victim.kill()
    finally:
        publisher.close()
    # Messages the broker gave the victim wait in its session until it is back under its name.
    assert victim is not None
    victim.start()
    wait_until(lambda: log_counts(database_url)[0] >= total, 90, "every event in the log")
    assert log_counts(database_url) == (total, total, 0)

    states: dict[str, str] = {}
    for floor in ("f1", "f2"):
        body = replicas[0].get(f"/api/floors/{floor}")
        states |= {d["id"]: d["state"] for d in body["desks"]}
    for device, desks in GATEWAYS.items():
        for n, desk in enumerate(desks):
            last = max(seq for seq in range(EVENTS_PER_GATEWAY) if seq % len(desks) == n)
            expected = "occupied" if presence(device, last).present else "free"
            assert states[desk] == expected, f"{desk} does not show its newest reading"


@postgres_only
def test_whichever_replica_commits_an_agents_event_tells_the_agent(
    replica_env: dict[str, str],
    replicas: list[ReplicaProcess],
    broker: MosquittoBroker,
    tmp_path: Path,
) -> None:
    # The applied watermark needs nothing shared: each replica names what it committed.
    replicas += [ReplicaProcess(name, replica_env, tmp_path).start() for name in "ab"]
    for replica in replicas:
        wait_until(partial(replica.said, "/api/health", "broker_connected"), 60)
    listener = ContractListener(broker.host, broker.port, "freeseat/v1/testhall/desk/+/cmd")
    publisher = Publisher(broker)
    try:
        for seq in range(1, 51):
            for device in GATEWAYS:
                publisher.send(presence(device, seq))
    finally:
        publisher.close()

    def named() -> dict[str, set[int]]:
        seqs: dict[str, set[int]] = {device: set() for device in GATEWAYS}
        for message in list(listener.messages):
            if isinstance(message, DeviceApplied):
                for part in message.applied:
                    seqs[message.device].update(range(part.first, part.last + 1))
        return seqs

    try:
        wait_until(
            lambda: all(seqs >= set(range(1, 51)) for seqs in named().values()),
            60,
            "every gateway told of each of its 50 events",
        )
    finally:
        listener.close()
    assert sum(replica.get("/api/health").get("applied", 0) for replica in replicas) == 150


@postgres_only
def test_the_ticker_runs_on_one_replica_and_moves_when_its_holder_dies(
    replica_env: dict[str, str],
    replicas: list[ReplicaProcess],
    tmp_path: Path,
    database_url: str,
    availability: "AvailabilityWatcher",
) -> None:
    env = {
        **replica_env,
        "FREESEAT_ENABLE_MQTT": "false",
        "FREESEAT_SWEEP_INTERVAL_S": "0.1",
        "FREESEAT_HOME_ASSISTANT": "true",
    }
    replicas += [ReplicaProcess(name, env, tmp_path).start() for name in "abc"]

    def tickers(among: list[ReplicaProcess]) -> list[tuple[ReplicaProcess, dict[str, Any]]]:
        views = [(r, r.get("/api/replica")) for r in among]
        assert all(view for _, view in views), "a replica did not answer"
        return [(r, view) for r, view in views if view["ticker"]]

    for replica in replicas:
        wait_until(partial(replica.get, "/api/replica"), 60, f"replica {replica.name} up")
    wait_until(lambda: len(tickers(replicas)) == 1, 20, "one replica holding the ticker")
    leader, view = tickers(replicas)[0]
    wait_until(lambda: leader.get("/api/replica")["sweeps"] >= 5, 20, "the leader sweeping")
    others = [r for r in replicas if r is not leader]
    assert [r.get("/api/replica")["sweeps"] for r in others] == [0, 0]
    assert len(tickers(replicas)) == 1
    # The Home Assistant bridge runs with the ticker: one `online`, not one per replica.
    wait_until(lambda: availability.seen == ["online"], 20, "the leader's bridge online")

    leader.kill()
    wait_until(lambda: len(tickers(others)) == 1, 20, "another replica taking the ticker over")
    # The dead leader's will, then its successor's bridge: desks stay available in HA.
    wait_until(
        lambda: availability.seen == ["online", "offline", "online"],
        20,
        "the successor's bridge online after the leader's will",
    )
    successor, successor_view = tickers(others)[0]
    assert successor_view["lease_epoch"] == view["lease_epoch"] + 1
    wait_until(lambda: successor.get("/api/replica")["sweeps"] >= 5, 20, "the successor sweeping")
    bystander = next(r for r in others if r is not successor)
    assert bystander.get("/api/replica")["sweeps"] == 0
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            holder, epoch = conn.execute(
                text("SELECT holder, epoch FROM leader_leases WHERE name = 'ticker'")
            ).one()
    finally:
        engine.dispose()
    assert (holder, epoch) == (successor_view["replica"], successor_view["lease_epoch"])
    assert availability.seen == ["online", "offline", "online"]


@postgres_only
def test_a_replica_stopped_for_a_deploy_leaves_its_share_to_the_others(
    broker: MosquittoBroker, database_url: str
) -> None:
    upgrade(database_url)
    clock = FakeClock()

    def replica(name: str) -> ServerThread:
        settings = Settings(
            database_url=database_url,
            broker_url=broker.url,
            mqtt_client_id=f"deploy-{name}",
            scale_out=True,
            mqtt_leave_share_on_stop=True,
            leader_retry_s=0.2,
        )
        return ServerThread(create_app(settings, clock=clock, site=small_site()))

    with replica("a") as a:
        with replica("b") as b:
            for server in (a, b):
                wait_until(partial(said, f"{server.url}/api/health", "broker_connected"))
        # b is stopped (not killed): while it is away, a must get every message.
        publisher = Publisher(broker)
        for seq in range(40):
            publisher.send(presence("gw-f1-a", seq))
        publisher.close()
        wait_until(lambda: log_counts(database_url)[0] == 40, 20, "every event applied by a")
        assert a.app.state.runtime.pump.totals.applied + a.app.state.runtime.pump.totals.stale == 40
