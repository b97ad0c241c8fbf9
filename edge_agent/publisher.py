"""One device's MQTT publisher: outbox-first QoS 1 events, retained status and heartbeats."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from contracts import (
    ApEvent,
    Channel,
    ContractError,
    DeskPresenceChanged,
    DeviceBooted,
    DeviceCommand,
    DeviceState,
    DeviceStatus,
    Kind,
    RoomEvent,
    SensorClass,
    build_topic,
    decode,
    encode,
)
from edge_agent.clock import Clock
from edge_agent.outbox import Outbox

log = logging.getLogger(__name__)

SequencedEvent = DeskPresenceChanged | DeviceBooted | RoomEvent | ApEvent

# Tags for publishes that are not outbox rows (outbox row ids start at 1).
_OTHER = 0
_ONLINE = -1

# PUBACK reasons that will never change on a retry: the row is dropped (and counted).
_PERMANENT_REFUSALS = frozenset({0x87, 0x90, 0x95, 0x99})  # not authorized, bad topic, size, format


def _properties(packet_type: int) -> Properties:
    """Empty MQTT 5 properties for a packet type (paho's constructor is untyped)."""
    return Properties(packet_type)  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where the broker listens, parsed from `mqtt://host[:port]` or `mqtts://host[:port]`."""

    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker_url(url: str) -> BrokerAddress:
    """Parse a broker URL; raises ValueError saying what a valid one looks like."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError(
            f"broker URL {url!r} must start with mqtt:// or mqtts://, e.g. mqtt://127.0.0.1:1883"
        )
    if not parts.hostname:
        raise ValueError(f"broker URL {url!r} names no host, e.g. mqtt://broker.local:1883")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"broker URL {url!r} has an invalid port") from None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"broker URL {url!r} must not have a path or query")
    tls = parts.scheme == "mqtts"
    return BrokerAddress(
        host=parts.hostname,
        port=port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """How a publisher reaches its broker; credentials in the URL are used if none are given."""

    broker_url: str
    # "3.1.1" only for brokers without MQTT 5 (amqtt): no session or message expiry then.
    protocol: Literal["5", "3.1.1"] = "5"
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


@dataclass(frozen=True, slots=True)
class PublisherStats:
    """Counters of one publisher since it started."""

    device: str
    epoch: int
    last_seq: int
    online: bool
    connects: int
    events: int
    acked: int
    refused: int
    pending: int
    dropped: int
    states: int


class DevicePublisher:
    """Publishes one device's events through its outbox, plus status and heartbeats.

    Every event is committed to the outbox before paho sees it and deleted on PUBACK; after
    each (re)connect the retained `online` status goes first, and once the broker has
    acknowledged it the remaining rows are replayed in outbox order.
    """

    def __init__(
        self,
        *,
        site: str,
        device: str,
        outbox: Outbox,
        settings: ConnectionSettings,
        clock: Clock,
        kind: Kind = Kind.DESK,
        on_online: Callable[[], None] | None = None,
        on_command: Callable[[DeviceCommand], None] | None = None,
    ) -> None:
        self.site = site
        self.device = device
        self.kind = kind
        self._outbox = outbox
        self._settings = settings
        self._clock = clock
        self._on_online = on_online
        self._on_command = on_command
        self._address = parse_broker_url(settings.broker_url)
        self._v5 = settings.protocol == "5"
        self._event_topic = build_topic(site, kind, device, Channel.EVENT)
        self._state_topic = build_topic(site, kind, device, Channel.STATE)
        self._status_topic = build_topic(site, kind, device, Channel.STATUS)
        self._cmd_topic = build_topic(site, kind, device, Channel.CMD)

        # The pump hands outbox rows to paho; only one thread pumps at a time, and nobody
        # ever waits for the lock, because paho's thread pumps from inside on_publish while
        # holding paho's own message lock.
        self._send_lock = threading.Lock()
        self._pump_requested = False
        self._handed_upto = 0
        self._gate = threading.Event()  # set once the broker acknowledged this connection's online
        # mid -> outbox row id (or a tag), and acks that arrived before publish() returned.
        self._mid_lock = threading.Lock()
        self._tracked: dict[int, int] = {}
        self._early: dict[int, ReasonCode] = {}
        self._outstanding = 0

        self._counter_lock = threading.Lock()
        self._connects = 0
        self._events = 0
        self._acked = 0
        self._refused = 0
        self._states = 0
        self._started = False
        self._stopping = False

        self._client = self._make_client()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def epoch(self) -> int:
        return self._outbox.epoch

    @property
    def online(self) -> bool:
        """True while connected and the broker has acknowledged this connection's status."""
        return self._gate.is_set()

    def start(self) -> None:
        """Connect in the background; reconnects forever with bounded backoff until stop()."""
        if self._started:
            return
        self._started = True
        if self._v5:
            self._client.connect_async(
                self._address.host,
                self._address.port,
                keepalive=self._settings.keepalive_s,
                clean_start=False,
                properties=self._connect_properties(),
            )
        else:
            self._client.connect_async(
                self._address.host, self._address.port, keepalive=self._settings.keepalive_s
            )
        self._client.loop_start()

    def wait_online(self, timeout: float) -> bool:
        """Block until online (see `online`) or timeout; returns whether it is online."""
        return self._gate.wait(timeout)

    def stop(self, *, drain_s: float = 2.0) -> None:
        """Let the broker take what it can within drain_s, publish `offline`, and disconnect.

        Rows not yet acknowledged stay in the outbox and are replayed on the next start.
        """
        if not self._started:
            return
        deadline = time.monotonic() + drain_s
        while len(self._outbox) and self._gate.is_set() and time.monotonic() < deadline:
            time.sleep(0.02)
        if self._client.is_connected():
            # A clean disconnect suppresses the will, so say "offline" ourselves.
            info = self._client.publish(
                self._status_topic, self._status("offline"), qos=1, retain=True
            )
            self._track(info.mid, _OTHER)
            try:
                info.wait_for_publish(timeout=max(0.1, deadline - time.monotonic()) + 1.0)
            except (RuntimeError, ValueError):
                log.info("%s: offline status not confirmed before disconnect", self.device)
        self._stopping = True
        self._gate.clear()
        self._client.disconnect()
        self._client.loop_stop()
        self._started = False

    def socket(self) -> Any:
        """The client's current socket (or None), for fault injection in tests."""
        return self._client.socket()

    def stats(self) -> PublisherStats:
        """A snapshot of the counters, the outbox and the connection."""
        box = self._outbox.stats()
        with self._counter_lock:
            return PublisherStats(
                device=self.device,
                epoch=box.epoch,
                last_seq=box.last_seq,
                online=self._gate.is_set(),
                connects=self._connects,
                events=self._events,
                acked=self._acked,
                refused=self._refused,
                pending=box.pending,
                dropped=box.dropped,
                states=self._states,
            )

    # -- publishing --------------------------------------------------------------------------

    def emit(self, build: Callable[[int, int], SequencedEvent]) -> SequencedEvent:
        """Commit `build(epoch, seq)` to the outbox, then publish it at QoS 1 when online."""
        built: list[SequencedEvent] = []

        def make(epoch: int, seq: int) -> bytes:
            event = build(epoch, seq)
            built.append(event)
            return encode(event)

        self._outbox.append(self._event_topic, make)
        with self._counter_lock:
            self._events += 1
        self._pump()
        return built[0]

    def booted(self, at: datetime, version: str) -> DeviceBooted:
        """Emit `device.booted` for this epoch."""
        event = self.emit(
            lambda epoch, seq: DeviceBooted(
                device=self.device, epoch=epoch, seq=seq, at=at, version=version
            )
        )
        assert isinstance(event, DeviceBooted)
        return event

    def presence_changed(
        self, desk: str, present: bool, sensor: SensorClass, at: datetime
    ) -> DeskPresenceChanged:
        """Emit a debounced `desk.presence_changed`."""
        event = self.emit(
            lambda epoch, seq: DeskPresenceChanged(
                device=self.device,
                epoch=epoch,
                seq=seq,
                at=at,
                desk=desk,
                present=present,
                sensor=sensor,
            )
        )
        assert isinstance(event, DeskPresenceChanged)
        return event

    def publish_state(
        self,
        *,
        at: datetime,
        interval_s: float,
        version: str,
        uptime_s: float,
        desks: Mapping[str, bool],
        battery: float | None = None,
        rssi: float | None = None,
    ) -> bool:
        """Publish the retained heartbeat (expiring after ~2 intervals); False when offline.

        Heartbeats skip the outbox: only the newest one matters, and a stale one would lie.
        """
        if not self._client.is_connected():
            return False
        state = DeviceState(
            device=self.device,
            epoch=self._outbox.epoch,
            seq=self._outbox.last_seq,
            at=at,
            interval_s=interval_s,
            version=version,
            uptime_s=uptime_s,
            battery=battery,
            rssi=rssi,
            desks=dict(desks),
        )
        properties = None
        if self._v5:
            properties = _properties(PacketTypes.PUBLISH)
            properties.MessageExpiryInterval = max(1, round(2 * interval_s))
        info = self._client.publish(
            self._state_topic, encode(state), qos=1, retain=True, properties=properties
        )
        self._track(info.mid, _OTHER)
        with self._counter_lock:
            self._states += 1
        return True

    def _pump(self) -> None:
        """Hand outbox rows newer than the last handed one to paho, in id order."""
        self._pump_requested = True
        while self._pump_requested:
            if not self._send_lock.acquire(blocking=False):
                return  # the holder re-checks the request after releasing
            try:
                self._pump_requested = False
                self._pump_locked()
            finally:
                self._send_lock.release()

    def _pump_locked(self) -> None:
        while self._gate.is_set():
            room = self._settings.window - self._outstanding
            if room <= 0:
                return  # the next PUBACK pumps again
            limit = min(room, 500)
            rows = self._outbox.pending(after_id=self._handed_upto, limit=limit)
            for row in rows:
                if not self._gate.is_set():
                    return  # disconnected: the rest waits for the next online
                info = self._client.publish(row.topic, row.payload, qos=1)
                with self._mid_lock:
                    self._outstanding += 1
                self._track(info.mid, row.id)
                self._handed_upto = row.id
            if len(rows) < limit:
                # All caught up; a row appended meanwhile set _pump_requested, so _pump loops.
                return

    def _track(self, mid: int, tag: int) -> None:
        with self._mid_lock:
            reason = self._early.pop(mid, None)
            if reason is None:
                self._tracked[mid] = tag
                return
        self._acknowledged(tag, reason)

    # -- paho callbacks (paho's thread) ------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        if self._v5:
            client = mqtt.Client(
                callback_api_version=CallbackAPIVersion.VERSION2,
                client_id=self.device,
                protocol=MQTTProtocolVersion.MQTTv5,
            )
        else:
            client = mqtt.Client(
                callback_api_version=CallbackAPIVersion.VERSION2,
                client_id=self.device,
                protocol=MQTTProtocolVersion.MQTTv311,
                clean_session=False,
            )
        if log.isEnabledFor(logging.DEBUG):
            # paho logs routine shutdown races at ERROR; only worth seeing when debugging.
            client.enable_logger(logging.getLogger(f"{__name__}.paho"))
        username = self._settings.username or self._address.username
        password = self._settings.password or self._address.password
        if username is not None:
            client.username_pw_set(username, password)
        if self._address.tls:
            client.tls_set(ca_certs=self._settings.ca_file)
        client.reconnect_delay_set(self._settings.reconnect_min_s, self._settings.reconnect_max_s)
        client.max_inflight_messages_set(self._settings.max_inflight)
        # Unlimited here: the outbox window bounds what paho holds.
        client.max_queued_messages_set(0)
        self._set_will(client)
        client.on_pre_connect = self._on_pre_connect
        client.on_socket_open = self._on_socket_open
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    def _connect_properties(self) -> Properties:
        properties = _properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self._settings.session_expiry_s
        return properties

    def _status(self, status: str) -> bytes:
        return encode(
            DeviceStatus(
                device=self.device,
                epoch=self._outbox.epoch,
                status="online" if status == "online" else "offline",
                at=self._clock.now(),
            )
        )

    def _set_will(self, client: mqtt.Client) -> None:
        client.will_set(self._status_topic, self._status("offline"), qos=1, retain=True)

    def _on_pre_connect(self, client: mqtt.Client, userdata: Any) -> None:
        # Refresh the will so its `at` is this connection's, not the first one's.
        self._set_will(client)

    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        # paho leaves Nagle on; small QoS 1 messages would otherwise wait for delayed ACKs.
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            log.debug("%s: TCP_NODELAY not available on %r", self.device, sock)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.warning(
                "%s: broker %s refused the connection: %s",
                self.device,
                self._address.url,
                reason.getName(),
            )
            return
        with self._counter_lock:
            self._connects += 1
        log.info(
            "%s: connected to %s (session present: %s)",
            self.device,
            self._address.url,
            flags.session_present,
        )
        client.subscribe(self._cmd_topic, qos=1)
        # paho resends its unacknowledged messages right after this callback returns; new rows
        # wait for the PUBACK of this status so they cannot overtake those resends.
        info = client.publish(self._status_topic, self._status("online"), qos=1, retain=True)
        self._track(info.mid, _ONLINE)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._gate.clear()
        if not self._stopping:
            log.info("%s: disconnected (%s); reconnecting", self.device, reason.getName())

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason: ReasonCode,
        properties: Properties,
    ) -> None:
        with self._mid_lock:
            tag = self._tracked.pop(mid, None)
            if tag is None:
                self._early[mid] = reason
                return
        self._acknowledged(tag, reason)

    def _acknowledged(self, tag: int, reason: ReasonCode) -> None:
        if tag == _ONLINE:
            self._gate.set()
            if self._on_online is not None:
                self._on_online()
            self._pump()
            return
        if tag == _OTHER:
            return
        with self._mid_lock:
            self._outstanding -= 1
        if not reason.is_failure:
            self._outbox.delete(tag)
            with self._counter_lock:
                self._acked += 1
        else:
            with self._counter_lock:
                self._refused += 1
            if reason.value in _PERMANENT_REFUSALS:
                log.error(
                    "%s: broker refused event row %d for good (%s); dropped",
                    self.device,
                    tag,
                    reason.getName(),
                )
                self._outbox.delete(tag)
            else:
                log.warning(
                    "%s: broker refused event row %d (%s); kept for the next start",
                    self.device,
                    tag,
                    reason.getName(),
                )
        self._pump()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            decoded = decode(message.topic, message.payload)
        except ContractError as exc:
            log.warning("%s: ignored a command that breaks the contract: %s", self.device, exc)
            return
        if isinstance(decoded.message, DeviceCommand) and self._on_command is not None:
            self._on_command(decoded.message)
