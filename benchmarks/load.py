"""The load generator: realistic `desk.presence_changed` events, as a backlog or paced."""

from __future__ import annotations

import contextlib
import gc
import random
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from benchmarks.bench_site import BenchSite
from contracts import Channel, DeskPresenceChanged, Kind, SensorClass, build_topic, encode

SESSION_EXPIRY_S = 3600
CONNECT_TIMEOUT_S = 15.0


@contextlib.contextmanager
def generator_without_pauses() -> Iterator[None]:
    """While measuring, the load generator does not stop to collect garbage.

    Its thousand clients and the receipts they gather made full collections of 130-160 ms in
    the generator, which stamped those deliveries late: its own pause, not the server's.
    What it holds now is frozen, and collection waits until the window is over.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


@dataclass(frozen=True, slots=True)
class Event:
    """One published event and what the map should show because of it."""

    topic: str
    payload: bytes
    desk: str
    state: str  # "occupied" or "free"
    at: datetime


class EventSource:
    """Events over every desk of a site in a shuffled round; each visit flips the desk's presence.

    Sequence numbers rise per gateway, and one gateway's events are published in order on one
    connection, so every event is newer than the last one applied to its desk: a server must
    apply each of them, and each one changes what the map shows.
    """

    def __init__(self, bench: BenchSite, seed: int = 1, epoch: int = 1) -> None:
        pairs = [(gateway, desk) for gateway, desks in bench.gateways.items() for desk in desks]
        random.Random(seed).shuffle(pairs)
        self._pairs = pairs
        self._topics = {
            gateway: build_topic(bench.site_id, Kind.DESK, gateway, Channel.EVENT)
            for gateway in bench.gateways
        }
        self._seq = dict.fromkeys(bench.gateways, 0)
        self._present = {desk: False for _, desk in pairs}
        self._epoch = epoch
        self._next = 0

    def next(self, at: datetime | None = None) -> Event:
        gateway, desk = self._pairs[self._next % len(self._pairs)]
        self._next += 1
        self._seq[gateway] += 1
        present = not self._present[desk]
        self._present[desk] = present
        at = at or datetime.now(UTC)
        message = DeskPresenceChanged(
            device=gateway,
            epoch=self._epoch,
            seq=self._seq[gateway],
            at=at,
            desk=desk,
            present=present,
            sensor=SensorClass.MMWAVE,
        )
        return Event(
            self._topics[gateway], encode(message), desk, "occupied" if present else "free", at
        )

    def batch(self, count: int) -> list[Event]:
        at = datetime.now(UTC)
        return [self.next(at) for _ in range(count)]


def set_nodelay(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    """paho leaves Nagle on; freeseat's bridge turns it off, so the bench does too."""
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def mqtt_client(client_id: str, *, manual_ack: bool = False) -> mqtt.Client:
    """An MQTT 5 paho client configured like freeseat's bridge (TCP_NODELAY)."""
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=manual_ack,
    )
    client.on_socket_open = set_nodelay
    return client


