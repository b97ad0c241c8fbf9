"""Fast look-ups over the site file that the handlers need on every message."""

from dataclasses import dataclass, field

from contracts import SensorClass
from firmware_config.site import Site


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: str
    kind: str
    sensor: SensorClass | None
    desks: frozenset[str]
    ttl_s: float


@dataclass(frozen=True, slots=True)
class SiteIndex:
    """Which devices exist, what they serve, and which floor each desk is on."""

    site_id: str
    devices: dict[str, DeviceInfo] = field(default_factory=dict)
    desk_floor: dict[str, str] = field(default_factory=dict)

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
        return cls(site.site.id, devices, desk_floor)
