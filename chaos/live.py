"""Websocket clients of the floor map, as a scenario's fault meets them.

A reading client behaves like the browser (js/live.js): snapshot, consecutive deltas, resync
on a gap or a close. A never-reading client opens and then reads nothing; a slow one reads a
frame every two seconds. What each saw becomes the scenario's LiveCounts.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import ClientConnection, connect

from chaos.oracle import LiveCounts

TRY_AGAIN_LATER = 1013
SLOW_READ_EVERY_S = 2.0


def _open(url: str, *, buffered: int | None = 16) -> ClientConnection | None:
    """Connect; `buffered` frames at most wait in the library for the application. A browser
    hands every frame to the page as it arrives, so a slow page shows up in the socket; a
    client that models one keeps one frame, not the library's default sixteen."""
    try:
        # No client pings: a browser sends none, and a client that stops reading would time
        # its own pings out (1011) before the server had to decide anything.
        return connect(url, open_timeout=5, close_timeout=2, ping_interval=None, max_queue=buffered)
    except (OSError, InvalidHandshake, TimeoutError):
        return None


def _close_code(exc: ConnectionClosed) -> int | None:
    return exc.rcvd.code if exc.rcvd is not None else None


@dataclass
class _Background:
    """A client that runs in a thread of its own until stopped."""

    _stop: threading.Event = field(default_factory=threading.Event, kw_only=True)
    _thread: threading.Thread | None = field(default=None, kw_only=True)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def _run(self) -> None:
        raise NotImplementedError


@dataclass
class ReadingClient(_Background):
    """Keeps the floor's desk states the way a browser does, through any outage."""

    url: str
    states: dict[str, str] = field(default_factory=dict)
    version: int = -1
    resyncs: int = 0
    dropped: int = 0
    # (monotonic time, version) of every version this client learnt, to date other clients.
    timeline: list[tuple[float, int]] = field(default_factory=list)

    def first_seen(self, version: int) -> float | None:
        """When this client first learnt of `version` (or a later one)."""
        index = bisect.bisect_left(self.timeline, version, key=lambda item: item[1])
        return self.timeline[index][0] if index < len(self.timeline) else None

    @property
    def latest(self) -> int:
        return self.timeline[-1][1] if self.timeline else -1

    def _run(self) -> None:
        while not self._stop.is_set():
            ws = _open(self.url)
            if ws is None:
                self._stop.wait(0.5)
                continue
            try:
                self._follow(ws)
            except ConnectionClosed as exc:
                if _close_code(exc) == TRY_AGAIN_LATER:
                    self.dropped += 1
            except (OSError, TimeoutError, ValueError):
                pass
            finally:
                ws.close()
            self.resyncs += 1

    def _follow(self, ws: ClientConnection) -> None:
        while not self._stop.is_set():
            try:
                frame: dict[str, Any] = json.loads(ws.recv(timeout=1))
            except TimeoutError:
                continue
            if frame.get("type") == "snapshot":
                self.states = {d: view["state"] for d, view in frame["desks"].items()}
            elif frame.get("type") == "delta":
                if frame["version"] != self.version + 1:
                    return  # a gap: resync from a fresh snapshot
                self.states.update({d: view["state"] for d, view in frame["desks"].items()})
            else:
                continue
            self.version = frame["version"]
            if self.version > self.latest:
                self.timeline.append((time.monotonic(), self.version))


@dataclass
class StuckClient:
    """Opens, takes its snapshot, and then reads nothing until the scenario ends."""

    url: str
    ws: ClientConnection | None = None
    version: int = -1

    def open(self) -> bool:
        self.ws = _open(self.url, buffered=1)
        if self.ws is None:
            return False
        with contextlib.suppress(ConnectionClosed, TimeoutError, ValueError):
            self.version = json.loads(self.ws.recv(timeout=10))["version"]
        return True

    def close_code(self) -> int | None:
        """Read what the server left for it; the code it closed with, None if still open."""
        return None if self.ws is None else drain(self.ws)


def drain(ws: ClientConnection, within_s: float = 10.0) -> int | None:
    """Read what is in flight to a client and close it; the server's close code, if it sent
    one (a dropped client reads the frames already sent, then the 1013)."""
    deadline = time.monotonic() + within_s
    try:
        while time.monotonic() < deadline:
            ws.recv(timeout=1)
    except ConnectionClosed as exc:
        return _close_code(exc)
    except TimeoutError:
        pass
    finally:
        ws.close()
    return None


@dataclass
class SlowClient(_Background):
    """Reads one frame every two seconds; notes how far behind the reference it falls."""

    url: str
    reference: ReadingClient
    dropped: int = 0
    max_lag_versions: int = 0  # behind the reference in what it read (in-flight frames too)
    max_lag_s: float = 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            ws = _open(self.url, buffered=1)
            if ws is None:
                self._stop.wait(0.5)
                continue
            code: int | None = None
            try:
                while not self._stop.wait(SLOW_READ_EVERY_S):
                    frame = json.loads(ws.recv(timeout=5))
                    self._note(int(frame["version"]))
                code = drain(ws)  # the scenario ends: was a 1013 on its way?
            except ConnectionClosed as exc:
                code = _close_code(exc)
            except (OSError, TimeoutError, ValueError, KeyError):
                pass
            finally:
                ws.close()
            if code == TRY_AGAIN_LATER:
                self.dropped += 1

    def _note(self, version: int) -> None:
        self.max_lag_versions = max(self.max_lag_versions, self.reference.latest - version)
        seen = self.reference.first_seen(version + 1)
        if seen is not None:
            self.max_lag_s = max(self.max_lag_s, time.monotonic() - seen)


def counts(
    readers: list[ReadingClient],
    stuck: list[StuckClient],
    slow: list[SlowClient],
    queue_bound: int,
    expected: dict[str, str],
) -> LiveCounts:
    """What the clients saw: who was dropped, who should have been and was not, who is off."""
    latest = max((reader.latest for reader in readers), default=-1)
    live = LiveCounts(clients=len(readers) + len(stuck) + len(slow))
    # Read what the server left each stuck client, all at once: each may wait for a moment.
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(lambda client: client.close_code(), stuck))
    for client, code in zip(stuck, codes, strict=True):
        behind = latest - client.version
        if code == TRY_AGAIN_LATER:
            live.dropped += 1
        elif behind > queue_bound:
            live.never_sent += 1
    for reader in slow:
        live.dropped += reader.dropped
        if reader.max_lag_versions > queue_bound and not reader.dropped:
            live.never_sent += 1
        live.max_lag_s = max(live.max_lag_s, reader.max_lag_s)
    # A browser that does not end on the database's states would show the wrong floor.
    live.diverged = sum(1 for reader in readers if reader.states != expected)
    return live
