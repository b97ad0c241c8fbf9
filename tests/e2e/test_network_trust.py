"""What the network advertises gets no secret: fake room displays, fake brokers on loopback.

A laptop's password goes only to the server its user named; an agent's broker login only to the
broker in its file, or to a discovered one whose TLS certificate verifies against its CA.
"""

import asyncio
import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from edge_agent.desk_agent import run_desk_agent
from edge_agent.room_connect import ConnectError, connect
from edge_agent.room_discovery import RoomAdvertiser, room_service_info
from edge_agent.trusted_servers import TrustedServers
from server.adapters.advertiser import ServerAdvertiser
from server.composition.commands import accounts_admin
from tests.fakes import FakeClock
from tests.provisioned_broker import make_certificates
from tests.room_support import OTHER_ROOM, room_server, screen_key, shown_code
from tests.support import wait_until

HOST = "s00005"
PASSWORD = "correct horse battery"


class Recorder:
    """Everything that reached a fake endpoint."""

    def __init__(self) -> None:
        self.seen: list[bytes] = []
        self.lock = threading.Lock()

    def add(self, data: bytes) -> None:
        with self.lock:
            self.seen.append(data)

    def everything(self) -> bytes:
        with self.lock:
            return b"".join(self.seen)


@contextlib.contextmanager
def fake_display(room: str) -> Iterator[Recorder]:
    """A room display on loopback whose info endpoint names a server of its own: itself."""
    heard = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            heard.add(f"{self.command} {self.path}\n".encode() + self.rfile.read(length))
            body = json.dumps(
                {"txtvers": 1, "room": room, "name": "Fake display", "server": own_url}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    own_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    advert = RoomAdvertiser(
        room_service_info(room, "Fake display", "127.0.0.1", server.server_address[1]),
        ["127.0.0.1"],
    )
    advert.start()
    try:
        yield heard
    finally:
        advert.stop()
        server.shutdown()
        server.server_close()


def test_a_fake_room_display_never_receives_the_hosts_password(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    trusted = TrustedServers(tmp_path / "servers.json")
    # The second room: the room monitor tests (here or in another checkout) advertise the first.
    with room_server(database_url, clock) as real, fake_display(OTHER_ROOM) as heard:
        accounts_admin(database_url).set_password(HOST, PASSWORD, "test")
        said: list[str] = []

        def pair(server: str | None) -> Any:
            return connect(
                staff_id=HOST,
                server=server,
                room=OTHER_ROOM,  # as named on the display found (others may advertise too)
                code=shown_code(real, screen_key(real, OTHER_ROOM), OTHER_ROOM),
                password=PASSWORD,
                interfaces=["127.0.0.1"],
                wait_s=2,
                prompt=lambda _: pytest.fail("no question expected"),
                out=said.append,
                trusted=trusted,
            )

        with pytest.raises(ConnectError, match="no freeseat server named: give --server"):
            pair(None)
        connected = pair(real.url)  # the server is the one the user named
        assert connected.room == OTHER_ROOM and connected.started
        listed = [line for line in said if line.endswith(f". {OTHER_ROOM}  Fake display")]
        assert listed, said  # found, and left alone
        joined = pair(None)  # remembered after the sign-in: no --server the next time
        assert joined.session_id == connected.session_id and not joined.started
        assert [s.url for s in trusted.load()] == [real.url]
    assert heard.everything() == b""  # not even asked which server it belongs to


@contextlib.contextmanager
def advertised(broker_url: str) -> Iterator[None]:
    """The site's `_freeseat._tcp` advert, naming `broker_url`, from anyone on loopback."""
    loop = asyncio.new_event_loop()
    advertiser = ServerAdvertiser(
        site="testhall", http_port=9, broker_url=broker_url, interfaces=["127.0.0.1"]
    )
    task = loop.create_task(advertiser.run())

    def advertise() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(task)

    thread = threading.Thread(target=advertise, daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(10)
        loop.close()


@contextlib.contextmanager
def fake_broker(tls: ssl.SSLContext | None = None) -> Iterator[tuple[int, Recorder, list[str]]]:
    """A TCP listener that records every byte sent to it (after the TLS handshake, if any)."""
    heard = Recorder()
    handshakes: list[str] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    stream = tls.wrap_socket(conn, server_side=True) if tls else conn
                except (ssl.SSLError, OSError) as exc:
                    handshakes.append(f"refused: {exc}")
                    continue
                with contextlib.suppress(OSError):
                    heard.add(stream.recv(4096))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], heard, handshakes
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def desk_agent_config(tmp_path: Path, ca_file: Path | None) -> Path:
    config = {
        "device": "gw-f1-a",
        "site": "testhall",
        "username": "gw-f1-a",
        "password": "the-gateways-broker-password",
        "outbox": "outbox.sqlite",
        "discovery_interfaces": ["127.0.0.1"],
        "timezone": "Asia/Tokyo",
        "desks": [{"id": "desk-f1-a-01-01", "sensor": "simulated"}],
    }
    if ca_file is not None:
        config["ca_file"] = str(ca_file)
    path = tmp_path / "agent.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@contextlib.contextmanager
def running_agent(config: Path) -> Iterator[None]:
    stop = threading.Event()
    agent = threading.Thread(target=run_desk_agent, args=(config,), kwargs={"stop": stop})
    agent.start()
    try:
        yield
    finally:
        stop.set()
        agent.join(20)
    assert not agent.is_alive()


def test_a_spoofed_plain_broker_advert_gets_no_login(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="edge_agent.discovery")
    with (
        fake_broker() as (port, heard, _),
        advertised(f"mqtt://127.0.0.1:{port}"),
        running_agent(desk_agent_config(tmp_path, ca_file=None)),
    ):
        wait_until(
            lambda: "ignoring the advert of broker" in caplog.text, 30, "the advert left alone"
        )
    assert "plain mqtt:// would show this agent's broker login" in caplog.text
    assert heard.everything() == b""


def test_a_spoofed_tls_broker_fails_the_ca_check_before_any_login(tmp_path: Path) -> None:
    ours = make_certificates(tmp_path / "ours")
    theirs = make_certificates(tmp_path / "theirs")  # a valid chain, from another CA
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(theirs / "server.crt", theirs / "server.key")
    with (
        fake_broker(tls) as (port, heard, handshakes),
        advertised(f"mqtts://127.0.0.1:{port}"),
        running_agent(desk_agent_config(tmp_path, ca_file=ours / "ca.crt")),
    ):
        wait_until(lambda: handshakes, 30, "the agent tried the advertised broker")
    assert heard.everything() == b""
    assert b"the-gateways-broker-password" not in heard.everything()
