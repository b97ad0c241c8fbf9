"""The live-feed hub: per-floor snapshot + versioned deltas, paced per floor, fanned out once.

Pacing: a floor sends at most one delta per tick (`tick_s`). A change on a floor that has been
quiet for a tick goes out at once; changes within a tick of the last send wait for the next slot,
coalesced. A quiet building's changes so reach the map without waiting for a tick, a busy floor
costs at most ten broadcasts a second, and floors keep their own phases, so one moment never
has to send every floor's frame to every client at once (with one global tick, the last client
of the last floor waited behind all the others' sends).
"""

import asyncio
import collections
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from server.domain.occupancy import DeskState, DeskStatus

log = logging.getLogger(__name__)

PING = '{"type":"ping"}'


def desk_view(status: DeskStatus) -> dict[str, Any]:
    """What a browser gets for one desk: its state and why, as a kind; never who holds it."""
    view: dict[str, Any] = {
        "state": status.state.value,
        "since": status.since.isoformat(),
        "reason": status.reason,
    }
    if status.walk_in:
        view["walk_in"] = True
    return view


@dataclass(frozen=True, slots=True)
class ShownDesk:
    """A desk as the live map shows it now (the committed state the browsers have)."""

    state: DeskState
    since: str
    reason: str
    walk_in: bool


class Subscriber:
    """One websocket client: where it is in its floor's frames (the snapshot first).

    Clients of a floor share one log of recent frames instead of a queue each: a client is a
    position in that log, so 2,000 of them cost a few hundred KB, not a queue apiece, and a
    broadcast appends one frame and wakes the waiting writers once.
    """

    __slots__ = ("_channel", "_next", "_snapshot", "dropped", "floor", "taken_at")

    def __init__(self, floor: str, channel: "FloorChannel", snapshot: str) -> None:
        self.floor = floor
        self._channel = channel
        self._next = channel.sent  # the first frame after the snapshot
        self._snapshot: str | None = snapshot
        self.dropped = False
        # When the oldest frame of the last `take` was made (time.monotonic()): the age of the
        # oldest frame not yet sent, while the writer sends them.
        self.taken_at = time.monotonic()

    @property
    def waiting(self) -> int:
        """Frames this client has not taken yet."""
        return self._channel.sent - self._next + (self._snapshot is not None)

    def take(self) -> list[str]:
        """Every frame not taken yet, in order; [] once the client is dropped."""
        if self.dropped:
            return []
        taken = [] if self._snapshot is None else [self._snapshot]
        if self._snapshot is not None:
            self.taken_at = time.monotonic()
        self._snapshot = None
        log, sent = self._channel.log, self._channel.sent
        if self._next < sent:
            new = list(log)[len(log) - (sent - self._next) :]
            if not taken:
                self.taken_at = new[0][1]
            taken += [frame for frame, _ in new]
            self._next = sent
        return taken

    async def wait(self) -> None:
        """Until there is a frame to take, or the client is dropped."""
        while not self.dropped and not self.waiting:
            await self._channel.arrived.wait()


@dataclass
class FloorChannel:
    version: int = 0
    desks: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscribers: set[Subscriber] = field(default_factory=set)
    # The snapshot frame of the current state, shared by every client that joins before the
    # next change: a large floor's snapshot is ~100 KB, and a morning of reconnects is many.
    snapshot: str | None = None
    sent_at: float = float("-inf")  # the pacing clock's time of this floor's last delta
    # The last frames sent (as many as a client may have waiting) with when each was made
    # (time.monotonic()), and how many ever were.
    log: collections.deque[tuple[str, float]] = field(default_factory=collections.deque)
    sent: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def append(self, frame: str, limit: int) -> list[Subscriber]:
        """Add a frame for every client and wake their writers; returns the clients it drops."""
        self.log.append((frame, time.monotonic()))
        if len(self.log) > limit:
            self.log.popleft()
        self.sent += 1
        # Set and cleared at once: the writers waiting now wake, later ones wait for the next.
        self.arrived.set()
        self.arrived.clear()
        behind = [s for s in self.subscribers if s.waiting > limit]
        for subscriber in behind:
            subscriber.dropped = True
            self.subscribers.discard(subscriber)
        return behind


