"""Messages of ESPHome and Zigbee2MQTT devices (read by off_the_shelf.py), applied as the
server's own numbered events and statuses."""

from dataclasses import replace

from contracts import ContractError, DeskPresenceChanged, DeviceStatus, SensorClass
from server.domain.occupancy import DeskReason
from server.services.device_contact import apply_status
from server.services.device_events import DeviceEvents
from server.services.ingest_admission import Quarantined
from server.services.ingest_batch import BatchOutcome, Inbound
from server.services.ingest_rows import alive, device_record
from server.services.off_the_shelf import read_foreign
from server.services.ports import Transaction
from server.services.site_index import ForeignRoute, SiteIndex

BRIDGE_OFFLINE_REASON = DeskReason.BRIDGE_OFFLINE

# ESPHome and Zigbee2MQTT devices have no boot counter; their stream is one server-numbered epoch.
FOREIGN_EPOCH = 0


class OffTheShelfIngest:
    """Applies one off-the-shelf message: presence, availability, or only that it lives."""

    def __init__(self, index: SiteIndex, events: DeviceEvents) -> None:
        self._index = index
        self._events = events

    def apply(self, tx: Transaction, message: Inbound, outcome: BatchOutcome) -> None:
        route = self._index.foreign_route(message.topic)
        try:
            if route is None:
                raise Quarantined(
                    "no device in the site file publishes on this topic", "unknown_device"
                )
            reading = read_foreign(route, message.payload)
        except (ContractError, Quarantined) as exc:
            outcome.quarantine(tx, message, str(exc), exc.kind)
            return
        if reading.ignored is not None:
            outcome.ignored[reading.ignored] += 1
        at = message.received_at
        if route.device is None:
            if reading.online is False:  # a dead coordinator: nothing behind it reports
                for device_id in route.behind:
                    status = DeviceStatus(
                        device=device_id, epoch=FOREIGN_EPOCH, status="offline", at=at
                    )
                    apply_status(self._index, tx, status, at, outcome, BRIDGE_OFFLINE_REASON)
            return
        if not reading.alive:
            return
        device = device_record(self._index, tx, route.device)
        if reading.online is not None:
            status = DeviceStatus(
                device=route.device,
                epoch=FOREIGN_EPOCH,
                status="online" if reading.online else "offline",
                at=at,
            )
            apply_status(self._index, tx, status, at, outcome)
        elif reading.present is not None and route.desk is not None:
            # No sequence numbers on the wire: the server numbers them in broker order.
            info = self._index.devices[route.device]
            event = DeskPresenceChanged(
                device=route.device,
                epoch=FOREIGN_EPOCH,
                seq=(device.seq or 0) + 1,
                at=at,
                desk=route.desk,
                present=reading.present,
                sensor=info.sensor or SensorClass.PIR,
            )
            self._events.apply(tx, event, at, outcome)
        else:
            tx.save_device(alive(device, FOREIGN_EPOCH, at))
        if reading.reported:
            # Battery, signal and version ride along with whatever else the message said.
            saved = tx.device(route.device) or device
            tx.save_device(replace(saved, **reading.reported))  # type: ignore[arg-type]


def foreign_will(route: ForeignRoute | None, payload: bytes) -> bool:
    """An off-the-shelf device's (or its bridge's) offline message: it always applies."""
    if route is None:
        return False
    try:
        return read_foreign(route, payload).online is False
    except ContractError:
        return False  # the normal path quarantines it
