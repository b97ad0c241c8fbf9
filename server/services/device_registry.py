"""The device registry: every device of the site file with what the server last heard from it,
and revocation, which takes a device's broker credentials away without restarting the broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from firmware_config.site import Site
from server.domain.refusals import Refusal, RefusalCode
from server.services.ports import Clock, DeviceRecord, Store
from server.services.site_index import SiteIndex


@dataclass(frozen=True, slots=True)
class Revocation:
    device: str
    at: datetime
    by: str


class RevocationStore(Protocol):
    def revocations(self) -> dict[str, Revocation]: ...
    def add(self, revocation: Revocation) -> None: ...


class BrokerCredentials(Protocol):
    """The broker's credential files: remove a device and make the running broker reload."""

    def revoke(self, device_id: str) -> None: ...


class BrokerReloadFailed(RuntimeError):
    """The broker files were rewritten but the broker could not be told; says what to check."""


@dataclass(frozen=True, slots=True)
class DeviceView:
    """One device as facilities see it."""

    id: str
    kind: str
    firmware: str  # "freeseat-agent", "esphome" or "zigbee2mqtt"
    sensor: str | None
    desks: tuple[str, ...]
    room: str | None
    access_point: str | None
    status: str  # what the device last said: online, offline or unknown
    online: bool  # online and heard from within its TTL
    last_seen: datetime | None
    version: str | None
    battery: float | None
    rssi: float | None
    clock_skewed: int  # readings whose device time was too far off, dated by the server
    clock_skew_s: float | None  # how far off the last of them was (+ ahead)
    revoked_at: datetime | None
    revoked_by: str | None


class DeviceRegistry:
    """Lists devices (site file + what ingest recorded) and revokes them."""

    def __init__(
        self,
        site: Site,
        index: SiteIndex,
        store: Store,
        revocations: RevocationStore,
        broker: BrokerCredentials | None,
        clock: Clock,
    ) -> None:
        self._site = site
        self._index = index
        self._store = store
        self._revocations = revocations
        self._broker = broker
        self._clock = clock

    def devices(self) -> list[DeviceView]:
        """Every device of the site file, in file order."""
        with self._store.transaction() as tx:
            records = {record.id: record for record in tx.devices()}
        revoked = self._revocations.revocations()
        now = self._clock.now()
        return [
            self._view(device.id, records.get(device.id), revoked.get(device.id), now)
            for device in self._site.devices
        ]

    def device(self, device_id: str) -> DeviceView | None:
        return next((d for d in self.devices() if d.id == device_id), None)

    def revoke(self, device_id: str, by: str) -> DeviceView | None:
        """Withdraw the device's credentials at the broker, then record it; None if unknown."""
        if device_id not in self._index.devices:
            return None
        device = next(d for d in self._site.devices if d.id == device_id)
        if device.zigbee2mqtt is not None:
            # The bridge has the broker identity: the device has none of its own to withdraw.
            raise Refusal(RefusalCode.DEVICE_BRIDGED, device=device_id, bridge="Zigbee2MQTT")
        if self._broker is None:
            raise Refusal(
                RefusalCode.REVOCATION_NOT_SET_UP,
                settings=("FREESEAT_PROVISION_DIR", "FREESEAT_BROKER_PID_FILE"),
            )
        self._broker.revoke(device_id)
        if device_id not in self._revocations.revocations():
            self._revocations.add(Revocation(device_id, self._clock.now(), by))
        return self.device(device_id)

    def _view(
        self,
        device_id: str,
        record: DeviceRecord | None,
        revocation: Revocation | None,
        now: datetime,
    ) -> DeviceView:
        device = next(d for d in self._site.devices if d.id == device_id)
        info = self._index.devices[device_id]
        status = record.status if record else "unknown"
        last_seen = record.last_seen if record else None
        fresh = last_seen is not None and now - last_seen <= timedelta(seconds=info.ttl_s)
        firmware = (
            "esphome"
            if device.esphome
            else "zigbee2mqtt"
            if device.zigbee2mqtt
            else "freeseat-agent"
        )
        return DeviceView(
            id=device.id,
            kind=device.kind,
            firmware=firmware,
            sensor=device.sensor.value if device.sensor else None,
            desks=tuple(device.desks),
            room=device.room,
            access_point=device.access_point,
            status=status,
            online=status == "online" and fresh and revocation is None,
            last_seen=last_seen,
            version=record.version if record else None,
            battery=record.battery if record else None,
            rssi=record.rssi if record else None,
            clock_skewed=record.clock_skewed if record else 0,
            clock_skew_s=record.clock_skew_s if record else None,
            revoked_at=revocation.at if revocation else None,
            revoked_by=revocation.by if revocation else None,
        )
