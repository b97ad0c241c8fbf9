"""The site model: one YAML file describes the building, its desks, rooms, APs and devices."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from contracts import ID_PATTERN, SensorClass
from firmware_config.esphome_topics import OBJECT_ID_PATTERN

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
_HH_MM = r"([01][0-9]|2[0-3]):[0-5][0-9]"
WORKING_HOURS_PATTERN = rf"^{_HH_MM}-{_HH_MM}$"
Metres = Annotated[float, Field(ge=0, le=10_000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rect(_Model):
    """An axis-aligned rectangle on the floor plan, in metres from the floor's top-left corner."""

    x: Metres
    y: Metres
    w: Annotated[float, Field(gt=0, le=10_000)]
    h: Annotated[float, Field(gt=0, le=10_000)]


class HoldTimes(_Model):
    """How a sensor class turns raw readings into presence: occupied fast, free slowly."""

    occupied_after_s: Annotated[float, Field(ge=0, le=600)] = 0
    free_after_s: Annotated[float, Field(ge=0, le=7200)]
    ttl_s: Annotated[float, Field(gt=0, le=86_400)] = Field(
        description="A desk whose last report is older than this is unknown, never free"
    )


def _default_hold_times() -> dict[SensorClass, HoldTimes]:
    return {
        SensorClass.PIR: HoldTimes(free_after_s=600, ttl_s=1800),
        SensorClass.MMWAVE: HoldTimes(free_after_s=60, ttl_s=600),
        SensorClass.PRESSURE: HoldTimes(free_after_s=120, ttl_s=1800),
        SensorClass.THERMAL: HoldTimes(free_after_s=420, ttl_s=1800),
        SensorClass.SIMULATED: HoldTimes(free_after_s=0, ttl_s=600),
    }


class Policy(_Model):
    """Site-wide seating rules (server/domain/seat_policy.py applies them)."""

    no_show_grace_min: Annotated[int, Field(ge=10, le=60)] = Field(
        default=30, description="A claimed desk nobody checks in at is released after this"
    )
    max_same_desk_days: Annotated[int, Field(ge=1, le=30)] = Field(
        default=3, description="Anti-fixation: nobody gets one desk more working days in a row"
    )
    consolidate_zones: bool = Field(
        default=False, description="Fill zones in `zone_order` so whole zones stay empty"
    )
    zone_order: list[Id] = Field(
        default_factory=list,
        description="Zones to fill first when consolidating; zones not listed follow in file order",
    )
    end_of_day: Annotated[str, StringConstraints(pattern=LOCAL_TIME_PATTERN)] = Field(
        default="20:00", description="Local HH:MM when every desk is released"
    )
    names: Literal["none", "team", "all"] = Field(
        default="none",
        description="Whom signed-in staff see named at a desk: nobody, people of their own "
        "department, or anyone; each read that names someone is logged for that person",
    )
    away_limit_min: Annotated[int, Field(ge=15, le=480)] = Field(
        default=120,
        description="A checked-in desk with nobody present this long is away too long",
    )
    away_action: Literal["release", "flag"] = Field(
        default="flag",
        description="Away too long: release the desk (with the reason) or flag it for facilities",
    )
    working_hours: Annotated[str, StringConstraints(pattern=WORKING_HOURS_PATTERN)] = Field(
        default="08:30-17:15",
        description="Local HH:MM-HH:MM on weekdays: the hours dark zones and utilisation count",
    )

    @model_validator(mode="after")
    def _hours_in_order(self) -> "Policy":
        start, end = self.working_hours.split("-")
        if end <= start:
            raise ValueError(f"working_hours {self.working_hours!r} must end after they start")
        return self


class SiteInfo(_Model):
    id: Id
    name: str
    name_ja: str = ""
    timezone: str = "Asia/Tokyo"


class Department(_Model):
    id: Id
    name: str
    name_ja: str = ""


class Zone(_Model):
    """A team neighbourhood on a floor."""

    id: Id
    name: str
    name_ja: str = ""
    department: Id | None = None
    rect: Rect
    # What the zone draws while lit and conditioned: the energy a dark zone-hour saves.
    lighting_w: Annotated[float, Field(ge=0, le=1_000_000)] | None = None
    hvac_w: Annotated[float, Field(ge=0, le=1_000_000)] | None = None


Equipment = Literal["monitor", "dual-monitor", "dock", "standing", "accessible", "phone-booth"]


class Desk(_Model):
    id: Id
    label: str = Field(
        default="",
        max_length=40,
        description="What people read, e.g. 3F A-04-04; by default the floor's name and the "
        "id without its desk- and floor prefixes",
    )
    zone: Id
    x: Metres
    y: Metres
    equipment: list[Equipment] = Field(default_factory=list)


MonitorInput = Literal["hdmi", "usb-c", "displayport", "wireless"]


