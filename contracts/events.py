"""Versioned payload models: every event carries `device`, `epoch`, `seq` and `at`."""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from contracts.ids import ID_PATTERN

SCHEMA_VERSION = 1

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Counter = Annotated[int, Field(ge=0, le=2**53 - 1)]


class SensorClass(StrEnum):
    """How a desk senses presence; each class has its own hold times."""

    PIR = "pir"
    MMWAVE = "mmwave"
    PRESSURE = "pressure"
    THERMAL = "thermal"
    SIMULATED = "simulated"


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1
    device: Id
    at: AwareDatetime


class _Sequenced(_Message):
    epoch: Counter = Field(description="Boot counter, persisted on the device, +1 on every start")
    seq: Counter = Field(description="Monotonic within one epoch")


class DeskPresenceChanged(_Sequenced):
    """A desk sensor saw presence begin or end (already debounced by the agent)."""

    type: Literal["desk.presence_changed"] = "desk.presence_changed"
    desk: Id
    present: bool
    sensor: SensorClass


class DeviceBooted(_Sequenced):
    """An agent started a new epoch."""

    type: Literal["device.booted"] = "device.booted"
    version: Annotated[str, Field(max_length=64)]


class RoomDisplayChanged(_Sequenced):
    """A room computer's display output (DRM connector) became connected or disconnected."""

    type: Literal["room.display_changed"] = "room.display_changed"
    room: Id
    connector: Annotated[
        str, Field(max_length=64, description="e.g. HDMI-A-1 (DRM connector name)")
    ]
    connected: bool


class RoomCastChanged(_Sequenced):
    """A host's laptop started or stopped casting to the room display."""

    type: Literal["room.cast_changed"] = "room.cast_changed"
    room: Id
    casting: bool
    source: Annotated[str, Field(max_length=64, description="the input that carries the cast")]


class RoomOccupancyChanged(_Sequenced):
    """The room's presence sensor saw the room become occupied or empty."""

    type: Literal["room.occupancy_changed"] = "room.occupancy_changed"
    room: Id
    occupied: bool


RoomEvent = RoomDisplayChanged | RoomCastChanged | RoomOccupancyChanged


class ApStationsCounted(_Sequenced):
    """How many Wi-Fi stations an access point has associated now; never who they are."""

    type: Literal["ap.stations_counted"] = "ap.stations_counted"
    access_point: Id
    stations: Annotated[int, Field(ge=0, le=100_000)] = Field(
        description="Distinct stations associated now (counted by keyed hash at the agent)"
    )
    randomised: Annotated[int, Field(ge=0, le=100_000)] = Field(
        description="How many of them use a randomised (locally administered) address"
    )


ApEvent = ApStationsCounted

DeviceEvent = Annotated[
    DeskPresenceChanged | DeviceBooted | RoomEvent | ApEvent,
    Field(discriminator="type"),
]


class DeviceState(_Message):
    """Retained heartbeat: what the device believes now; expires after about two intervals."""

    type: Literal["device.state"] = "device.state"
    epoch: Counter
    seq: Counter = Field(description="The last event seq this epoch has produced")
    interval_s: Annotated[float, Field(gt=0, le=86400)]
    version: Annotated[str, Field(max_length=64)] = ""
    uptime_s: Annotated[float, Field(ge=0)] = 0.0
    battery: Annotated[float, Field(ge=0, le=100)] | None = None
    rssi: Annotated[float, Field(ge=-130, le=0)] | None = None
    desks: dict[Id, bool] = Field(default_factory=dict, description="Presence per served desk")
    faulty: list[Id] = Field(
        default_factory=list,
        description="Served desks whose sensor sends nothing valid (a sensor fault): unknown",
    )


class DeviceStatus(_Message):
    """Retained online/offline; the offline form is the device's last will."""

    type: Literal["device.status"] = "device.status"
    epoch: Counter
    status: Literal["online", "offline"]


class DeviceCommand(_Message):
    """A command from the server to one device."""

    type: Literal["device.command"] = "device.command"
    command: Literal["identify", "resync"]


class AppliedRange(BaseModel):
    """Seqs `first`..`last` (inclusive) of one epoch, all recorded by the server."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    epoch: Counter
    first: Counter
    last: Counter


class DeviceApplied(_Message):
    """Retained on the device's cmd topic after each commit that recorded its events: the agent
    deletes the outbox rows named here, and nothing else (a broker PUBACK is not enough).

    Exact ranges rather than one watermark: a seq the broker dropped (queue limit, crash) leaves
    a gap that a single high mark would hide. `epoch` is the newest the server has seen from the
    device, so an agent that lost its outbox continues above it.
    """

    type: Literal["device.applied"] = "device.applied"
    epoch: Counter = Field(description="The newest epoch the server has seen from this device")
    applied: Annotated[list[AppliedRange], Field(max_length=1000)] = Field(
        description="Event seqs the commit recorded (applied, stale, duplicate or refused)"
    )


# What the server sends on a device's cmd topic.
DeviceCommandMessage = Annotated[DeviceCommand | DeviceApplied, Field(discriminator="type")]


def event_id(event: DeskPresenceChanged | DeviceBooted | RoomEvent | ApEvent) -> str:
    """The idempotency key `device:epoch:seq`."""
    return f"{event.device}:{event.epoch}:{event.seq}"
