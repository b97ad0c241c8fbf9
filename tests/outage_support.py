"""Database outages for tests: a PostgreSQL that refuses and cuts connections, a locked SQLite."""

import socket
import sqlite3
import threading
from contextlib import suppress
from typing import Protocol

from sqlalchemy.engine import make_url

from server.adapters.embedded_broker import free_port


class TcpGate:
    """A TCP relay to a real server that a test closes and opens again.

    Closed, new connections are refused and open ones are cut: what a client sees while
    PostgreSQL restarts, or its host is unreachable.
    """

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.open()

    def open(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        """Refuse new connections and cut the open ones."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            cut, self._sockets = self._sockets, []
        for sock in cut:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_relay, args=(source, sink), daemon=True).start()


def _relay(source: socket.socket, sink: socket.socket) -> None:
    with suppress(OSError):
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    with suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


class Outage(Protocol):
    """A database outage a test starts and ends; `url` is where the server must connect."""

    url: str

    def start(self) -> None: ...
    def end(self) -> None: ...


class RefusedPostgres:
    """PostgreSQL behind a TcpGate: the outage refuses connections and cuts the open ones."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self._gate = TcpGate(parsed.host or "127.0.0.1", parsed.port or 5432)
        self.url = parsed.set(host="127.0.0.1", port=self._gate.port).render_as_string(
            hide_password=False
        )

    def start(self) -> None:
        self._gate.close()

    def end(self) -> None:
        self._gate.open()


class LockedSqlite:
    """Another connection holds SQLite's write lock: writers get "database is locked"."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._path = make_url(url).database or ""
        self._holder: sqlite3.Connection | None = None

    def start(self) -> None:
        holder = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        self._holder = holder

    def end(self) -> None:
        if self._holder is not None:
            self._holder.execute("ROLLBACK")
            self._holder.close()
            self._holder = None


def outage_for(url: str) -> Outage:
    """The outage a test can cause on this backend without stopping a shared server."""
    if make_url(url).get_backend_name() == "sqlite":
        return LockedSqlite(url)
    return RefusedPostgres(url)
