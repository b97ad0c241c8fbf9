"""Many `/ws/live` clients in one asyncio loop: snapshot first, then timestamped deltas."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

log = logging.getLogger(__name__)

CLOSE_TRY_AGAIN_LATER = 1013
_DELTA_PREFIX = '{"type":"delta"'
_VERSION_KEY = '"version":'

# What one delta (floor, version) said: (desk, state, since) for each desk in it.
DeltaDesks = list[tuple[str, str, datetime]]


@dataclass
class LiveClient:
    """One simulated browser on one floor; `receipts` holds (wall time, version) per delta."""

    floor: str
    ws: ClientConnection | None = None
    snapshot_version: int = -1
    last_version: int = -1
    receipts: list[tuple[float, int]] = field(default_factory=list)
    gaps: int = 0
    close_code: int | None = None
    error: str | None = None
    reader: asyncio.Task[None] | None = None

    @property
    def dropped(self) -> bool:
        return self.close_code == CLOSE_TRY_AGAIN_LATER


class ClientPool:
    """Opens, reads and closes many clients; each delta is parsed once per floor and version."""

    def __init__(self, ws_url: str, *, compression: str | None, concurrency: int) -> None:
        self._ws_url = ws_url
        self._compression = compression
        self._concurrency = concurrency
        self.clients: list[LiveClient] = []
        self.deltas: dict[tuple[str, int], DeltaDesks] = {}
        self.connect_seconds = 0.0

    async def open(self, floors: list[str], count: int, wait_s: float) -> None:
        """Connect `count` clients round-robin over `floors`; each waits for its snapshot."""
        self.clients = [LiveClient(floors[i % len(floors)]) for i in range(count)]
        gate = asyncio.Semaphore(self._concurrency)
        started = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*(self._open_one(c, gate, wait_s) for c in self.clients)),
            wait_s + count / 10,
        )
        self.connect_seconds = time.perf_counter() - started
        for client in self.clients:
            if client.ws is not None:
                client.reader = asyncio.create_task(self._read(client, client.ws))

    @property
    def connected(self) -> list[LiveClient]:
        return [c for c in self.clients if c.ws is not None]

    @property
    def failures(self) -> list[str]:
        return [c.error for c in self.clients if c.error is not None]

    async def _open_one(self, client: LiveClient, gate: asyncio.Semaphore, wait_s: float) -> None:
        async with gate:
            try:
                ws = await connect(
                    f"{self._ws_url}/ws/live?floor={client.floor}",
                    compression=self._compression,
                    open_timeout=wait_s,
                    ping_interval=None,
                    close_timeout=5,
                    max_size=None,
                    proxy=None,
                )
            except Exception as exc:
                client.error = f"connect: {exc!r}"
                return
            try:
                first = await asyncio.wait_for(ws.recv(), wait_s)
                snapshot = json.loads(first)
                if snapshot.get("type") != "snapshot":
                    raise ValueError(f"first frame is {snapshot.get('type')!r}, not a snapshot")
            except Exception as exc:
                client.error = f"snapshot: {exc!r}"
                await _close_quietly(ws)
                return
            client.snapshot_version = client.last_version = int(snapshot["version"])
            client.ws = ws

    async def _read(self, client: LiveClient, ws: ClientConnection) -> None:
        try:
            async for frame in ws:
                received = time.time()
                if not isinstance(frame, str) or not frame.startswith(_DELTA_PREFIX):
                    continue  # pings
                version = _version(frame)
                key = (client.floor, version)
                if key not in self.deltas:
                    self.deltas[key] = _parse(frame)
                client.receipts.append((received, version))
                if version != client.last_version + 1:
                    client.gaps += 1
                client.last_version = version
        except ConnectionClosed:
            pass
        except Exception as exc:
            client.error = f"read: {exc!r}"
        finally:
            client.close_code = ws.close_code

    async def close(self, wait_s: float = 30.0) -> None:
        """Close every open client (bounded), then stop the readers."""
        open_ = [c.ws for c in self.clients if c.ws is not None]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(_close_quietly(ws) for ws in open_)), wait_s)
        readers = [c.reader for c in self.clients if c.reader is not None]
        for reader in readers:
            reader.cancel()
        if readers:
            await asyncio.wait(readers, timeout=10)


async def _close_quietly(ws: ClientConnection) -> None:
    with contextlib.suppress(Exception):
        await ws.close()


def _version(frame: str) -> int:
    # The hub serialises {"type","floor","version","desks"} in that order; reading the version
    # without parsing keeps 20,000 frames/s affordable for the load generator.
    start = frame.index(_VERSION_KEY) + len(_VERSION_KEY)
    return int(frame[start : frame.index(",", start)])


def _parse(frame: str) -> DeltaDesks:
    data = json.loads(frame)
    return [
        (desk, view["state"], datetime.fromisoformat(view["since"]))
        for desk, view in data["desks"].items()
    ]


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]
