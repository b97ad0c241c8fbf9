"""Fast look-ups over the site file that the handlers need on every message."""

from dataclasses import dataclass, field
from typing import Literal

from contracts import SensorClass
from firmware_config.site import PresenceMapping, Site


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: str
    kind: str
    sensor: SensorClass | None
    desks: frozenset[str]
    ttl_s: float


@dataclass(frozen=True, slots=True)
class ForeignRoute:
    """Where an off-the-shelf device's topic leads: desk presence, availability or liveness.

    A Zigbee2MQTT bridge's `bridge/state` speaks for every device behind it (`behind`).
    """

    device: str | None
    protocol: Literal["esphome", "zigbee2mqtt"]
    role: Literal["presence", "status", "seen", "rssi", "version", "bridge"]
    desk: str | None = None
    presence: PresenceMapping | None = None  # which key and values say presence (Zigbee2MQTT)
    behind: tuple[str, ...] = ()

    def served(self) -> tuple[str, ...]:
        """The devices a message on this topic speaks for."""
        return self.behind if self.device is None else (self.device,)


@dataclass(frozen=True, slots=True)
class SiteIndex:
    """Which devices exist, what they serve, and which floor each desk is on."""

    site_id: str
    devices: dict[str, DeviceInfo] = field(default_factory=dict)
    desk_floor: dict[str, str] = field(default_factory=dict)
    foreign_topics: dict[str, ForeignRoute] = field(default_factory=dict)
    # ESPHome publishes sensors, logs and diagnostics under its prefix: all of it shows liveness.
    foreign_prefixes: dict[str, str] = field(default_factory=dict)

    def foreign_route(self, topic: str) -> ForeignRoute | None:
        """The route of a non-freeseat topic, or None when no device of the site uses it."""
        route = self.foreign_topics.get(topic)
        if route is not None:
            return route
        # A node's other entities and its log, under a prefix of any number of levels (the site
        # check keeps prefixes from nesting, so at most one matches).
        cut = topic.find("/")
        while cut >= 0:
            device = self.foreign_prefixes.get(topic[:cut])
            if device is not None:
                return ForeignRoute(device, "esphome", "seen")
            cut = topic.find("/", cut + 1)
        return None

    def foreign_filters(self) -> list[str]:
        """Subscription filters for every off-the-shelf device's topics."""
        filters = [f"{prefix}/#" for prefix in self.foreign_prefixes]
        filters += [t for t, r in self.foreign_topics.items() if r.protocol == "zigbee2mqtt"]
        return sorted(filters)

    @classmethod
    def from_site(cls, site: Site) -> "SiteIndex":
        devices = {}
        for device in site.devices:
            hold = site.hold_times.get(device.sensor) if device.sensor else None
            devices[device.id] = DeviceInfo(
                id=device.id,
                kind=device.kind,
                sensor=device.sensor,
                desks=frozenset(device.desks),
                ttl_s=hold.ttl_s if hold else 600.0,
            )
        desk_floor = {desk.id: floor.id for floor, desk in site.desks()}
        topics: dict[str, ForeignRoute] = {}
        prefixes: dict[str, str] = {}
        bridges: dict[str, list[str]] = {}
        for device in site.devices:
            if device.esphome is not None:
                prefix = device.esphome.prefix  # as ESPHome uses it: verbatim
                prefixes[prefix] = device.id
                topics[f"{prefix}/status"] = ForeignRoute(device.id, "esphome", "status")
                # The diagnostics `freeseat provision` puts in every node's YAML.
                topics[f"{prefix}/sensor/wifi_signal/state"] = ForeignRoute(
                    device.id, "esphome", "rssi"
                )
                topics[f"{prefix}/text_sensor/version/state"] = ForeignRoute(
                    device.id, "esphome", "version"
                )
                for object_id, desk in device.esphome.binary_sensors.items():
                    topic = f"{prefix}/binary_sensor/{object_id}/state"
                    topics[topic] = ForeignRoute(device.id, "esphome", "presence", desk)
            if device.zigbee2mqtt is not None:
                z2m = device.zigbee2mqtt
                root = z2m.base_topic.strip("/")
                base = f"{root}/{z2m.friendly_name}"
                topics[base] = ForeignRoute(
                    device.id, "zigbee2mqtt", "presence", z2m.desk, z2m.presence
                )
                topics[f"{base}/availability"] = ForeignRoute(device.id, "zigbee2mqtt", "status")
                bridges.setdefault(root, []).append(device.id)
        for root, behind in bridges.items():
            topics[f"{root}/bridge/state"] = ForeignRoute(
                None, "zigbee2mqtt", "bridge", behind=tuple(behind)
            )
        return cls(site.site.id, devices, desk_floor, topics, prefixes)
