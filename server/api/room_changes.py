"""Which rooms changed: a counter per room that commands bump after they commit, and that the
room screens' and viewers' sockets (server.api.room_push) wait on."""

import asyncio
import contextlib
import threading

from fastapi import Request


class RoomChanges:
    """A change counter per room, bumped from any thread; sockets wait for the next bump."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, int] = {}
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def bump(self, room: str) -> None:
        with self._lock:
            self._versions[room] = self._versions.get(room, 0) + 1
            waiters = list(self._waiters.get(room, ()))
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    def version(self, room: str) -> int:
        with self._lock:
            return self._versions.get(room, 0)

    async def wait(self, room: str, seen: int, within_s: float) -> None:
        """Return once the room's counter has moved past `seen`, or after `within_s` seconds."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(room, set()).add(waiter)
            moved = self._versions.get(room, 0) != seen
        try:
            if not moved:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter[1].wait(), within_s)
        finally:
            with self._lock:
                self._waiters[room].discard(waiter)


def room_changes(request: Request) -> RoomChanges:
    changes: RoomChanges = request.app.state.room_changes
    return changes
