"""The one paho client setup: agents and the server's bridges build and connect clients here.

Each caller keeps what is its own (callbacks, the will, in-flight limits) and sets it between
`new_client` and `connect_in_background`.
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass
from typing import Any, Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from contracts.broker import BrokerAddress

MqttProtocol = Literal["5", "3.1.1"]


@dataclass(frozen=True, slots=True)
class ClientSetup:
    """How one paho client reaches its broker and which session it keeps there.

    Credentials given here win over those in the broker URL. With `session_expiry_s` set the
    session is persistent (clean start off; under MQTT 5 the broker keeps it that long after a
    disconnect), so QoS 1 messages not yet acknowledged survive a restart; None: a clean one.
    """

    address: BrokerAddress
    client_id: str
    # "3.1.1" only for brokers without MQTT 5 (amqtt): no session expiry or receive maximum.
    protocol: MqttProtocol = "5"
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    keepalive_s: int = 30
    session_expiry_s: int | None = None
    receive_maximum: int | None = None
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30
    manual_ack: bool = False

    @property
    def v5(self) -> bool:
        return self.protocol == "5"


def new_client(setup: ClientSetup) -> mqtt.Client:
    """A paho client with the protocol, session, credentials, TLS, TCP_NODELAY and reconnect
    delays of `setup`; not connected yet."""
    persistent = setup.session_expiry_s is not None
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=setup.client_id,
        protocol=MQTTProtocolVersion.MQTTv5 if setup.v5 else MQTTProtocolVersion.MQTTv311,
        # MQTT 5 sets clean start when connecting; 3.1.1 only knows clean_session.
        clean_session=None if setup.v5 else not persistent,
        manual_ack=setup.manual_ack,
    )
    username = setup.username or setup.address.username
    if username:
        client.username_pw_set(username, setup.password or setup.address.password)
    if setup.address.tls:
        client.tls_set(ca_certs=setup.ca_file)
    client.reconnect_delay_set(setup.reconnect_min_s, setup.reconnect_max_s)
    client.on_socket_open = _set_nodelay
    return client


def connect_in_background(client: mqtt.Client, setup: ClientSetup) -> None:
    """Connect without waiting (paho retries until the broker is up) and start paho's thread."""
    address = setup.address
    if setup.v5:
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        if setup.session_expiry_s is not None:
            properties.SessionExpiryInterval = setup.session_expiry_s
        if setup.receive_maximum is not None:
            properties.ReceiveMaximum = setup.receive_maximum
        client.connect_async(
            address.host,
            address.port,
            keepalive=setup.keepalive_s,
            clean_start=setup.session_expiry_s is None,
            properties=properties,
        )
    else:
        client.connect_async(address.host, address.port, keepalive=setup.keepalive_s)
    client.loop_start()


def _set_nodelay(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    # paho leaves Nagle on; small QoS 1 packets and their acks would otherwise wait ~40 ms.
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
