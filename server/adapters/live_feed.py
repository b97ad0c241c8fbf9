"""The live-feed hub: per-floor snapshot + versioned deltas, coalesced per tick, fanned out once."""

import asyncio
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from server.domain.occupancy import DeskStatus

log = logging.getLogger(__name__)

CLOSE_TRY_AGAIN_LATER = 1013
PING = '{"type":"ping"}'


def desk_view(status: DeskStatus) -> dict[str, Any]:
    """What a browser gets for one desk."""
    view: dict[str, Any] = {
        "state": status.state.value,
        "since": status.since.isoformat(),
        "reason": status.reason,
    }
    if status.walk_in:
        view["walk_in"] = True
    return view


class Subscriber:
    """One websocket client: a bounded queue of ready-to-send frames."""

    def __init__(self, floor: str, limit: int) -> None:
        self.floor = floor
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=limit)
        self.dropped = False

    def offer(self, frame: str) -> bool:
        """Queue a frame without waiting; False (and marked dropped) when the client is behind."""
        if self.dropped:
            return False
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.dropped = True
            return False
        return True


@dataclass
class FloorChannel:
    version: int = 0
    desks: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscribers: set[Subscriber] = field(default_factory=set)
    # The snapshot frame of the current state, shared by every client that joins before the
    # next change: a large floor's snapshot is ~100 KB, and a morning of reconnects is many.
    snapshot: str | None = None


class LiveFeedHub:
    """Holds each floor's committed desk states; must be used from the event loop's thread."""

    def __init__(self, client_queue: int = 64) -> None:
        self._floors: dict[str, FloorChannel] = {}
        self._client_queue = client_queue
        self.dropped_clients = 0

    def load(self, statuses: Iterable[DeskStatus]) -> None:
        """Start from the database's state."""
        for status in statuses:
            channel = self._channel(status.floor)
            channel.desks[status.desk] = desk_view(status)
            channel.snapshot = None

    def publish(self, changes: Iterable[DeskStatus]) -> None:
        """Record committed changes; they go out on the next tick."""
        for status in changes:
            channel = self._channel(status.floor)
            view = desk_view(status)
            channel.desks[status.desk] = view
            channel.pending[status.desk] = view
            channel.snapshot = None

    def subscribe(self, floor: str) -> Subscriber:
        """Register a client and queue its snapshot first, so no delta can slip in between."""
        channel = self._channel(floor)
        subscriber = Subscriber(floor, self._client_queue)
        if channel.snapshot is None:
            channel.snapshot = json.dumps(
                {
                    "type": "snapshot",
                    "floor": floor,
                    "version": channel.version,
                    "desks": channel.desks,
                },
                separators=(",", ":"),
            )
        subscriber.queue.put_nowait(channel.snapshot)
        channel.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._channel(subscriber.floor).subscribers.discard(subscriber)

    def client_count(self) -> int:
        return sum(len(channel.subscribers) for channel in self._floors.values())

    def version(self, floor: str) -> int:
        return self._channel(floor).version

    def states(self, floor: str) -> dict[str, dict[str, Any]]:
        return self._channel(floor).desks

    def tick(self) -> int:
        """Send one coalesced delta per floor that changed; returns the frames queued."""
        queued = 0
        for floor, channel in self._floors.items():
            if not channel.pending:
                continue
            channel.version += 1
            channel.snapshot = None  # it carries the version a new client continues from
            # Serialised once per floor and tick; every client gets the same string.
            frame = json.dumps(
                {
                    "type": "delta",
                    "floor": floor,
                    "version": channel.version,
                    "desks": channel.pending,
                },
                separators=(",", ":"),
            )
            channel.pending = {}
            for subscriber in list(channel.subscribers):
                if subscriber.offer(frame):
                    queued += 1
                else:
                    # Never awaited inside a broadcast: the slow client is cut off and resyncs.
                    channel.subscribers.discard(subscriber)
                    self.dropped_clients += 1
        return queued

    def _channel(self, floor: str) -> FloorChannel:
        channel = self._floors.get(floor)
        if channel is None:
            channel = self._floors[floor] = FloorChannel()
        return channel

    def ping(self) -> None:
        """Tell every client the feed is alive, so a quiet floor is not mistaken for a dead one."""
        for channel in self._floors.values():
            for subscriber in channel.subscribers:
                subscriber.offer(PING)

    async def run(self, tick_s: float, ping_s: float = 25.0) -> None:
        """Tick forever; ping quiet clients every `ping_s` seconds."""
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + ping_s
        while True:
            await asyncio.sleep(tick_s)
            self.tick()
            if loop.time() >= next_ping:
                self.ping()
                next_ping = loop.time() + ping_s
