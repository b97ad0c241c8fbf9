"""What a batch reads and changes, preloaded (and so locked) at once, in one order."""

from collections.abc import Sequence

from contracts import Channel, DeskPresenceChanged, DeviceState, DeviceStatus, event_id
from server.services.ingest_admission import Prepared
from server.services.site_index import SiteIndex


def preload_keys(index: SiteIndex, prepared: Sequence[Prepared]) -> dict[str, set[str]]:
    """Every desk, device and event id the batch may read or change, to preload at once.

    Not only for speed: a row first read later is locked later, out of the desks-then-
    devices order, and on PostgreSQL that deadlocked a batch against the liveness sweep.
    So an offline status brings all its device's desks (they all become unknown).
    """
    desks: set[str] = set()
    devices: set[str] = set()
    event_ids: set[str] = set()
    for item in prepared:
        body = item.body
        if body is None:
            route = None if item.error else index.foreign_route(item.message.topic)
            for device in route.served() if route is not None else ():
                # An off-the-shelf device may go offline: all its desks.
                devices.add(device)
                desks.update(index.devices[device].desks)
            continue
        devices.add(body.device)
        if isinstance(body, DeskPresenceChanged):
            desks.add(body.desk)
        elif isinstance(body, DeviceState):
            desks.update(body.desks, body.faulty)
        elif isinstance(body, DeviceStatus) and body.status == "offline":
            desks.update(index.devices[body.device].desks)
        if hasattr(body, "seq") and item.channel is Channel.EVENT:
            event_ids.add(event_id(body))
    return {"desks": desks, "devices": devices, "event_ids": event_ids}
