"""One device's MQTT publisher: outbox-first QoS 1 events, retained status with LWT, heartbeats."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import TypeAdapter

from contracts import (
    ApEvent,
    Channel,
    ContractError,
    DeskPresenceChanged,
    DeviceApplied,
    DeviceBooted,
    DeviceCommand,
    DeviceEvent,
    DeviceState,
    DeviceStatus,
    Kind,
    RoomEvent,
    build_topic,
    decode,
    encode,
)
from contracts.mqtt_client import connect_in_background, new_client
from edge_agent import agent_version
from edge_agent.runtime.clock import WallClock
from edge_agent.runtime.connection import ConnectionSettings
from edge_agent.runtime.delivery import ONLINE, OTHER, OutboxDelivery
from edge_agent.runtime.heartbeat import HeartbeatSchedule
from edge_agent.runtime.outbox import Outbox

log = logging.getLogger(__name__)

SequencedEvent = DeskPresenceChanged | DeviceBooted | RoomEvent | ApEvent
Event = TypeVar("Event", bound=SequencedEvent)
_EVENTS: TypeAdapter[SequencedEvent] = TypeAdapter(DeviceEvent)


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
    applied: int
    resends: int
    pending: int
    dropped: int
    states: int


class DevicePublisher:
    """Publishes one device's events through its outbox, plus status, heartbeats and commands.

    Every event is committed to the outbox before paho sees it; after each (re)connect the
    retained `online` status goes first, and once the broker has acknowledged it the remaining
    rows are replayed in outbox order (see OutboxDelivery). The broker acknowledging `online`
    and a `resync` command both ask for a heartbeat at once; other commands go to `on_command`.
    """

    def __init__(
        self,
        *,
        site: str,
        device: str,
        outbox: Outbox,
        settings: ConnectionSettings,
        clock: WallClock,
        kind: Kind = Kind.DESK,
        heartbeat_s: float = 30.0,
        version: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        on_command: Callable[[DeviceCommand], None] | None = None,
    ) -> None:
        self.site = site
        self.device = device
        self.kind = kind
        self.version = version or agent_version()
        self.heartbeat = HeartbeatSchedule(heartbeat_s, monotonic)
        self._outbox = outbox
        self._clock = clock
        self._on_command = on_command
        self._setup = settings.client_setup(device)
        self._event_topic = build_topic(site, kind, device, Channel.EVENT)
        self._state_topic = build_topic(site, kind, device, Channel.STATE)
        self._status_topic = build_topic(site, kind, device, Channel.STATUS)
        self._cmd_topic = build_topic(site, kind, device, Channel.CMD)
        self._counter_lock = threading.Lock()
        self._connects = 0
        self._events = 0
        self._states = 0
        self._started = False
        self._stopping = False

        client = new_client(self._setup)
        if log.isEnabledFor(logging.DEBUG):
            # paho logs routine shutdown races at ERROR; only worth seeing when debugging.
            client.enable_logger(logging.getLogger(f"{__name__}.paho"))
        client.max_inflight_messages_set(settings.max_inflight)
        # Unlimited here: the outbox window bounds what paho holds.
        client.max_queued_messages_set(0)
        self._set_will(client)
        self._delivery = OutboxDelivery(
            outbox,
            client,
            device=device,
            window=settings.window,
            on_online=self.heartbeat.request,
            resend_after_s=settings.resend_after_s,
            monotonic=monotonic,
        )
        client.on_pre_connect = self._on_pre_connect
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._delivery.on_publish
        client.on_message = self._on_message
        self._client = client

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def epoch(self) -> int:
        return self._outbox.epoch

    @property
    def online(self) -> bool:
        """True while connected and the broker has acknowledged this connection's status."""
        return self._delivery.gate.is_set()

    def start(self, now: datetime) -> None:
        """Connect in the background (reconnecting with bounded backoff until stop()) and emit
        `device.booted` for this epoch."""
        if self._started:
            return
        self._started = True
        connect_in_background(self._client, self._setup)
        self.emit(DeviceBooted, now, version=self.version)

    def wait_online(self, timeout: float) -> bool:
        """Block until online (see `online`) or timeout; returns whether it is online."""
        return self._delivery.gate.wait(timeout)

    def stop(self, *, drain_s: float = 2.0) -> None:
        """Let the server record what it can within drain_s, publish `offline`, and disconnect.

        Rows the server has not recorded stay in the outbox and are replayed on the next start.
        """
        if not self._started:
            return
        deadline = time.monotonic() + drain_s
        while len(self._outbox) and self.online and time.monotonic() < deadline:
            time.sleep(0.02)
        if self._client.is_connected():
            # A clean disconnect suppresses the will, so say "offline" ourselves.
            info = self._client.publish(
                self._status_topic, self._status("offline"), qos=1, retain=True
            )
            self._delivery.track(info.mid, OTHER)
            try:
                info.wait_for_publish(timeout=max(0.1, deadline - time.monotonic()) + 1.0)
            except (RuntimeError, ValueError):
                log.info("%s: offline status not confirmed before disconnect", self.device)
        self._stopping = True
        self._delivery.gate.clear()
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
                online=self.online,
                connects=self._connects,
                events=self._events,
                acked=self._delivery.acked,
                refused=self._delivery.refused,
                applied=self._delivery.applied,
                resends=self._delivery.resends,
                pending=box.pending,
                dropped=box.dropped,
                states=self._states,
            )

    # -- publishing --------------------------------------------------------------------------

    def emit(self, event: type[Event], at: datetime, **facts: Any) -> Event:
        """Commit this device's next event (`event` of `facts` at `at`, numbered with the epoch
        and the next seq) to the outbox, then publish it at QoS 1 when online."""
        built: list[Event] = []

        def make(epoch: int, seq: int) -> bytes:
            built.append(event(device=self.device, epoch=epoch, seq=seq, at=at, **facts))
            return encode(built[0])

        self._outbox.append(self._event_topic, make)
        with self._counter_lock:
            self._events += 1
        self._delivery.pump()
        return built[0]

    def heartbeat_if_due(
        self,
        now: datetime,
        desks: Mapping[str, bool] | None = None,
        *,
        battery: float | None = None,
        rssi: float | None = None,
        faulty: Sequence[str] = (),
    ) -> bool:
        """Publish the retained heartbeat (expiring after ~2 intervals) when due; True if sent.

        Heartbeats skip the outbox: only the newest one matters, and a stale one would lie.
        Every agent calls this on each tick, so it also sends the outbox again when the server
        has left its oldest row unrecorded too long (see OutboxDelivery.resend_if_due).
        """
        self._delivery.resend_if_due()
        if not self.heartbeat.take() or not self._client.is_connected():
            return False
        state = DeviceState(
            device=self.device,
            epoch=self._outbox.epoch,
            seq=self._outbox.last_seq,
            at=now,
            interval_s=self.heartbeat.interval_s,
            version=self.version,
            uptime_s=self.heartbeat.uptime_s(),
            battery=battery,
            rssi=rssi,
            desks=dict(desks or {}),
            faulty=list(faulty),
        )
        properties = None
        if self._setup.v5:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            properties.MessageExpiryInterval = max(1, round(2 * self.heartbeat.interval_s))
        info = self._client.publish(
            self._state_topic, encode(state), qos=1, retain=True, properties=properties
        )
        self._delivery.track(info.mid, OTHER)
        with self._counter_lock:
            self._states += 1
        return True

    # -- paho callbacks (paho's thread) ------------------------------------------------------

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
                self._setup.address.url,
                reason.getName(),
            )
            return
        with self._counter_lock:
            self._connects += 1
        log.info(
            "%s: connected to %s (session present: %s)",
            self.device,
            self._setup.address.url,
            flags.session_present,
        )
        client.subscribe(self._cmd_topic, qos=1)
        # paho resends its unacknowledged messages right after this callback returns; new rows
        # wait for the PUBACK of this status so they cannot overtake those resends.
        info = client.publish(self._status_topic, self._status("online"), qos=1, retain=True)
        self._delivery.track(info.mid, ONLINE)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._delivery.gate.clear()
        if not self._stopping:
            log.info("%s: disconnected (%s); reconnecting", self.device, reason.getName())

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            decoded = decode(message.topic, message.payload)
        except ContractError as exc:
            log.warning("%s: ignored a command that breaks the contract: %s", self.device, exc)
            return
        command = decoded.message
        if isinstance(command, DeviceApplied):
            self._on_applied(command)
            return
        if not isinstance(command, DeviceCommand):
            return
        # paho's thread: only flag the work; the agent's own thread does it on its next tick.
        if command.command == "resync":
            self.heartbeat.request()
        elif command.command == "identify":
            log.warning("%s: identify requested by the server", self.device)
        if self._on_command is not None:
            self._on_command(command)

    def _on_applied(self, applied: DeviceApplied) -> None:
        """The server's watermark (paho's thread): continue above the server's epoch if it has
        seen ours from an earlier life of the device, then forget the rows it recorded."""
        own = self._outbox.epoch
        # Equal epochs mean an earlier life only while this run has sent nothing of its own.
        above = applied.epoch > own or (
            applied.epoch == own and not self._delivery.handed_this_epoch
        )
        if above and self._outbox.continue_above(applied.epoch, _with_epoch):
            self._delivery.handed_this_epoch = False
            log.warning(
                "%s: the server has seen epoch %d, this outbox only %d (wiped or restored?);"
                " continuing at epoch %d",
                self.device,
                applied.epoch,
                own,
                self._outbox.epoch,
            )
            # Say online again under the new epoch: the server ignores a status older than the
            # epoch it knows (a late will), and so would it this connection's.
            info = self._client.publish(
                self._status_topic, self._status("online"), qos=1, retain=True
            )
            self._delivery.track(info.mid, OTHER)
            self._delivery.restart()
        self._delivery.applied_ranges(applied.applied)


def _with_epoch(payload: bytes, epoch: int) -> bytes:
    """An outbox payload renumbered into `epoch` (same seq, so a new event id)."""
    return encode(_EVENTS.validate_json(payload).model_copy(update={"epoch": epoch}))
