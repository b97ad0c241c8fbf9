"""How an agent reaches its broker: the settings its client uses, from its file or zeroconf."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from contracts import BrokerAddress
from contracts.mqtt_client import ClientSetup, MqttProtocol
from edge_agent.discovery import AdvertCheck, FoundServer, discover_unless_stopped
from edge_agent.runtime.config import AgentConfig


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """How a publisher reaches its broker; credentials in the URL are used if none are given."""

    broker_url: str
    # "3.1.1" only for brokers without MQTT 5 (amqtt): no session or message expiry then.
    protocol: MqttProtocol = "5"
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    keepalive_s: int = 30
    session_expiry_s: int = 7 * 24 * 3600
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30
    # Mosquitto's default receive maximum is 20; paho must not exceed what the broker allows.
    max_inflight: int = 20
    # Events handed to paho but not yet acknowledged; bounds memory and keeps mids unique.
    window: int = 1000
    # How long the oldest outbox row may wait for the server's watermark before the outbox is
    # sent again (doubling while the server stays silent).
    resend_after_s: float = 30.0

    def client_setup(self, client_id: str) -> ClientSetup:
        """The paho setup of one device's client: a persistent session under its own id."""
        return ClientSetup(
            address=BrokerAddress.parse(self.broker_url),
            client_id=client_id,
            protocol=self.protocol,
            username=self.username,
            password=self.password,
            ca_file=self.ca_file,
            keepalive_s=self.keepalive_s,
            session_expiry_s=self.session_expiry_s,
            reconnect_min_s=self.reconnect_min_s,
            reconnect_max_s=self.reconnect_max_s,
        )


@dataclass(frozen=True, slots=True)
class BrokerReach:
    """How an agent reaches its broker, and the server discovery found (None: not asked)."""

    settings: ConnectionSettings
    found: FoundServer | None


def broker_trust(config: AgentConfig) -> AdvertCheck:
    """Which discovered brokers may have this agent's login: any when it has none; otherwise
    only a TLS broker whose certificate verifies against the CA in the agent's file, since an
    mDNS advert can come from anyone on the network."""

    def check(found: FoundServer) -> str | None:
        if not (config.username or config.password):
            return None
        if not BrokerAddress.parse(found.broker_url).tls:
            return (
                "plain mqtt:// would show this agent's broker login to whoever answers; "
                "put `broker:` in the agent config, or serve mqtts:// and give `ca_file:`"
            )
        if config.ca_file is None:
            return "its certificate cannot be checked: give `ca_file:` in the agent config"
        return None

    return check


def reach_broker(
    config: AgentConfig,
    stop: threading.Event,
    *,
    settings: ConnectionSettings | None = None,
    find_server: bool = False,
) -> BrokerReach | None:
    """The connection settings of an agent: `settings` when given (tests), else the config's
    broker and credentials. Browses zeroconf when the config names no broker, or when the
    agent also needs the server (`find_server`); a discovered broker is used only when
    `broker_trust` lets it have the login. None: stopped before any server answered."""
    broker = config.broker
    found = None
    if find_server or (settings is None and broker is None):
        # The discovered broker gets the login only when the file names none of its own.
        accept = broker_trust(config) if broker is None and settings is None else None
        found = discover_unless_stopped(config.site, config.discovery_interfaces, stop, accept)
        if found is None:
            return None
        broker = broker or found.broker_url
    if settings is None:
        if broker is None:  # unreachable: with neither, discovery ran above and set it
            raise ValueError("no broker configured and none discovered")
        settings = ConnectionSettings(
            broker_url=broker,
            username=config.username,
            password=config.password,
            ca_file=config.ca_file,
            resend_after_s=config.resend_after_s,
        )
    return BrokerReach(settings, found)
