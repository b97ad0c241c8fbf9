"""A real Mosquitto on the generated password and ACL files keeps every device in its lane."""

from pathlib import Path

import yaml

from firmware_config.credentials import HOME_ASSISTANT_BRIDGE_IDENTITY, SERVER_IDENTITY
from firmware_config.provision import ProvisionOptions, provision
from tests.provision_support import (
    ESP_MMWAVE,
    ESP_MMWAVE_PREFIX,
    ESP_PIR,
    GATEWAY,
    provisioning_site,
    write_site,
)
from tests.provisioned_broker import make_certificates, peer, provisioned_broker
from tests.support import wait_until

OWN = f"freeseat/v1/testhall/desk/{GATEWAY}/event"
OTHERS = "freeseat/v1/testhall/desk/gw-f2-a/event"


def _passwords(out: Path) -> dict[str, str]:
    data = yaml.safe_load((out / "credentials.yaml").read_text())
    passwords: dict[str, str] = data["passwords"]
    return passwords


def test_devices_publish_only_their_own_topics_and_the_server_reads_all(tmp_path: Path) -> None:
    out = tmp_path / "out"
    provision(write_site(provisioning_site(), tmp_path / "site.yaml"), out)
    passwords = _passwords(out)
    with (
        provisioned_broker(out) as broker,
        peer(broker.port, SERVER_IDENTITY, passwords[SERVER_IDENTITY], "server") as server,
    ):
        assert not server.connack.is_failure
        assert not server.subscribe("#").is_failure
        with peer(broker.port, GATEWAY, passwords[GATEWAY], GATEWAY) as gateway:
            assert not gateway.connack.is_failure
            assert not gateway.publish(OWN, b"mine").is_failure
            refused = gateway.publish(OTHERS, b"spoofed")
            assert refused.is_failure and "not authorized" in str(refused).lower()
            # The server writes the gateway's cmd topic (its retained applied watermark), the
            # gateway reads its own and may not write it.
            cmd = f"freeseat/v1/testhall/desk/{GATEWAY}/cmd"
            assert not server.publish(cmd, b"watermark", retain=True).is_failure
            assert gateway.subscribe(cmd).value < 0x80
            wait_until(
                lambda: cmd in gateway.topics(), what="the retained watermark at the gateway"
            )
            assert gateway.publish(cmd, b"x").is_failure
        with peer(broker.port, ESP_MMWAVE, passwords[ESP_MMWAVE], ESP_MMWAVE) as node:
            assert not node.publish(
                f"{ESP_MMWAVE_PREFIX}/binary_sensor/desk-1/state", b"ON"
            ).is_failure
            assert node.publish(f"{ESP_PIR}/binary_sensor/desk_3/state", b"ON").is_failure
            assert node.publish(f"freeseat/v1/testhall/desk/{ESP_PIR}/event", b"x").is_failure
            # A marker after the refused ones: once it arrives, they would have too.
            assert not node.publish(f"{ESP_MMWAVE_PREFIX}/status", b"online").is_failure
        wait_until(
            lambda: f"{ESP_MMWAVE_PREFIX}/status" in server.topics(), what="marker at server"
        )
        seen = server.topics()
        assert OWN in seen and f"{ESP_MMWAVE_PREFIX}/binary_sensor/desk-1/state" in seen
        assert OTHERS not in seen
        assert f"{ESP_PIR}/binary_sensor/desk_3/state" not in seen
        assert f"freeseat/v1/testhall/desk/{ESP_PIR}/event" not in seen


def test_anonymous_and_wrong_passwords_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    provision(write_site(provisioning_site(), tmp_path / "site.yaml"), out)
    passwords = _passwords(out)
    with provisioned_broker(out) as broker:
        with peer(broker.port, None, None, "anonymous") as anonymous:
            assert anonymous.connack.is_failure
        with peer(broker.port, GATEWAY, passwords["gw-f2-a"], GATEWAY) as wrong:
            assert wrong.connack.is_failure
        # Credentials of one site-file device do not open another's topics under its name.
        with peer(broker.port, "gw-unknown", passwords[GATEWAY], "gw-unknown") as stranger:
            assert stranger.connack.is_failure


def test_home_assistant_identity_reads_desk_states_and_nothing_of_the_devices(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    site = write_site(provisioning_site(), tmp_path / "site.yaml")
    provision(site, out, ProvisionOptions(home_assistant=True))
    passwords = _passwords(out)
    bridge_login = HOME_ASSISTANT_BRIDGE_IDENTITY, passwords[HOME_ASSISTANT_BRIDGE_IDENTITY]
    with (
        provisioned_broker(out) as broker,
        peer(broker.port, *bridge_login, "bridge") as bridge,
        peer(broker.port, SERVER_IDENTITY, passwords[SERVER_IDENTITY], "server") as server,
        peer(broker.port, "homeassistant", passwords["homeassistant"], "ha") as ha,
        peer(broker.port, GATEWAY, passwords[GATEWAY], GATEWAY) as gateway,
    ):
        assert not ha.subscribe("homeassistant/#").is_failure
        assert not ha.subscribe("freeseat/ha/testhall/#").is_failure
        ha.subscribe("freeseat/v1/#")  # not granted: nothing of the devices arrives
        assert not gateway.publish(OWN, b"device traffic").is_failure
        assert not bridge.publish("homeassistant/device/desk-f1-a-01-01/config", b"{}").is_failure
        assert not bridge.publish("freeseat/ha/testhall/desk/desk-f1-a-01-01", b"{}").is_failure
        # The server's own login writes commands only; the bridge has a login of its own.
        assert server.publish("homeassistant/device/desk-f1-a-01-02/config", b"{}").is_failure
        assert gateway.publish("homeassistant/device/desk-x/config", b"{}").is_failure
        wait_until(
            lambda: "freeseat/ha/testhall/desk/desk-f1-a-01-01" in ha.topics(),
            what="desk state at Home Assistant",
        )
        assert "homeassistant/device/desk-f1-a-01-01/config" in ha.topics()
        assert OWN not in ha.topics()
        assert "homeassistant/device/desk-x/config" not in ha.topics()


def test_devices_log_in_over_the_generated_tls_listener(tmp_path: Path) -> None:
    out = tmp_path / "out"
    provision(write_site(provisioning_site(), tmp_path / "site.yaml"), out)
    passwords = _passwords(out)
    certs = make_certificates(tmp_path / "certs")
    with (
        provisioned_broker(out, certs) as broker,
        peer(broker.port, SERVER_IDENTITY, passwords[SERVER_IDENTITY], "server") as server,
    ):
        assert broker.tls_port is not None
        assert not server.subscribe("#").is_failure
        with peer(
            broker.tls_port, GATEWAY, passwords[GATEWAY], GATEWAY, ca_file=certs / "ca.crt"
        ) as gateway:
            assert not gateway.connack.is_failure
            assert not gateway.publish(OWN, b"over tls").is_failure
            assert gateway.publish(OTHERS, b"spoofed over tls").is_failure
        wait_until(lambda: OWN in server.topics(), what="TLS device's message at the server")
        assert OTHERS not in server.topics()
        with peer(
            broker.tls_port, GATEWAY, "wrong-password", "again", ca_file=certs / "ca.crt"
        ) as wrong:
            assert wrong.connack.is_failure
