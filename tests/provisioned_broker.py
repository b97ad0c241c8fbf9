"""A real Mosquitto running the files `freeseat provision` wrote, and clients that log in to it."""

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from firmware_config.mosquitto import BrokerFiles, production_config
from server.adapters.embedded_broker import find_mosquitto, free_port, wait_for_port
from tests.support import wait_until


@dataclass
class ProvisionedBroker:
    """Mosquitto with the generated password and ACL files, on loopback and a free port."""

    out: Path
    port: int
    proc: subprocess.Popen[str]
    pid_file: Path
    log: Path
    tls_port: int | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def reload(self) -> None:
        """What an operator's `systemctl reload mosquitto` does: SIGHUP, files re-read."""
        self.proc.send_signal(signal.SIGHUP)


def make_certificates(directory: Path) -> Path:
    """A throwaway CA and a server certificate for 127.0.0.1 (openssl); returns the directory."""
    directory.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=freeseat test CA",
    )
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    )
    return directory


@contextmanager
def provisioned_broker(out: Path, certs: Path | None = None) -> Iterator[ProvisionedBroker]:
    """Start Mosquitto on `out/mosquitto/{passwd,acl}`; stopped when the block ends.

    With `certs` (see make_certificates) it also opens the generated TLS listener snippet,
    moved to a free loopback port and to those certificate files.
    """
    binary = find_mosquitto()
    if binary is None:
        pytest.fail("mosquitto is not installed; scripts/test installs it", pytrace=False)
    port = free_port()
    data = out / "broker-data"
    data.mkdir(exist_ok=True)
    pid_file = data / "mosquitto.pid"
    text = production_config(
        BrokerFiles(password_file=out / "mosquitto" / "passwd", acl_file=out / "mosquitto" / "acl"),
        data_dir=data,
        plain_listener=f"{port} 127.0.0.1",
    )
    # stderr instead of syslog (the test machine has none); root keeps the private directory.
    text = text.replace("log_dest syslog", "log_dest stderr")
    text += f"pid_file {pid_file}\n" + ("user root\n" if os.geteuid() == 0 else "")
    tls_port = None
    if certs is not None:
        tls_port = free_port()
        snippet = (out / "mosquitto" / "tls-listener.conf").read_text()
        snippet = snippet.replace("/etc/mosquitto/certs/", f"{certs}/")
        text += snippet.replace("listener 8883", f"listener {tls_port} 127.0.0.1")
    conf = data / "mosquitto.conf"
    conf.write_text(text)
    log = data / "mosquitto.log"
    with log.open("w") as sink:
        proc = subprocess.Popen([binary, "-c", str(conf)], stderr=sink, text=True)
    try:
        wait_for_port("127.0.0.1", port)
        if tls_port is not None:
            wait_for_port("127.0.0.1", tls_port)
        yield ProvisionedBroker(out, port, proc, pid_file, log, tls_port)
    finally:
        proc.terminate()
        proc.wait(10)


@dataclass
class Peer:
    """One logged-in MQTT v5 client that records what it receives and its PUBACK reasons."""

    client: mqtt.Client
    connack: Any = None
    received: list[tuple[str, bytes]] = field(default_factory=list)
    pubacks: dict[int, Any] = field(default_factory=dict)
    subacks: list[Any] = field(default_factory=list)
    disconnects: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> Any:
        """Publish at QoS 1 and return the broker's PUBACK reason code."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        return wait_until(lambda: self.pubacks.get(info.mid), 10, f"PUBACK for {topic}")

    def subscribe(self, topic: str) -> Any:
        before = len(self.subacks)
        self.client.subscribe(topic, qos=1)
        return wait_until(lambda: self.subacks[before] if len(self.subacks) > before else None)

    def topics(self) -> list[str]:
        with self.lock:
            return [t for t, _ in self.received]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def peer(
    port: int,
    username: str | None,
    password: str | None,
    client_id: str,
    *,
    ca_file: Path | None = None,
) -> Iterator[Peer]:
    """A client connected (or refused: see `.connack`) as `username`; over TLS with `ca_file`."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    if ca_file is not None:
        client.tls_set(ca_certs=str(ca_file))
    client.reconnect_delay_set(60, 60)  # a refused or revoked client must not retry mid-test
    state = Peer(client)
    if username is not None:
        client.username_pw_set(username, password)

    def on_connect(c: mqtt.Client, u: Any, flags: Any, reason: Any, props: Any) -> None:
        state.connack = reason

    def on_message(c: mqtt.Client, u: Any, message: mqtt.MQTTMessage) -> None:
        with state.lock:
            state.received.append((message.topic, bytes(message.payload)))

    def on_publish(c: mqtt.Client, u: Any, mid: int, reason: Any, props: Any) -> None:
        state.pubacks[mid] = reason

    def on_subscribe(c: mqtt.Client, u: Any, mid: int, reasons: Any, props: Any) -> None:
        state.subacks.append(reasons[0])

    def on_disconnect(c: mqtt.Client, u: Any, flags: Any, reason: Any, props: Any) -> None:
        state.disconnects.append(reason)

    client.on_connect = on_connect
    client.on_message = on_message
    client.on_publish = on_publish
    client.on_subscribe = on_subscribe
    client.on_disconnect = on_disconnect
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        wait_until(lambda: state.connack is not None, 10, f"CONNACK for {username}")
        yield state
    finally:
        state.close()
