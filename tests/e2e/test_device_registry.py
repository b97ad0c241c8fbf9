"""The device registry over HTTP, and revocation that a running Mosquitto enforces at once.

Real parts: the provisioned Mosquitto (generated password and ACL files, never restarted),
the server logged in with its generated identity, devices logged in with theirs, sign-in.
"""

from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

from contracts import Channel, DeviceState, DeviceStatus, build_topic, encode
from firmware_config.credentials import SERVER_IDENTITY
from firmware_config.provision import provision
from server.api.app import create_app
from server.settings import Settings
from tests.fakes import FakeClock
from tests.provision_support import (
    ESP_MMWAVE,
    GATEWAY,
    ZIGBEE,
    provisioning_site,
    write_site,
)
from tests.provisioned_broker import peer, provisioned_broker
from tests.signin import sign_in
from tests.support import ServerThread, wait_until

OTHER = "gw-f2-a"


def test_registry_shows_what_devices_report_and_revocation_locks_one_out(
    tmp_path: Path, database_url: str, clock: FakeClock
) -> None:
    site = provisioning_site()
    out = tmp_path / "out"
    provision(write_site(site, tmp_path / "site.yaml"), out)
    passwords = yaml.safe_load((out / "credentials.yaml").read_text())["passwords"]
    with provisioned_broker(out) as broker:
        settings = Settings(
            database_url=database_url,
            broker_url=broker.url,
            broker_username=SERVER_IDENTITY,
            broker_password=passwords[SERVER_IDENTITY],
            mqtt_client_id="registry-server",
            demo_mode=True,
            provision_dir=out,
            broker_pid_file=broker.pid_file,
        )
        with (
            ServerThread(create_app(settings, clock=clock, site=site)) as server,
            httpx.Client(base_url=server.url) as admin,
            httpx.Client(base_url=server.url) as facilities,
            peer(broker.port, GATEWAY, passwords[GATEWAY], GATEWAY) as gateway,
            peer(broker.port, OTHER, passwords[OTHER], OTHER) as other,
        ):
            wait_until(
                lambda: admin.get("/api/health").json()["broker_connected"], what="server link"
            )
            assert admin.get("/api/devices").status_code == 401
            sign_in(admin, "demo-admin")
            sign_in(facilities, "demo-facilities")

            now = clock.now()
            for device, battery in ((GATEWAY, 87.5), (OTHER, None)):
                sender = gateway if device == GATEWAY else other
                status = DeviceStatus(device=device, epoch=1, status="online", at=now)
                state = DeviceState(
                    device=device,
                    epoch=1,
                    seq=0,
                    at=now,
                    interval_s=30,
                    version="freeseat-agent/0.1.0",
                    battery=battery,
                    rssi=-61,
                )
                topic = build_topic("testhall", "desk", device, Channel.STATUS)
                assert not sender.publish(topic, encode(status), retain=True).is_failure
                topic = build_topic("testhall", "desk", device, Channel.STATE)
                assert not sender.publish(topic, encode(state), retain=True).is_failure

            def listed() -> dict[str, dict[str, object]]:
                response = facilities.get("/api/devices")
                assert response.status_code == 200, response.text
                return {d["id"]: d for d in response.json()}

            def both_online() -> dict[str, dict[str, object]] | None:
                devices = listed()
                return devices if devices[GATEWAY]["online"] and devices[OTHER]["online"] else None

            devices = wait_until(both_online, what="both gateways online in the registry")
            mine = devices[GATEWAY]
            assert mine["version"] == "freeseat-agent/0.1.0"
            assert mine["battery"] == 87.5 and mine["rssi"] == -61
            assert mine["desks"] == [f"desk-f1-a-01-0{n}" for n in range(1, 5)]
            assert mine["last_seen"] is not None and mine["revoked_at"] is None
            assert devices[ESP_MMWAVE]["firmware"] == "esphome"
            assert devices[ESP_MMWAVE]["status"] == "unknown" and not devices[ESP_MMWAVE]["online"]
            assert devices[ZIGBEE]["firmware"] == "zigbee2mqtt"
            assert devices["roomagent-f1-1"]["room"] == "room-f1-1"

            denied = facilities.post(f"/api/devices/{GATEWAY}/revoke")
            assert denied.status_code == 403 and "admin" in denied.json()["detail"]
            unknown = admin.post("/api/devices/gw-nowhere/revoke")
            assert unknown.status_code == 404 and "gw-nowhere" in unknown.json()["detail"]
            bridged = admin.post(f"/api/devices/{ZIGBEE}/revoke")
            assert bridged.status_code == 409 and "Zigbee2MQTT" in bridged.json()["detail"]

            broker_pid = broker.proc.pid
            revoked = admin.post(f"/api/devices/{GATEWAY}/revoke")
            assert revoked.status_code == 200, revoked.text
            assert revoked.json()["revoked_by"] == "demo-admin"
            assert revoked.json()["online"] is False

            # The running broker applies it: it drops the device's connection on reload, and
            # the device cannot log in again.
            wait_until(lambda: gateway.disconnects, what="revoked device disconnected")
            with peer(broker.port, GATEWAY, passwords[GATEWAY], f"{GATEWAY}-again") as again:
                assert again.connack.is_failure
            # Nobody else is touched, and the broker was reloaded, not restarted.
            state = DeviceState(device=OTHER, epoch=1, seq=0, at=datetime.now(UTC), interval_s=30)
            other_topic = build_topic("testhall", "desk", OTHER, Channel.STATE)
            assert not other.publish(other_topic, encode(state)).is_failure
            assert broker.proc.poll() is None and broker.proc.pid == broker_pid
            assert admin.get("/api/health").json()["broker_connected"]
            assert listed()[GATEWAY]["revoked_at"] is not None
            assert GATEWAY not in (out / "mosquitto" / "passwd").read_text()