def connect(
    client: mqtt.Client,
    host: str,
    port: int,
    *,
    persistent: bool,
    receive_maximum: int | None = None,
    timeout: float = CONNECT_TIMEOUT_S,
) -> None:
    """Connect and start paho's thread; return once the broker accepted the connection."""
    connected = threading.Event()
    refused: list[str] = []

    def on_connect(_c: mqtt.Client, _u: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            refused.append(str(reason))
        connected.set()

    client.on_connect = on_connect
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    if persistent:
        properties.SessionExpiryInterval = SESSION_EXPIRY_S
    if receive_maximum is not None:
        properties.ReceiveMaximum = receive_maximum
    client.connect(host, port, keepalive=60, clean_start=not persistent, properties=properties)
    client.loop_start()
    if not connected.wait(timeout):
        client.loop_stop()
        raise TimeoutError(f"no CONNACK from {host}:{port} within {timeout:.0f} s")
    if refused:
        client.loop_stop()
        raise RuntimeError(f"the broker at {host}:{port} refused the connection: {refused[0]}")


def disconnect(client: mqtt.Client) -> None:
    with contextlib.suppress(Exception):
        client.disconnect()
    client.loop_stop()


def prime_session(
    host: str, port: int, client_id: str, filters: list[str], receive_maximum: int
) -> None:
    """Create a persistent session subscribed (QoS 1) to `filters`, then go offline."""
    client = mqtt_client(client_id)
    subscribed = threading.Event()
    client.on_subscribe = lambda *_args: subscribed.set()
    connect(client, host, port, persistent=True, receive_maximum=receive_maximum)
    try:
        client.subscribe([(f, 1) for f in filters])
        if not subscribed.wait(CONNECT_TIMEOUT_S):
            raise TimeoutError(f"no SUBACK for {client_id!r}")
    finally:
        disconnect(client)


@dataclass(frozen=True, slots=True)
class Published:
    count: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0


def publish_backlog(host: str, port: int, events: list[Event], timeout: float) -> Published:
    """Publish `events` at QoS 1 as fast as the broker acks them; return once all are acked."""
    client = mqtt_client("bench-backlog-publisher")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    acked = 0
    done = threading.Event()
    lock = threading.Lock()

    def on_publish(_c: mqtt.Client, _u: Any, _mid: int, _reason: Any, _props: Any) -> None:
        nonlocal acked
        with lock:
            acked += 1
            if acked >= len(events):
                done.set()

    client.on_publish = on_publish
    connect(client, host, port, persistent=False)
    try:
        started = time.perf_counter()
        for event in events:
            client.publish(event.topic, event.payload, qos=1)
        if events and not done.wait(timeout):
            raise TimeoutError(
                f"the broker acked {acked} of {len(events)} backlog events in {timeout:.0f} s"
            )
        return Published(len(events), time.perf_counter() - started)
    finally:
        disconnect(client)


@dataclass(frozen=True, slots=True)
class Sent:
    """When an event left the load generator (wall clock, as its `at` says) and what it set."""

    t: float
    state: str
    floor: str


class PacedPublisher:
    """Publishes events at a steady rate from its own thread; remembers what it sent and when.

    Each event's `at` is its publish time, so a delta's `since` names the event behind it.
    """

    def __init__(
        self, host: str, port: int, source: EventSource, desk_floor: dict[str, str], rate: float
    ) -> None:
        self._host, self._port = host, port
        self._source = source
        self._desk_floor = desk_floor
        self._rate = rate
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: mqtt.Client | None = None
        self.sent: dict[tuple[str, datetime], Sent] = {}
        self.error: BaseException | None = None
        self.behind_max_s = 0.0

    def connect(self) -> None:
        """Connect before opening thousands of websockets: paho waits on its socket with
        select(), which cannot watch a descriptor numbered 1024 or above."""
        client = mqtt_client("bench-live-publisher")
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)
        connect(client, self._host, self._port, persistent=False)
        self._client = client

    def start(self, duration_s: float) -> None:
        if self._client is None:
            self.connect()
        client = self._client
        assert client is not None
        self._thread = threading.Thread(
            target=self._run, args=(client, duration_s), name="bench-publisher", daemon=True
        )
        self._thread.start()

    def _run(self, client: mqtt.Client, duration_s: float) -> None:
        try:
            interval = 1.0 / self._rate
            start = time.monotonic()
            due = start
            end = start + duration_s
            while not self._stop.is_set():
                now = time.monotonic()
                if now >= end:
                    return
                if now < due:
                    time.sleep(min(due - now, 0.005))
                    continue
                self.behind_max_s = max(self.behind_max_s, now - due)
                while due <= now:
                    t = time.time()
                    event = self._source.next(datetime.fromtimestamp(t, UTC))
                    self.sent[(event.desk, event.at)] = Sent(
                        t, event.state, self._desk_floor[event.desk]
                    )
                    client.publish(event.topic, event.payload, qos=1)
                    due += interval
        except BaseException as exc:  # reported by the scenario, never lost in a thread
            self.error = exc

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def stop(self) -> None:
        self._stop.set()
        self.join(10)
        if self._client is not None:
            disconnect(self._client)
            self._client = None
