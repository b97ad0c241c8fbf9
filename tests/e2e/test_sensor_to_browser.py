"""A desk agent's reading reaches a websocket client and the REST API, on real broker and DB."""

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml
from websockets.sync.client import connect

from edge_agent.desk_agent import run_desk_agent
from edge_agent.sensors import QueuedSource
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.settings import Settings
from tests.support import ServerThread, small_site, wait_until

DESK = "desk-f1-a-01-02"


def test_desk_agent_reading_reaches_websocket_and_rest(
    broker: MosquittoBroker, tmp_path: Path, database_url: str
) -> None:
    site = small_site()
    gateway = next(d for d in site.devices if DESK in d.desks)
    config = tmp_path / "agent.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "device": gateway.id,
                "site": site.site.id,
                "broker": broker.url,
                "outbox": "outbox.sqlite",
                "source": "simulated",
                # Report presence at once, so the test measures the path, not the hold time.
                "hold_times": {"mmwave": {"occupied_after_s": 0, "free_after_s": 0, "ttl_s": 600}},
                "desks": [{"id": desk, "sensor": "mmwave"} for desk in sorted(gateway.desks)],
            }
        )
    )
    settings = Settings(
        database_url=database_url,
        broker_url=broker.url,
        mqtt_client_id="e2e-server",
    )
    source = QueuedSource()
    stop = threading.Event()
    agent = threading.Thread(
        target=run_desk_agent, args=(config,), kwargs={"stop": stop, "source": source}
    )
    with ServerThread(create_app(settings, site=site)) as server:
        wait_until(
            lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"],
            what="server subscribed at the broker",
        )
        with connect(f"{server.ws_url}/ws/live?floor=f1", open_timeout=5) as ws:
            snapshot = json.loads(ws.recv(timeout=5))
            assert snapshot["type"] == "snapshot"
            assert snapshot["desks"][DESK]["state"] == "unknown"
            agent.start()
            try:
                source.push(DESK, True, datetime.now(UTC))
                version = snapshot["version"]
                while True:  # deltas for other desks (heartbeats) may come first
                    delta = json.loads(ws.recv(timeout=10))
                    if delta["type"] != "delta":
                        continue
                    assert delta["version"] == version + 1, "deltas must have consecutive versions"
                    version = delta["version"]
                    if DESK in delta["desks"]:
                        break
                assert delta["desks"][DESK]["state"] == "occupied"
                floor = httpx.get(f"{server.url}/api/floors/f1").json()
                desk = next(d for d in floor["desks"] if d["id"] == DESK)
                assert desk["state"] == "occupied"
                assert desk["reason"] == "walk_in"
            finally:
                stop.set()
                agent.join(timeout=15)

            # A gateway that shuts down says so; its desks are no longer known to be free.
            while True:
                delta = json.loads(ws.recv(timeout=10))
                if delta["type"] == "delta" and DESK in delta["desks"]:
                    break
            assert delta["desks"][DESK]["state"] == "unknown"
            assert "offline" in delta["desks"][DESK]["reason"]
