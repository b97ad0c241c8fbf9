"""The MQTT bridge: paho on its own thread hands messages to the event loop; acks after commit."""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt

from contracts import BrokerAddress, Channel, Kind, subscription
from contracts.mqtt_client import ClientSetup, MqttProtocol, connect_in_background, new_client

log = logging.getLogger(__name__)

# Long enough that a server restart or upgrade finds its unacked messages still queued.
SESSION_EXPIRY_S = 7 * 24 * 3600
LEAVE_GROUP_TIMEOUT_S = 2.0
ACK_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Received:
    """A message waiting for its transaction; `mid`/`qos` are what the ack needs."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    # Delivered because the broker kept it (a subscription replays retained messages), not
    # because the device just published it: it may be hours old.
    retained: bool = False


class MqttBridge:
    """Subscribes to the site's device topics with a persistent session and manual acks."""

    def __init__(
        self,
        *,
        broker_url: str,
        client_id: str,
        site: str,
        loop: asyncio.AbstractEventLoop,
        queue: asyncio.Queue[Received],
        receive_maximum: int,
        protocol: MqttProtocol = "5",
        extra_filters: Sequence[str] = (),
        username: str | None = None,
        password: str | None = None,
        share_group: str | None = None,
        leave_share_on_stop: bool = False,
        partitioned: bool = False,
    ) -> None:
        """`partitioned`: subscribe to nothing by itself; a DevicePartitions owner tells it which
        device topics to take (`subscribe`) and give up (`unsubscribe`)."""
        # Replicas subscribe as one shared group, so the broker hands each message to one of them.
        self._share_prefix = f"$share/{share_group}/" if share_group else ""
        self._shared: list[str] = []
        self._leave_share_on_stop = leave_share_on_stop
        self._site = site
        self._extra_filters = list(extra_filters)
        self._loop = loop
        self._queue = queue
        # Brokers do not reliably honour Receive Maximum (Mosquitto sent 140 past a window
        # of 20 in our tests), so the bound is ours: paho's thread waits for a free slot,
        # which stops it reading the socket and pushes back on the broker. A slot is freed
        # by the ack, i.e. after commit.
        self._slots = threading.BoundedSemaphore(receive_maximum)
        # Messages handed from paho's thread to the event loop in bursts: waking the loop
        # once per message (call_soon_threadsafe writes to its self-pipe) cost more CPU than
        # applying the message.
        self._handoff: collections.deque[Received] = collections.deque()
        self._handoff_scheduled = False
        self._stopping = threading.Event()
        self._partitioned = partitioned
        # Partition filters held now (re-sent on every connect), and SUBACK/UNSUBACK waiters.
        self._held: set[str] = set()
        self._acks: dict[int, asyncio.Future[None]] = {}
        self._acks_lock = threading.Lock()
        # The broker accepted our session. `connected` means more: nothing published to the
        # site's topics can pass us by (when partitioned, every partition has a subscriber).
        self.link_up = False
        self.connected = False
        self._setup = ClientSetup(
            address=BrokerAddress.parse(broker_url),
            client_id=client_id,
            protocol=protocol,
            username=username,
            password=password,
            session_expiry_s=SESSION_EXPIRY_S,
            receive_maximum=receive_maximum,
            reconnect_max_s=10,
            manual_ack=True,
        )
        client = new_client(self._setup)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_unsubscribe = self._on_unsubscribe
        self._client = client

    def start(self) -> None:
        """Connect in the background (paho retries until the broker is up) and start its thread."""
        connect_in_background(self._client, self._setup)

    def stop(self) -> None:
        self._stopping.set()
        if self._leave_share_on_stop and self._share_prefix and self._shared and self.connected:
            # Leave the share group first: the broker would otherwise keep queueing this
            # replica's share of new messages in its session until it came back. Only on
            # request: were every replica to leave, the broker would drop what agents publish
            # until one is back (a shared subscription with no member keeps nothing).
            left = threading.Event()
            self._client.on_unsubscribe = lambda *_: left.set()
            self._client.unsubscribe(self._shared)
            left.wait(LEAVE_GROUP_TIMEOUT_S)
        self._client.disconnect()
        self._client.loop_stop()

    def ack(self, received: Received) -> None:
        """Acknowledge one message; call only after its effect is committed."""
        if received.qos > 0:
            self._client.ack(received.mid, received.qos)
        self._slots.release()

    def publish_retained(self, topic: str, payload: bytes) -> None:
        """Publish the server's retained word to a device (its applied watermark); paho's thread
        sends it. QoS 0: nothing depends on its delivery (an agent that misses one sends those
        rows again and is named in the next), and QoS 1 cost twice the CPU (paho tracks and
        settles each publish): ~16 against ~7 µs per ingested event in the bench's batches."""
        self._client.publish(topic, payload, qos=0, retain=True)

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, flags: Any, reason: Any, _properties: Any
    ) -> None:
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return
        log.info("connected to broker (session present: %s)", flags.session_present)
        self.link_up = True
        if self._partitioned:
            held = sorted(self._held)
            if held:
                client.subscribe([(topic, 1) for topic in held])
            return
        topics = [
            (subscription(self._site, kind, channel), 1)
            for kind in Kind
            for channel in (Channel.EVENT, Channel.STATE, Channel.STATUS)
        ]
        topics += [(topic_filter, 1) for topic_filter in self._extra_filters]
        self._shared = [self._share_prefix + topic for topic, _ in topics]
        client.subscribe([(self._share_prefix + topic, qos) for topic, qos in topics])

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: Any, mid: int, reasons: Any, _props: Any
    ) -> None:
        granted = all(not r.is_failure for r in reasons)
        if not granted:
            log.error("broker refused a subscription: %s", reasons)
        if not self._partitioned:
            # Only now can nothing published to the site's topics pass us by.
            self.connected = granted
        self._acked(mid, None if granted else f"broker refused: {reasons}")

    def _on_unsubscribe(
        self, _client: mqtt.Client, _userdata: Any, mid: int, _reasons: Any, _props: Any
    ) -> None:
        self._acked(mid, None)  # "no subscription existed" is as good as gone

    def _acked(self, mid: int, refusal: str | None) -> None:
        with self._acks_lock:
            waiter = self._acks.pop(mid, None)
        if waiter is not None:
            self._loop.call_soon_threadsafe(_settle, waiter, refusal)

    async def subscribe(self, filters: Sequence[str]) -> None:
        """Take these topic filters (QoS 1, in the persistent session); returns on SUBACK."""
        self._held.update(filters)
        if not filters:
            return  # an empty SUBSCRIBE is a malformed packet: the broker would disconnect us
        await self._request(lambda: self._client.subscribe([(f, 1) for f in filters]))

    async def unsubscribe(self, filters: Sequence[str]) -> None:
        """Give these topic filters up; returns on UNSUBACK (what was queued still arrives)."""
        self._held.difference_update(filters)
        if not filters:
            return
        await self._request(lambda: self._client.unsubscribe(list(filters)))

    async def _request(self, send: Callable[[], tuple[Any, int | None]]) -> None:
        waiter = self._loop.create_future()
        # Held across the send, so an ack that beats the registration still finds its waiter.
        with self._acks_lock:
            result, mid = send()
            if result != mqtt.MQTT_ERR_SUCCESS or mid is None:
                raise ConnectionError(f"the broker link is down ({result})")
            self._acks[mid] = waiter
        # A link that drops before the answer never brings it: the caller tries again later.
        await asyncio.wait_for(waiter, ACK_TIMEOUT_S)

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self.connected = self.link_up = False
        if self._stopping.is_set():
            log.info("disconnected from broker on shutdown")
        else:
            log.warning("disconnected from broker: %s", reason)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        received = Received(
            message.topic, bytes(message.payload), message.mid, message.qos, bool(message.retain)
        )
        while not self._slots.acquire(timeout=0.5):
            if self._stopping.is_set():
                return  # never acked, so the broker redelivers it to the next session
        self._handoff.append(received)
        if not self._handoff_scheduled:
            self._handoff_scheduled = True
            self._loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:
        """On the event loop: move every handed-off message to the ingest queue."""
        # Cleared before draining: a message appended after this is either drained below or
        # schedules another delivery, never stranded.
        self._handoff_scheduled = False
        handoff, queue = self._handoff, self._queue
        while handoff:
            queue.put_nowait(handoff.popleft())


def _settle(waiter: asyncio.Future[None], refusal: str | None) -> None:
    if waiter.done():
        return
    if refusal is None:
        waiter.set_result(None)
    else:
        waiter.set_exception(ConnectionError(refusal))


Acker = Callable[[Received], None]
