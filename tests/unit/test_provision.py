"""`freeseat provision`: files for every device, credentials kept across runs unless rotated."""

import base64
import hashlib
import stat
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from edge_agent.ap_agent import ApAgentConfig
from edge_agent.desk_agent import DeskAgentConfig
from edge_agent.room_agent import RoomAgentConfig
from firmware_config.credentials import SERVER_IDENTITY, mosquitto_hash
from firmware_config.provision import ProvisionError, ProvisionOptions, provision, revoke_device
from firmware_config.site import Device, EsphomeSource
from server.cli import app
from tests.provision_support import (
    AP_AGENT,
    ESP_MMWAVE,
    ESP_PIR,
    GATEWAY,
    ROOM_AGENT,
    ZIGBEE,
    provisioning_site,
    write_site,
)

runner = CliRunner()


def _passwords(out: Path) -> dict[str, str]:
    passwords: dict[str, str] = yaml.safe_load((out / "credentials.yaml").read_text())["passwords"]
    return passwords


def _hashes(out: Path) -> dict[str, str]:
    lines = (out / "mosquitto" / "passwd").read_text().splitlines()
    return dict(line.split(":", 1) for line in lines)


def _verify(password: str, hashed: str) -> bool:
    _, scheme, iterations, salt, digest = hashed.split("$")
    assert scheme == "7"
    again = hashlib.pbkdf2_hmac(
        "sha512", password.encode(), base64.b64decode(salt), int(iterations)
    )
    return again == base64.b64decode(digest)