def test_off_the_shelf_devices_report_through_their_generated_identities(
    tmp_path: Path, database_url: str, clock: FakeClock
) -> None:
    site = provisioning_site()
    out = tmp_path / "out"
    provision(write_site(site, tmp_path / "site.yaml"), out)
    passwords = yaml.safe_load((out / "credentials.yaml").read_text())["passwords"]
    node = yaml.safe_load(
        (out / "esphome" / f"{ESP_MMWAVE}.yaml").read_text().replace("!secret", "")
    )
    # The topics exactly as the generated ESPHome file names them.
    status_topic = node["mqtt"]["birth_message"]["topic"]
    presence_topic = node["binary_sensor"][0]["has_target"]["state_topic"]
    rssi_topic = node["sensor"][0]["state_topic"]
    version_topic = node["text_sensor"][0]["state_topic"]
    with provisioned_broker(out) as broker:
        settings = Settings(
            database_url=database_url,
            broker_url=broker.url,
            broker_username=SERVER_IDENTITY,
            broker_password=passwords[SERVER_IDENTITY],
            mqtt_client_id="registry-server-2",
            demo_mode=True,
        )
        with (
            ServerThread(create_app(settings, clock=clock, site=site)) as server,
            httpx.Client(base_url=server.url) as facilities,
            peer(broker.port, ESP_MMWAVE, passwords[ESP_MMWAVE], ESP_MMWAVE) as esp,
            peer(broker.port, "z2m-zigbee2mqtt", passwords["z2m-zigbee2mqtt"], "z2m") as z2m,
        ):
            wait_until(
                lambda: facilities.get("/api/health").json()["broker_connected"], what="link"
            )
            sign_in(facilities, "demo-facilities")
            assert not esp.publish(status_topic, b"online", retain=True).is_failure
            assert not esp.publish(presence_topic, b"ON", retain=True).is_failure
            assert not esp.publish(rssi_topic, b"-58").is_failure
            assert not esp.publish(version_topic, b"2026.6.5").is_failure
            body = b'{"occupancy": true, "battery": 91, "linkquality": 120}'
            assert not z2m.publish("zigbee2mqtt/desk f2-b-01-01", body).is_failure

            def reported() -> dict[str, dict[str, object]] | None:
                devices = {d["id"]: d for d in facilities.get("/api/devices").json()}
                esp_done = devices[ESP_MMWAVE]["version"] and devices[ESP_MMWAVE]["rssi"]
                return devices if esp_done and devices[ZIGBEE]["battery"] else None

            devices = wait_until(reported, what="diagnostics in the registry")
            assert devices[ESP_MMWAVE]["online"] is True
            assert devices[ESP_MMWAVE]["rssi"] == -58
            assert devices[ESP_MMWAVE]["version"] == "esphome 2026.6.5"
            assert devices[ZIGBEE]["battery"] == 91 and devices[ZIGBEE]["online"] is True
            floor = facilities.get("/api/floors/f1").json()
            desk = next(d for d in floor["desks"] if d["id"] == "desk-f1-b-01-01")
            assert desk["state"] == "occupied"
