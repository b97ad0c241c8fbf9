"""On a real Mosquitto running the generated files: each server replica has its own login, a
device cannot take a replica's client id, and oversized packets never reach anyone."""

from pathlib import Path

import yaml

from contracts.codec import MAX_PAYLOAD_BYTES
from firmware_config.provision import ProvisionOptions, provision
from tests.provision_support import GATEWAY, provisioning_site, write_site
from tests.provisioned_broker import peer, provisioned_broker
from tests.support import wait_until

OWN = f"freeseat/v1/testhall/desk/{GATEWAY}/event"


def _env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


def test_replicas_keep_their_sessions_when_a_device_claims_a_replicas_client_id(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    provision(
        write_site(provisioning_site(), tmp_path / "site.yaml"),
        out,
        ProvisionOptions(server_replicas=2),
    )
    one, two = _env(out / "server-1.env"), _env(out / "server-2.env")
    assert not (out / "server.env").exists()
    assert one["FREESEAT_MQTT_CLIENT_ID"] == one["FREESEAT_BROKER_USERNAME"] == "freeseat-server-1"
    assert two["FREESEAT_BROKER_USERNAME"] == "freeseat-server-2"
    assert one["FREESEAT_BROKER_PASSWORD"] != two["FREESEAT_BROKER_PASSWORD"]
    gateway_password = yaml.safe_load((out / "credentials.yaml").read_text())["passwords"][GATEWAY]
    with (
        provisioned_broker(out) as broker,
        peer(
            broker.port, "freeseat-server-1", one["FREESEAT_BROKER_PASSWORD"], "freeseat-server-1"
        ) as first,
        peer(
            broker.port, "freeseat-server-2", two["FREESEAT_BROKER_PASSWORD"], "freeseat-server-2"
        ) as second,
    ):
        assert not first.connack.is_failure and not second.connack.is_failure
        assert not first.subscribe("freeseat/#").is_failure
        assert not second.subscribe("freeseat/#").is_failure
        # A device logs in with its own password but the first replica's client id.
        with peer(broker.port, GATEWAY, gateway_password, "freeseat-server-1") as impostor:
            assert not impostor.connack.is_failure
            assert not impostor.publish(OWN, b"after the takeover attempt").is_failure
        wait_until(lambda: OWN in first.topics(), what="the replica still receives")
        assert OWN in second.topics()
        assert first.disconnects == [] and second.disconnects == []


def test_a_packet_over_the_limit_disconnects_its_sender_and_reaches_nobody(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    provision(write_site(provisioning_site(), tmp_path / "site.yaml"), out)
    conf = (out / "mosquitto" / "mosquitto.conf").read_text()
    assert "use_username_as_clientid true" in conf and "max_packet_size 262144" in conf
    server_env = _env(out / "server.env")
    passwords = yaml.safe_load((out / "credentials.yaml").read_text())["passwords"]
    with (
        provisioned_broker(out) as broker,
        peer(
            broker.port, "freeseat-server", server_env["FREESEAT_BROKER_PASSWORD"], "server"
        ) as server,
    ):
        assert not server.subscribe("freeseat/#").is_failure
        with peer(broker.port, GATEWAY, passwords[GATEWAY], GATEWAY) as device:
            device.client.publish(OWN, b"x" * (5 * 1024 * 1024), qos=1)
            wait_until(lambda: device.disconnects, what="the broker drops the 5 MiB sender")
        # Just over the contract's limit still arrives: the server quarantines it with why.
        with peer(broker.port, GATEWAY, passwords[GATEWAY], GATEWAY) as device:
            assert not device.publish(OWN, b"y" * (MAX_PAYLOAD_BYTES + 1)).is_failure
        wait_until(lambda: server.topics(), what="the slightly oversized payload at the server")
        sizes = [len(payload) for _, payload in server.received]
        assert sizes == [MAX_PAYLOAD_BYTES + 1]
