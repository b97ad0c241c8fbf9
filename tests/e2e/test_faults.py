"""Faults on real parts: the broker goes away for 30 s; an agent is killed and comes back.

Each test ends with a count against what the agents recorded: every reading they turned into
an event is in the server's event log exactly once, and the map shows the last of them.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import text

from contracts import DeviceStatus, build_topic, encode
from edge_agent.desk_agent import run_desk_agent
from edge_agent.runtime import ConnectionSettings
from edge_agent.sensors import QueuedSource
from firmware_config.site import Site
from server.adapters.database import make_engine
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.settings import Settings
from tests.support import ServerThread, small_site, wait_until

OUTAGE_S = 30.0
READINGS_EVERY_S = 3.0
REPO = Path(__file__).resolve().parents[2]


def agent_config(path: Path, site: Site, gateway: str, broker_url: str, **extra: object) -> Path:
    device = next(d for d in site.devices if d.id == gateway)
    path.write_text(
        yaml.safe_dump(
            {
                "device": gateway,
                "site": site.site.id,
                "broker": broker_url,
                "outbox": f"{gateway}.outbox.sqlite",
                "source": "simulated",
                # Every reading becomes an event at once: the test counts events, not hold times.
                "hold_times": {"mmwave": {"occupied_after_s": 0, "free_after_s": 0, "ttl_s": 600}},
                "desks": [{"id": desk, "sensor": "mmwave"} for desk in sorted(device.desks)],
                **extra,
            }
        )
    )
    return path


def query(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def desk_states(server_url: str, floor: str) -> dict[str, tuple[str, str]]:
    desks = httpx.get(f"{server_url}/api/floors/{floor}", timeout=10).json()["desks"]
    return {d["id"]: (d["state"], d["reason"]) for d in desks}


@contextmanager
def agents_running(
    configs: dict[str, Path],
    sources: dict[str, QueuedSource],
    broker_url: str,
    *,
    resend_after_s: float = 30.0,
) -> Iterator[None]:
    stop = threading.Event()
    # Reconnect attempts every second, so the replay starts soon after the broker is back.
    settings = ConnectionSettings(
        broker_url=broker_url,
        reconnect_min_s=1,
        reconnect_max_s=1,
        resend_after_s=resend_after_s,
    )
    threads = [
        threading.Thread(
            target=run_desk_agent,
            args=(configs[gateway],),
            kwargs={"stop": stop, "source": sources[gateway], "settings": settings},
            name=f"agent-{gateway}",
        )
        for gateway in configs
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(t.is_alive() for t in threads), "an agent did not stop"


def test_broker_down_for_30_s_while_agents_sense_loses_nothing(
    broker: MosquittoBroker, tmp_path: Path, database_url: str
) -> None:
    site = small_site()
    gateways = ["gw-f1-a", "gw-f1-b"]
    desks = {g: sorted(next(d for d in site.devices if d.id == g).desks) for g in gateways}
    configs = {g: agent_config(tmp_path / f"{g}.yaml", site, g, broker.url) for g in gateways}
    sources = {g: QueuedSource() for g in gateways}
    settings = Settings(
        database_url=database_url, broker_url=broker.url, mqtt_client_id="fault-broker-server"
    )
    # What the agents were told, in order: the truth the map and the log must end up with.
    pushed: dict[str, bool] = {}
    readings = 0

    def sense_round() -> None:
        nonlocal readings
        now = datetime.now(UTC)
        for gateway in gateways:
            for desk in desks[gateway]:
                present = not pushed.get(desk, False)
                pushed[desk] = present
                sources[gateway].push(desk, present, now)
                readings += 1

    with ServerThread(create_app(settings, site=site)) as server:
        wait_until(
            lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"],
            what="server subscribed at the broker",
        )
        with agents_running(configs, sources, broker.url):
            sense_round()
            wait_until(
                lambda: all(desk_states(server.url, "f1")[d][0] == "occupied" for d in pushed),
                what="the first readings on the map",
                timeout=30,
            )
            broker.stop()
            outage_ends = time.monotonic() + OUTAGE_S
            rounds_in_outage = 0
            while time.monotonic() < outage_ends:
                time.sleep(min(READINGS_EVERY_S, max(0.0, outage_ends - time.monotonic())))
                sense_round()
                rounds_in_outage += 1
            broker.start()
            sense_round()

            def presence_events() -> list[tuple[object, ...]]:
                return query(
                    database_url,
                    "SELECT device, epoch, seq FROM event_log WHERE type = 'desk.presence_changed'",
                )

            wait_until(
                lambda: len(presence_events()) >= readings,
                what=f"all {readings} readings in the event log after the outage",
                timeout=60,
            )
            events = presence_events()
            states = desk_states(server.url, "f1")

    assert rounds_in_outage >= 9, "the agents kept sensing through the outage"
    assert len(events) == readings, "every reading is logged once: none lost, none twice"
    assert len(set(events)) == len(events)
    for gateway in gateways:
        seqs = sorted(int(str(seq)) for device, _, seq in events if device == gateway)
        # Sequence numbers with no gap: the outbox replayed everything in order.
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    expected = {desk: "occupied" if present else "free" for desk, present in pushed.items()}
    assert {desk: states[desk][0] for desk in pushed} == expected


def start_agent_process(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "edge_agent", str(config)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


def test_a_killed_agent_makes_its_desks_unknown_and_a_late_will_does_not_undo_its_return(
    broker: MosquittoBroker, tmp_path: Path, database_url: str
) -> None:
    site = small_site()
    gateway = "gw-f2-a"
    desks = sorted(next(d for d in site.devices if d.id == gateway).desks)
    # Heartbeats every second tell the server what each desk's sensor sees right now.
    config = agent_config(tmp_path / "agent.yaml", site, gateway, broker.url, heartbeat_s=1.0)
    settings = Settings(
        database_url=database_url, broker_url=broker.url, mqtt_client_id="fault-lwt-server"
    )

    def states() -> dict[str, tuple[str, str]]:
        floor = desk_states(server.url, "f2")
        return {desk: floor[desk] for desk in desks}

    def device_epoch() -> int | None:
        rows = query(database_url, "SELECT status_epoch FROM devices WHERE id = :id", id=gateway)
        return int(str(rows[0][0])) if rows and rows[0][0] is not None else None

    with ServerThread(create_app(settings, site=site)) as server:
        wait_until(
            lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"],
            what="server subscribed at the broker",
        )
        agent = start_agent_process(config, tmp_path / "agent.log")
        try:
            wait_until(
                lambda: all(state != "unknown" for state, _ in states().values()),
                what="the agent's desks known from its heartbeat",
                timeout=30,
            )
            first_epoch = device_epoch()
            agent.send_signal(signal.SIGKILL)  # no DISCONNECT: only the broker's will speaks
            agent.wait(timeout=10)
            wait_until(
                lambda: all(state == "unknown" for state, _ in states().values()),
                what="the last will making every desk of the agent unknown",
                timeout=30,
            )
            assert all("offline" in reason for _, reason in states().values())

            agent = start_agent_process(config, tmp_path / "agent.log")
            wait_until(
                lambda: (
                    all(state != "unknown" for state, _ in states().values())
                    and (device_epoch() or 0) > (first_epoch or 0)
                ),
                what="the restarted agent (a new epoch) known again",
                timeout=30,
            )

            # The first boot's will, arriving late: it must not undo the reconnect.
            assert first_epoch is not None
            late_will = DeviceStatus(
                device=gateway, epoch=first_epoch, status="offline", at=datetime.now(UTC)
            )
            publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="late-will")
            publisher.connect(broker.host, broker.port)
            publisher.loop_start()
            try:
                topic = build_topic(site.site.id, "desk", gateway, "status")
                publisher.publish(topic, encode(late_will), qos=1).wait_for_publish(10)
            finally:
                publisher.loop_stop()
                publisher.disconnect()
            will_sent = datetime.now(UTC)

            def last_seen() -> datetime:
                rows = query(
                    database_url, "SELECT last_seen FROM devices WHERE id = :id", id=gateway
                )
                seen = rows[0][0]
                assert isinstance(seen, (datetime, str))
                parsed = datetime.fromisoformat(seen) if isinstance(seen, str) else seen
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

            # Heartbeats come every second on the same broker: one received after the will was
            # accepted shows the server has processed the will too.
            wait_until(
                lambda: last_seen() > will_sent,
                what="a heartbeat after the late will",
                timeout=10,
            )
            assert all(state != "unknown" for state, _ in states().values()), states()
            status = query(database_url, "SELECT status FROM devices WHERE id = :id", id=gateway)
            assert status == [("online",)]
            assert device_epoch() != first_epoch
        finally:
            if agent.poll() is None:
                agent.send_signal(signal.SIGTERM)
                agent.wait(timeout=15)
