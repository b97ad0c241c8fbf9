"""Zero touch: a provisioned desk agent with no broker configured finds the server and reports.

Everything is real: the provisioned Mosquitto (password and ACL files), the server logging in
with its generated identity and advertising `_freeseat._tcp` by zeroconf on loopback, and the
desk agent reading its generated config.
"""

import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml
from zeroconf import Zeroconf

from edge_agent.desk_agent import load_agent_config, run_desk_agent
from edge_agent.discovery import SERVICE, FoundServer, parse_advert
from edge_agent.sensors import QueuedSource
from firmware_config.credentials import SERVER_IDENTITY
from firmware_config.provision import provision
from server.adapters.embedded_broker import free_port
from server.api.app import create_app
from server.settings import Settings
from tests.provision_support import GATEWAY, provisioning_site, write_site
from tests.provisioned_broker import provisioned_broker
from tests.support import ServerThread, wait_until

DESK = "desk-f1-a-01-02"


def test_agent_without_a_broker_discovers_the_server_and_its_reading_arrives(
    tmp_path: Path, database_url: str
) -> None:
    site = provisioning_site()
    out = tmp_path / "out"
    provision(write_site(site, tmp_path / "site.yaml"), out)
    passwords = yaml.safe_load((out / "credentials.yaml").read_text())["passwords"]
    config_file = out / "agents" / f"{GATEWAY}.yaml"
    config = yaml.safe_load(config_file.read_text())
    assert "broker" not in config  # nothing to type in: the agent finds it
    config["discovery_interfaces"] = ["127.0.0.1"]
    config_file.write_text(yaml.safe_dump(config))
    assert load_agent_config(config_file).broker is None

    with provisioned_broker(out) as broker:
        port = free_port()
        settings = Settings(
            database_url=database_url,
            broker_url=broker.url,
            broker_username=SERVER_IDENTITY,
            broker_password=passwords[SERVER_IDENTITY],
            mqtt_client_id="zero-touch-server",
            advertise=True,
            advertise_port=port,
            advertise_interfaces=["127.0.0.1"],
        )
        source = QueuedSource()
        stop = threading.Event()
        agent = threading.Thread(
            target=run_desk_agent, args=(config_file,), kwargs={"stop": stop, "source": source}
        )
        with ServerThread(create_app(settings, site=site), port=port) as server:
            wait_until(
                lambda: httpx.get(f"{server.url}/api/health").json()["broker_connected"],
                what="server logged in to the provisioned broker with its own identity",
            )
            agent.start()
            try:
                source.push(DESK, True, datetime.now(UTC))

                def desk_state() -> str | None:
                    floor = httpx.get(f"{server.url}/api/floors/f1").json()
                    state = next(d["state"] for d in floor["desks"] if d["id"] == DESK)
                    return state if state == "occupied" else None

                wait_until(desk_state, 30, "the discovered agent's reading at the server")
            finally:
                stop.set()
                agent.join(timeout=15)
            assert not agent.is_alive()
            advert = _browse_once()
            assert advert is not None and advert.site == site.site.id
            assert advert.broker_url == broker.url
            assert advert.api_url == f"http://127.0.0.1:{port}/api"


def _browse_once() -> FoundServer | None:
    zc = Zeroconf(interfaces=["127.0.0.1"])
    try:
        name = f"freeseat {provisioning_site().site.id}.{SERVICE}"
        info = zc.get_service_info(SERVICE, name, timeout=5000)
        return parse_advert(info) if info is not None else None
    finally:
        zc.close()
