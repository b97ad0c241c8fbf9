"""What a retained message replayed by the broker says about now.

On every (re)subscription the broker replays each topic's retained message: the device's last
`status` and `state`, an ESPHome node's last `ON`/`OFF`, a Zigbee2MQTT device's last state. Such
a message may be hours old, from a device dead since. Taken as fresh contact, it restarted a
silent device's TTL and showed its desks for another TTL (issue 15 point 7); a node's retained
`ON` replayed after its retained will showed its desk occupied (issue 17 point 2). So a
replayed message counts as contact only when it proves itself newer than what the server knows,
and liveness (a will, a TTL past) wins over retained state.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from server.services.ports import DeviceRecord


@dataclass(frozen=True, slots=True)
class Replay:
    """How to treat one replayed message.

    `applies`: its content (desk states) is applied. `contact`: when it heard from the device,
    None when it must not move the device's last contact (nor its TTL).
    """

    applies: bool
    contact: datetime | None = None


IGNORED = Replay(applies=False)
IGNORED_KIND = "retained_replay"  # counted on /metrics under freeseat_ingest_ignored_total


def judge(
    device: DeviceRecord | None,
    received_at: datetime,
    ttl_s: float,
    *,
    newer: bool | None = None,
    said_at: datetime | None = None,
) -> Replay:
    """Judge a replayed message (not an offline will: that always applies) of `device`.

    freeseat `status`/`state` carry a stream position and a time: `newer` says whether the
    position is past what the server applied (a later boot or heartbeat), `said_at` when it was
    sent. ESPHome and Zigbee2MQTT messages carry neither (None).
    - Older than the device's TTL by its own time: it says nothing about now.
    - Newer than what the server applied: contact at the time it says (never later than its
      receipt), e.g. a reboot the server missed while it was away.
    - From a device the server knows nothing of yet, a message without a position is all there
      is: contact at its receipt (the TTL then decides, as for any first message).
    - Otherwise it never moves last contact: a device known offline stays offline, one silent
      past its TTL stays silent, and one alive within its TTL keeps its TTL running while the
      message's content (the last state the device published) applies.
    """
    ttl = timedelta(seconds=ttl_s)
    if said_at is not None:
        said_at = min(said_at, received_at)
        if received_at - said_at > ttl:
            return IGNORED
    if newer:
        contact = said_at or received_at
        if device is not None and device.last_seen is not None and contact <= device.last_seen:
            return Replay(applies=True)  # a device clock behind ours: news, but no later contact
        return Replay(applies=True, contact=contact)
    if device is None or (device.last_seen is None and device.status != "offline"):
        return Replay(applies=True, contact=received_at)
    if device.status == "offline" or device.last_seen is None:
        return IGNORED
    if received_at - device.last_seen <= ttl:
        return Replay(applies=True)
    return IGNORED
