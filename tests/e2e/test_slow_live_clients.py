"""Live-feed clients that never read, or read slowly, are closed with 1013 and counted, and no
connected client is ever more than a few seconds behind (issue 15 point 8).

Real parts: Mosquitto, the server under uvicorn with the protocol it is served with, sensor
events over MQTT, and websocket clients on real sockets with small receive buffers, on threads
of their own: the `websockets` library's client, and a client on a slow link (the library's
sans-I/O protocol over a socket read a few hundred bytes at a time).

What a client's own library has taken off the socket but its application has not read yet is
the client's: the server bounds what is in flight to it (its buffers, the kernels', the link).
"""

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.sync.client import ClientConnection, connect
from websockets.uri import parse_uri

from contracts import DeskPresenceChanged, build_topic, encode
from server.adapters.embedded_broker import MosquittoBroker
from server.api.app import create_app
from server.settings import Settings
from tests.off_the_shelf_support import Publisher, metric
from tests.support import METRICS_TOKEN, ServerThread, small_site, wait_until

GW = "gw-f1-a"
DESKS = [f"desk-f1-a-01-0{n}" for n in range(1, 5)]
SLOW_READ_S = 0.5
LINK_CHUNK = 100  # bytes per 0.1 s: a link slower than the feed's ~1.5-3 KB/s
# The server's bound (a ping every 2 s answered within 3 s), plus scheduling slack on a busy
# 2-core machine.
LAG_BOUND_S = 5.0 + 1.0


def small_buffer_socket(url: str) -> socket.socket:
    """A connected socket whose small receive buffer holds little for a client not reading."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    sock.connect(("127.0.0.1", int(url.rsplit(":", 1)[1].split("/")[0])))
    return sock


class Reader:
    """A websocket client on its own thread: every frame's version and when it was read."""

    def __init__(self, url: str, *, pace_s: float = 0.0, max_queue: int = 16) -> None:
        self.ws: ClientConnection = connect(url, sock=small_buffer_socket(url), max_queue=max_queue)
        self.read: list[tuple[int, float]] = []
        self.close_code: int | None = None
        self._pace_s = pace_s
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "Reader":
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while True:
                frame = json.loads(self.ws.recv(timeout=60))
                if "version" in frame:
                    self.read.append((frame["version"], time.monotonic()))
                time.sleep(self._pace_s)
        except ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd else None
        except TimeoutError:
            pass

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


class SlowLink:
    """A client on a link slower than the feed: `chunk` bytes every 0.1 s, frames as they
    arrive (pings answered as they arrive, as any client's network stack does)."""

    def __init__(self, url: str, chunk: int) -> None:
        self.read: list[tuple[int, float]] = []
        self.close_code: int | None = None
        self._sock = small_buffer_socket(url)
        self._chunk = chunk
        self._protocol = ClientProtocol(parse_uri(url))
        self._protocol.send_request(self._protocol.connect())
        self._flush()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _flush(self) -> None:
        self._sock.sendall(b"".join(self._protocol.data_to_send()))

    def _run(self) -> None:
        try:
            while data := self._sock.recv(self._chunk):
                self._protocol.receive_data(data)
                for event in self._protocol.events_received():
                    if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                        frame = json.loads(bytes(event.data))
                        if "version" in frame:
                            self.read.append((frame["version"], time.monotonic()))
                self._flush()
                time.sleep(0.1)
        except OSError:
            pass  # reset: the server gave up waiting for this client to answer its close
        received = self._protocol.close_rcvd
        self.close_code = received.code if received is not None else None

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        self._sock.close()


@contextmanager
def sensor_traffic(broker: MosquittoBroker, rate_per_s: float) -> Iterator[None]:
    """A gateway's presence events for floor f1, as fast as a busy morning, until the end."""
    stop = threading.Event()

    def run() -> None:
        publisher = Publisher(broker)
        seq = 0
        while not stop.is_set():
            seq += 1
            event = DeskPresenceChanged(
                device=GW,
                epoch=1,
                seq=seq,
                at=datetime.now(UTC),
                desk=DESKS[seq % len(DESKS)],
                present=(seq // len(DESKS)) % 2 == 0,
                sensor="mmwave",
            )
            topic = build_topic("testhall", "desk", GW, "event")
            publisher.send(topic, encode(event).decode())
            time.sleep(1 / rate_per_s)
        publisher.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)


def test_never_reading_and_slow_clients_are_closed_with_1013_and_counted(
    broker: MosquittoBroker, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'live.db'}",
        broker_url=broker.url,
        mqtt_client_id="slow-clients",
        metrics_token=METRICS_TOKEN,
    )
    with ServerThread(create_app(settings, site=small_site())) as server:
        wait_until(lambda: metric(server, "freeseat_broker_connected") == 1, what="subscribed")
        url = f"{server.ws_url}/ws/live?floor=f1"

        def dropped() -> float:
            return metric(server, "freeseat_live_clients_dropped_total") or 0

        fast = Reader(url).start()
        slow = Reader(url, pace_s=SLOW_READ_S, max_queue=2).start()
        never = Reader(url, max_queue=2)  # connected, never started reading
        with sensor_traffic(broker, rate_per_s=25):
            # The client that never reads is cut off first ...
            wait_until(lambda: dropped() >= 1, 15, "the never-reading client dropped")
            never.start()  # ... and, reading again, finds every frame it was sent, then 1013.
            never.join(15)
            assert never.close_code == 1013
            # The slow reader falls further behind every second, until it is cut off too.
            slow.join(30)
            assert slow.close_code == 1013
            assert dropped() == 2

            # A link slower than the feed: dropped once its pings come back late.
            link = SlowLink(url, chunk=LINK_CHUNK)
            wait_until(lambda: dropped() == 3, 30, "the slow link dropped")
            dropped_at = time.monotonic()
            link.join(40)
            # It still reads what was in flight to it, then 1013.
            assert link.close_code == 1013
            assert metric(server, "freeseat_live_clients") == 1  # the fast reader
        fast.join(0)
        arrived = dict(fast.read)
        # While connected, the link was never more than the bound behind.
        lags = [at - arrived[v] for v, at in link.read if v in arrived and at < dropped_at]
        assert lags and max(lags) <= LAG_BOUND_S, max(lags)
        # The fast reader kept up throughout, and was never dropped.
        assert fast.close_code is None and fast.read[-1][0] >= link.read[-1][0] + 10
        fast.ws.close()