def test_cli_writes_a_file_for_every_device_and_broker_files(tmp_path: Path) -> None:
    site = write_site(provisioning_site(), tmp_path / "site.yaml")
    out = tmp_path / "out"
    result = runner.invoke(app, ["provision", "--site", str(site), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 ESPHome node(s), 4 agent config(s)" in result.output
    assert sorted(p.name for p in (out / "esphome").iterdir()) == [
        f"{ESP_MMWAVE}.yaml",
        f"{ESP_PIR}.yaml",
        "secrets.yaml",
    ]
    assert sorted(p.stem for p in (out / "agents").iterdir()) == sorted(
        [GATEWAY, "gw-f2-a", AP_AGENT, ROOM_AGENT]
    )
    passwords = _passwords(out)
    hashes = _hashes(out)
    # One identity per device that connects, plus the server and the Zigbee2MQTT bridge.
    assert (
        set(hashes)
        == set(passwords)
        == {
            SERVER_IDENTITY,
            GATEWAY,
            "gw-f2-a",
            ESP_MMWAVE,
            ESP_PIR,
            AP_AGENT,
            ROOM_AGENT,
            "z2m-zigbee2mqtt",
        }
    )
    assert ZIGBEE not in passwords
    assert all(_verify(passwords[who], hashes[who]) for who in hashes)
    assert len(set(passwords.values())) == len(passwords)  # no shared passwords
    for secret in (
        out / "credentials.yaml",
        out / "server.env",
        out / "agents" / f"{GATEWAY}.yaml",
    ):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
    acl = (out / "mosquitto" / "acl").read_text()
    assert f"user {GATEWAY}\ntopic write freeseat/v1/testhall/desk/{GATEWAY}/event\n" in acl
    assert "pattern" not in acl and "topic write #" not in acl
    # The server's applied watermark: the server writes every cmd topic, a device reads its own.
    assert f"topic read freeseat/v1/testhall/desk/{GATEWAY}/cmd\n" in acl
    assert "topic write freeseat/v1/testhall/+/+/cmd\n" in acl
    tls = (out / "mosquitto" / "tls-listener.conf").read_text()
    assert "listener 8883" in tls and "tls_version tlsv1.2" in tls
    env = (out / "server.env").read_text()
    assert f"FREESEAT_BROKER_PASSWORD={passwords[SERVER_IDENTITY]}" in env


def test_rerun_keeps_credentials_and_rotate_replaces_them(tmp_path: Path) -> None:
    site = write_site(provisioning_site(), tmp_path / "site.yaml")
    out = tmp_path / "out"
    provision(site, out)
    first = _passwords(out)
    secrets = out / "esphome" / "secrets.yaml"
    # Facilities fill in the Wi-Fi; a re-run must keep it.
    edited = secrets.read_text().replace("wifi_ssid: CHANGE-ME", "wifi_ssid: cityhall-iot")
    secrets.write_text(edited)
    again = provision(site, out)
    assert _passwords(out) == first and again.new_credentials == []
    assert yaml.safe_load(secrets.read_text())["wifi_ssid"] == "cityhall-iot"
    rotated = provision(site, out, ProvisionOptions(rotate=True))
    after = _passwords(out)
    assert sorted(rotated.new_credentials) == sorted(first)
    assert all(after[who] != first[who] for who in first)
    assert yaml.safe_load(secrets.read_text())["mqtt_password_esp_f1_b1"] == after[ESP_MMWAVE]


def test_revoked_device_leaves_the_broker_files_and_stays_out(tmp_path: Path) -> None:
    site_file = write_site(provisioning_site(), tmp_path / "site.yaml")
    out = tmp_path / "out"
    provision(site_file, out)
    assert revoke_device(provisioning_site(), out, GATEWAY)
    assert GATEWAY not in _hashes(out)
    assert f"user {GATEWAY}" not in (out / "mosquitto" / "acl").read_text()
    report = provision(site_file, out)
    assert GATEWAY not in _hashes(out) and report.revoked == [GATEWAY]
    assert "revoked and left out: gw-f1-a" in str(report)
    with pytest.raises(ProvisionError, match="server's own identity"):
        revoke_device(provisioning_site(), out, SERVER_IDENTITY)
    old = _passwords(tmp_path / "out")
    back = provision(site_file, out, ProvisionOptions(reinstate=(GATEWAY,)))
    assert back.new_credentials == [GATEWAY] and back.revoked == []
    assert _verify(_passwords(out)[GATEWAY], _hashes(out)[GATEWAY])
    assert {k: v for k, v in _passwords(out).items() if k != GATEWAY} == old


def test_problems_name_the_device_and_the_fix(tmp_path: Path) -> None:
    site = provisioning_site()
    crowded = Device(
        id="esp-crowded",
        kind="desk",
        sensor="mmwave",
        esphome=EsphomeSource(
            prefix="esp-crowded",
            binary_sensors={
                "a": "desk-f2-b-01-02",
                "b": "desk-f2-b-01-03",
                "c": "desk-f2-b-01-04",
            },
        ),
    )
    path = write_site(
        site.model_copy(update={"devices": [*site.devices, crowded]}), tmp_path / "s.yaml"
    )
    with pytest.raises(ProvisionError, match="esp-crowded: an ESP32 wires at most 2 LD2410"):
        provision(path, tmp_path / "out")
    clash = Device(
        id="esp-clash",
        kind="desk",
        sensor="pir",
        esphome=EsphomeSource(prefix=ESP_PIR, binary_sensors={"x": "desk-f2-b-01-02"}),
    )
    path = write_site(
        site.model_copy(update={"devices": [*site.devices, clash]}), tmp_path / "c.yaml"
    )
    result = runner.invoke(app, ["provision", "--site", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert f"esphome.prefix: topic prefix {ESP_PIR!r} overlaps device" in result.output


def test_hash_is_the_mosquitto_pbkdf2_sha512_format() -> None:
    hashed = mosquitto_hash("secret", salt=b"\x00" * 12)
    assert hashed.startswith("$7$101$AAAAAAAAAAAAAAAA$")
    assert _verify("secret", hashed) and not _verify("Secret", hashed)


def test_every_agent_file_loads_with_its_agents_own_loader(tmp_path: Path) -> None:
    site = write_site(provisioning_site(), tmp_path / "site.yaml")
    out = tmp_path / "out"
    provision(site, out, ProvisionOptions(server_url="http://freeseat.example:8000"))
    passwords = _passwords(out)
    agents = out / "agents"

    gateway = DeskAgentConfig.load(agents / f"{GATEWAY}.yaml")
    assert gateway.broker is None  # found by zeroconf
    assert (gateway.username, gateway.password) == (GATEWAY, passwords[GATEWAY])
    assert [d.id for d in gateway.desks] == [f"desk-f1-a-01-0{n}" for n in range(1, 5)]
    assert {type(gateway.source_of(d)).__name__ for d in gateway.desks} == {"Ld2410SourceConfig"}
    assert gateway.outbox == (agents / f"{GATEWAY}.outbox.sqlite").resolve()
    pir = DeskAgentConfig.load(agents / "gw-f2-a.yaml")
    assert [pir.source_of(d).type for d in pir.desks] == ["gpio"] * 4

    ap = ApAgentConfig.load(agents / f"{AP_AGENT}.yaml")
    assert ap.access_point == "ap-f1-1" and ap.bssids == ["02:00:00:00:01:01"]
    assert ap.broker is None  # found by zeroconf too
    assert ap.password == passwords[AP_AGENT]

    room = RoomAgentConfig.load(agents / f"{ROOM_AGENT}.yaml")
    assert room.room == "room-f1-1" and room.server == "http://freeseat.example:8000"
    assert room.password == passwords[ROOM_AGENT]

    pinned = tmp_path / "pinned"
    provision(site, pinned, ProvisionOptions(agent_broker="mqtts://mqtt.example:8883"))
    assert DeskAgentConfig.load(pinned / "agents" / f"{GATEWAY}.yaml").broker == (
        "mqtts://mqtt.example:8883"
    )
    pinned_room = RoomAgentConfig.load(pinned / "agents" / f"{ROOM_AGENT}.yaml")
    # Without a server URL, the room agent finds the server as it finds the broker.
    assert (pinned_room.broker, pinned_room.server) == ("mqtts://mqtt.example:8883", None)
