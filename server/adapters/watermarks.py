"""The applied watermark: after each commit, tell every agent in it which of its events the
server has recorded, retained on the agent's cmd topic (DESIGN §5.1).

An agent deletes an outbox row only when a watermark names it, so what a broker held in memory
and lost in a crash is sent again. One publish per device per committed batch; any replica that
committed publishes for what it committed, so partitions and hand-overs need nothing shared.
"""

from __future__ import annotations

from collections.abc import Callable

from contracts import AppliedRange, Channel, DeviceApplied, build_topic, encode
from server.services.ports import Clock
from server.services.recorded import RecordedSeqs, ranges
from server.services.site_index import SiteIndex

# The contract's bound on ranges per message; a batch of 500 events never comes close.
MAX_RANGES = 1000

Publish = Callable[[str, bytes], object]


class Watermarks:
    """Turns what a commit recorded into one DeviceApplied per device on its cmd topic."""

    def __init__(self, publish: Publish, index: SiteIndex, clock: Clock) -> None:
        self._publish = publish
        self._index = index
        self._clock = clock
        self._topics: dict[str, str] = {}
        self.sent = 0

    def send(self, recorded: RecordedSeqs) -> None:
        """Publish the watermark of every device in `recorded` (call after its commit)."""
        at = self._clock.now()
        for device, by_epoch in recorded.seqs.items():
            topic = self._topic(device)
            if topic is None:
                continue
            applied = [
                AppliedRange(epoch=epoch, first=first, last=last)
                for epoch in sorted(by_epoch)
                for first, last in ranges(by_epoch[epoch])
            ]
            newest = recorded.newest.get(device, 0)
            # Oldest first, so the retained copy is the newest epoch's (rarely more than one).
            for start in range(0, len(applied), MAX_RANGES):
                message = DeviceApplied(
                    device=device, at=at, epoch=newest, applied=applied[start : start + MAX_RANGES]
                )
                self._publish(topic, encode(message))
                self.sent += 1

    def _topic(self, device: str) -> str | None:
        topic = self._topics.get(device)
        if topic is None:
            info = self._index.devices.get(device)
            if info is None:
                return None
            topic = self._topics[device] = build_topic(
                self._index.site_id, info.kind, device, Channel.CMD
            )
        return topic
