"""A private MQTT broker for the demo and the tests: Mosquitto when installed, amqtt otherwise."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

MOSQUITTO_CANDIDATES = ("mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


class Broker(Protocol):
    host: str
    port: int

    def start(self) -> None: ...
    def stop(self) -> None: ...

    @property
    def url(self) -> str: ...


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    """Return once something accepts TCP connections on host:port, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"nothing listens on {host}:{port} after {timeout:.0f} s"
                ) from None
            time.sleep(0.05)


def find_mosquitto() -> str | None:
    """The path of the mosquitto binary, if this machine has one."""
    for candidate in MOSQUITTO_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def mosquitto_config(port: int, data_dir: Path, host: str = "127.0.0.1") -> str:
    """A development broker config with the settings that matter for freeseat (DESIGN §5.6)."""
    return "\n".join(
        [
            "per_listener_settings false",
            f"listener {port} {host}",
            "allow_anonymous true",
            # Persistence so a broker restart keeps queued QoS 1 messages of persistent sessions.
            "persistence true",
            f"persistence_location {data_dir}/",
            "autosave_interval 1",
            # Mosquitto drops queued QoS 1 messages past max_queued_messages (default 1000).
            "max_queued_messages 200000",
            "max_inflight_messages 0",
            "set_tcp_nodelay true",
            "log_type error",
            "log_type warning",
            "log_dest stderr",
            "",
        ]
    )


@dataclass
class MosquittoBroker:
    """A private Mosquitto process on loopback; stop/start keeps its persistence directory."""

    binary: str
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="freeseat-mqtt-")))
    _proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> None:
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(mosquitto_config(self.port, self.workdir, self.host))
        log = (self.workdir / "mosquitto.log").open("ab")
        self._proc = subprocess.Popen(
            [self.binary, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(self.host, self.port)
        except TimeoutError:
            self.stop()
            tail = (self.workdir / "mosquitto.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"mosquitto did not start on port {self.port}:\n{tail}") from None

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def kill(self) -> None:
        """Stop abruptly, as a crash would (no final persistence write)."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=10)
            self._proc = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None


@dataclass
class AmqttBroker:
    """A pure-Python broker (amqtt) in a background thread, for machines without Mosquitto."""

    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> None:
        from amqtt.broker import Broker as _Amqtt

        ready = threading.Event()
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            self._broker = _Amqtt(config, loop=loop)
            loop.run_until_complete(self._broker.start())
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="amqtt-broker", daemon=True)
        self._thread.start()
        if not ready.wait(15):
            raise RuntimeError("the embedded amqtt broker did not start within 15 s")
        wait_for_port(self.host, self.port)

    def stop(self) -> None:
        loop, broker = self._loop, self._broker
        if loop is None or broker is None:
            return
        asyncio.run_coroutine_threadsafe(broker.shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._loop = self._broker = None


def embedded_broker(port: int | None = None, prefer: str = "auto") -> MosquittoBroker | AmqttBroker:
    """A private broker: Mosquitto if installed (or asked for), else amqtt."""
    binary = find_mosquitto()
    if prefer == "mosquitto" and binary is None:
        raise RuntimeError("mosquitto is not installed (apt-get install mosquitto)")
    if binary is not None and prefer != "amqtt":
        return MosquittoBroker(binary, port=port or free_port())
    return AmqttBroker(port=port or free_port())