class LiveFeedHub:
    """Holds each floor's committed desk states; must be used from the event loop's thread."""

    def __init__(self, client_queue: int = 64, tick_s: float = 0.1) -> None:
        self._floors: dict[str, FloorChannel] = {}
        self._client_queue = client_queue
        self._tick_s = tick_s
        # Set when a floor gets its first pending change, so `run` can send it without waiting.
        self._changed = asyncio.Event()
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
            if not channel.pending:
                self._changed.set()
            channel.pending[status.desk] = view
            channel.snapshot = None

    def subscribe(self, floor: str) -> Subscriber:
        """Register a client and queue its snapshot first, so no delta can slip in between."""
        channel = self._channel(floor)
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
        subscriber = Subscriber(floor, channel, channel.snapshot)
        channel.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._channel(subscriber.floor).subscribers.discard(subscriber)

    def drop(self, subscriber: Subscriber) -> bool:
        """Cut off a client that fell behind (it is closed with 1013 and resyncs); counted once.

        False when it was dropped already (by a broadcast that found it too far behind)."""
        self.unsubscribe(subscriber)
        if subscriber.dropped:
            return False
        subscriber.dropped = True
        self.dropped_clients += 1
        return True

    def client_count(self) -> int:
        return sum(len(channel.subscribers) for channel in self._floors.values())

    def version(self, floor: str) -> int:
        return self._channel(floor).version

    def states(self, floor: str) -> dict[str, dict[str, Any]]:
        """Every desk of the floor as the browsers get it (JSON-ready views)."""
        return self._channel(floor).desks

    def shown(self, floor: str, desk: str) -> ShownDesk | None:
        """The desk as the map shows it now; None before it has a state."""
        view = self._channel(floor).desks.get(desk)
        if view is None:
            return None
        return ShownDesk(
            state=DeskState(view["state"]),
            since=view["since"],
            reason=view["reason"],
            walk_in=bool(view.get("walk_in", False)),
        )

    def state_of(self, floor: str, desk: str) -> DeskState | None:
        """The state the map shows for the desk now; None before it has one."""
        view = self._channel(floor).desks.get(desk)
        return None if view is None else DeskState(view["state"])

    def tick(self) -> int:
        """Send every floor's pending changes now, whatever the pacing; returns frames queued."""
        return sum(self._send(floor, channel) for floor, channel in self._floors.items())

    def flush(self, now: float) -> float | None:
        """Send the floors whose next slot has come (`now` on the pacing clock); returns when the
        next waiting floor is due, or None when nothing waits."""
        next_due: float | None = None
        for floor, channel in self._floors.items():
            if not channel.pending:
                continue
            due = channel.sent_at + self._tick_s
            if due <= now:
                channel.sent_at = now
                self._send(floor, channel)
            elif next_due is None or due < next_due:
                next_due = due
        return next_due

    def _send(self, floor: str, channel: FloorChannel) -> int:
        """One coalesced delta for the floor, if it has changes; returns the frames queued."""
        if not channel.pending:
            return 0
        channel.version += 1
        channel.snapshot = None  # it carries the version a new client continues from
        # Serialised once per floor and delta; every client gets the same string.
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
        dropped = channel.append(frame, self._client_queue)
        # Never awaited inside a broadcast: a client too far behind is cut off and resyncs.
        self.dropped_clients += len(dropped)
        return len(channel.subscribers)

    def _channel(self, floor: str) -> FloorChannel:
        channel = self._floors.get(floor)
        if channel is None:
            channel = self._floors[floor] = FloorChannel()
        return channel

    def ping(self) -> None:
        """Tell every client the feed is alive, so a quiet floor is not mistaken for a dead one."""
        for channel in self._floors.values():
            self.dropped_clients += len(channel.append(PING, self._client_queue))

    async def run(self, ping_s: float = 25.0) -> None:
        """Send each floor's changes as its pacing allows, forever; ping every `ping_s` seconds."""
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + ping_s
        while True:
            # Cleared before flushing: a change published after this point wakes the next wait.
            self._changed.clear()
            now = loop.time()
            due = self.flush(now)
            if now >= next_ping:
                self.ping()
                next_ping = now + ping_s
            timer = loop.call_at(
                next_ping if due is None else min(due, next_ping), self._changed.set
            )
            try:
                await self._changed.wait()
            finally:
                timer.cancel()