def _default_monitor_inputs() -> list[MonitorInput]:
    # A named function, not a lambda: mypy infers a lambda's list as list[str].
    return ["hdmi", "usb-c"]


class Monitor(_Model):
    size_in: Annotated[int, Field(ge=10, le=150)] = 55
    inputs: list[MonitorInput] = Field(default_factory=_default_monitor_inputs)


class Room(_Model):
    id: Id
    name: str
    name_ja: str = ""
    capacity: Annotated[int, Field(ge=1, le=500)]
    rect: Rect
    monitor: Monitor


class AccessPoint(_Model):
    id: Id
    x: Metres
    y: Metres
    bssids: list[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")]] = (
        Field(default_factory=list)
    )


class Floor(_Model):
    id: Id
    name: str
    name_ja: str = ""
    level: int
    width: Annotated[float, Field(gt=0, le=10_000)]
    height: Annotated[float, Field(gt=0, le=10_000)]
    zones: list[Zone] = Field(default_factory=list)
    desks: list[Desk] = Field(default_factory=list)
    rooms: list[Room] = Field(default_factory=list)
    access_points: list[AccessPoint] = Field(default_factory=list)


class Building(_Model):
    id: Id
    name: str
    floors: list[Floor]


MqttTopicPart = Annotated[str, StringConstraints(pattern=r"^[^#+\x00]+$", min_length=1)]


class EsphomeSource(_Model):
    """An ESPHome node publishing its native MQTT topics; no custom firmware needed.

    Presence comes from `<prefix>/binary_sensor/<object_id>/state` (`ON`/`OFF`), liveness from
    `<prefix>/status` (`online`/`offline`, ESPHome's birth and will) and any other message.
    The prefix is used exactly as written, as ESPHome does; `freeseat site check` refuses the
    ones ESPHome refuses or freeseat cannot route (see firmware_config/esphome_topics.py).
    """

    prefix: str = Field(description="The node's topic_prefix (by default its name)")
    binary_sensors: dict[Annotated[str, StringConstraints(pattern=OBJECT_ID_PATTERN)], Id] = Field(
        description="binary_sensor object_id -> desk id", min_length=1
    )


PresenceValue = Annotated[str, StringConstraints(min_length=1, max_length=64)] | bool | int


class PresenceMapping(_Model):
    """Which key of a Zigbee2MQTT device's message says presence, and which values mean someone.

    Values in `present` mean someone is there; with `absent` given, values in neither list are
    refused (quarantined with the expected values), otherwise every other value means nobody.
    """

    key: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    present: Annotated[list[PresenceValue], Field(min_length=1)]
    absent: list[PresenceValue] = Field(default_factory=list)


class Zigbee2MqttSource(_Model):
    """A Zigbee occupancy/presence sensor reported by Zigbee2MQTT.

    Without `presence`, the first of `occupancy`, `presence`, `presence_state`, `motion_state`
    and `human_motion_state` the message carries decides (see server/services/zigbee_presence.py).
    """

    base_topic: MqttTopicPart = "zigbee2mqtt"
    friendly_name: MqttTopicPart
    desk: Id
    presence: PresenceMapping | None = None


class Device(_Model):
    """A publisher: a desk sensor or floor gateway, an AP agent, or a room-monitor agent."""

    id: Id
    kind: Literal["desk", "ap", "room"]
    sensor: SensorClass | None = None
    desks: list[Id] = Field(default_factory=list)
    room: Id | None = None
    access_point: Id | None = None
    # Off-the-shelf devices: their desks follow from the mapping when `desks` is left out.
    esphome: EsphomeSource | None = None
    zigbee2mqtt: Zigbee2MqttSource | None = None

    @model_validator(mode="after")
    def _desks_from_source(self) -> "Device":
        mapped = self.mapped_desks()
        if mapped and not self.desks:
            object.__setattr__(self, "desks", mapped)
        return self

    def mapped_desks(self) -> list[str]:
        """Desks named by an off-the-shelf source mapping, in file order."""
        if self.esphome is not None:
            return list(dict.fromkeys(self.esphome.binary_sensors.values()))
        if self.zigbee2mqtt is not None:
            return [self.zigbee2mqtt.desk]
        return []


class Site(_Model):
    """A whole site file."""

    site: SiteInfo
    policy: Policy = Field(default_factory=Policy)
    hold_times: dict[SensorClass, HoldTimes] = Field(default_factory=_default_hold_times)
    departments: list[Department] = Field(default_factory=list)
    buildings: list[Building]
    devices: list[Device] = Field(default_factory=list)

    def floors(self) -> list[Floor]:
        """Every floor of every building, in file order."""
        return [floor for building in self.buildings for floor in building.floors]

    def floor(self, floor_id: str) -> Floor | None:
        return next((f for f in self.floors() if f.id == floor_id), None)

    def desks(self) -> list[tuple[Floor, Desk]]:
        return [(floor, desk) for floor in self.floors() for desk in floor.desks]
