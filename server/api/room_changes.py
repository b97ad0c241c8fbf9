"""Which rooms changed: a counter per room that commands bump after they commit, and that the
room screens' and viewers' sockets (server.api.room_push) watch."""

import threading

from fastapi import Request


class RoomChanges:
    """A change counter per room, bumped from any thread after a command commits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, int] = {}

    def bump(self, room: str) -> None:
        with self._lock:
            self._versions[room] = self._versions.get(room, 0) + 1

    def version(self, room: str) -> int:
        with self._lock:
            return self._versions.get(room, 0)


def room_changes(request: Request) -> RoomChanges:
    changes: RoomChanges = request.app.state.room_changes
    return changes
