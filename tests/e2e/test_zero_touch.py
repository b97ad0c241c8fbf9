"""Zero touch: provisioned agents with no broker configured find the server and report.

Everything is real: the provisioned Mosquitto (password and ACL files, the TLS listener), the
server logging in with its generated identity and advertising `_freeseat._tcp` (with the
broker's mqtts:// address) by zeroconf on loopback, and the desk, AP and room agents reading
their generated configs: they trust the discovered broker because its certificate verifies
against the CA provisioning gave them.
"""

import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml
from zeroconf import Zeroconf

from edge_agent.ap_agent import run_ap_agent
from edge_agent.desk_agent import DeskAgentConfig, run_desk_agent
from edge_agent.discovery import SERVICE, FoundServer, parse_advert
from edge_agent.room_agent import run_room_agent
from edge_agent.sensors import QueuedSource
from firmware_config.credentials import SERVER_IDENTITY
from firmware_config.provision import ProvisionOptions, provision
from server.adapters.embedded_broker import free_port
from server.api.app import create_app
from server.settings import Settings
from tests.provision_support import AP_AGENT, GATEWAY, ROOM_AGENT, provisioning_site, write_site
from tests.provisioned_broker import ProvisionedBroker, make_certificates, provisioned_broker
from tests.room_support import LAPTOP_INPUT, FakeRoom
from tests.signin import sign_in
from tests.support import ServerThread, wait_until

DESK = "desk-f1-a-01-02"


def test_agent_without_a_broker_discovers_the_server_and_its_reading_arrives(
    tmp_path: Path, database_url: str
) -> None:
    site = provisioning_site()
    out, certs = provision_with_tls(tmp_path)
    passwords = yaml.safe_load((out / "credentials.yaml").read_text())["passwords"]
    config_file = out / "agents" / f"{GATEWAY}.yaml"
    config = yaml.safe_load(config_file.read_text())
    assert "broker" not in config  # nothing to type in: the agent finds it
    config["discovery_interfaces"] = ["127.0.0.1"]
    config["ca_file"] = str(certs / "ca.crt")  # where provisioning says /etc/freeseat/ca.crt
    config_file.write_text(yaml.safe_dump(config))
    assert DeskAgentConfig.load(config_file).broker is None

    with provisioned_broker(out, certs) as broker:
        port = free_port()
        settings = advertising_server(database_url, broker, passwords, port)
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
            assert advert.broker_url == f"mqtts://127.0.0.1:{broker.tls_port}"
            assert advert.api_url == f"http://127.0.0.1:{port}/api"


def test_ap_and_room_agents_without_broker_or_server_find_them_and_come_online(
    tmp_path: Path, database_url: str
) -> None:
    site = provisioning_site()
    out, certs = provision_with_tls(tmp_path)  # no broker, no server URL given
    passwords = yaml.safe_load((out / "credentials.yaml").read_text())["passwords"]
    ap_file, room_file = (out / "agents" / f"{d}.yaml" for d in (AP_AGENT, ROOM_AGENT))
    ap, room = (yaml.safe_load(f.read_text()) for f in (ap_file, room_file))
    assert "broker" not in ap and "broker" not in room and "server" not in room
    # What differs on this machine: loopback only, and files in place of hostapd and the DRM.
    syslog = tmp_path / "ap.log"
    syslog.write_text("")
    fake = FakeRoom(tmp_path / "room")
    ap |= {
        "discovery_interfaces": ["127.0.0.1"],
        "ca_file": str(certs / "ca.crt"),
        "sources": [{"type": "syslog", "file": str(syslog)}],
    }
    room |= {
        "discovery_interfaces": ["127.0.0.1"],
        "ca_file": str(certs / "ca.crt"),
        "interfaces": ["127.0.0.1"],
        "advertise_address": "127.0.0.1",
        "info_port": 0,
        "open_screen": "never",
        "drm_root": str(fake.drm),
        "cast_connectors": [LAPTOP_INPUT],
        "occupancy_file": str(fake.presence),
    }
    ap_file.write_text(yaml.safe_dump(ap))
    room_file.write_text(yaml.safe_dump(room, allow_unicode=True))

    with provisioned_broker(out, certs) as broker:
        port = free_port()
        settings = advertising_server(database_url, broker, passwords, port)
        stop = threading.Event()
        printed: list[str] = []
        agents = [
            threading.Thread(target=run_ap_agent, args=(ap_file,), kwargs={"stop": stop}),
            threading.Thread(
                target=run_room_agent,
                args=(room_file,),
                kwargs={"stop": stop, "out": printed.append},
            ),
        ]
        with (
            ServerThread(create_app(settings, site=site), port=port) as server,
            httpx.Client(base_url=server.url) as facilities,
        ):
            wait_until(
                lambda: facilities.get("/api/health").json()["broker_connected"],
                what="server logged in to the provisioned broker",
            )
            sign_in(facilities, "demo-facilities")
            for agent in agents:
                agent.start()
            try:

                def both_online() -> bool:
                    devices = {d["id"]: d for d in facilities.get("/api/devices").json()}
                    return bool(devices[AP_AGENT]["online"] and devices[ROOM_AGENT]["online"])

                wait_until(both_online, 30, "the AP and room agents online at the server")
                # The room agent opens the screen of the server it discovered; its own
                # endpoint names the room, never a server to send a password to.
                line = wait_until(
                    lambda: next((p for p in printed if "advertised at" in p), None),
                    30,
                    "the room agent advertised",
                )
                info = httpx.get(f"http://{line.rsplit(' ', 1)[-1]}", timeout=5).json()
                assert info["room"] == "room-f1-1" and "server" not in info
                assert any(f"room screen: {server.url}/rooms/" in p for p in printed)
            finally:
                stop.set()
                for agent in agents:
                    agent.join(timeout=15)
            assert not any(agent.is_alive() for agent in agents)


def provision_with_tls(tmp_path: Path) -> tuple[Path, Path]:
    """Provisioning output for the test site with a throwaway CA; returns (out, certs)."""
    certs = make_certificates(tmp_path / "certs")
    out = tmp_path / "out"
    site_file = write_site(provisioning_site(), tmp_path / "site.yaml")
    provision(site_file, out, ProvisionOptions(ca_file=certs / "ca.crt"))
    return out, certs


def advertising_server(
    database_url: str, broker: ProvisionedBroker, passwords: dict[str, str], port: int
) -> Settings:
    """The server with its provisioned identity on the loopback listener, advertising itself
    on loopback at `port` and the broker's TLS listener to agents."""
    return Settings(
        database_url=database_url,
        broker_url=broker.url,
        advertise_broker_url=f"mqtts://127.0.0.1:{broker.tls_port}",
        broker_username=SERVER_IDENTITY,
        broker_password=passwords[SERVER_IDENTITY],
        mqtt_client_id="zero-touch-server",
        demo_mode=True,  # facilities sign in without a password
        advertise=True,
        advertise_port=port,
        advertise_interfaces=["127.0.0.1"],
    )


def _browse_once() -> FoundServer | None:
    zc = Zeroconf(interfaces=["127.0.0.1"])
    try:
        name = f"freeseat {provisioning_site().site.id}.{SERVICE}"
        info = zc.get_service_info(SERVICE, name, timeout=5000)
        return parse_advert(info) if info is not None else None
    finally:
        zc.close()
