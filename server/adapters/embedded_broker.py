"""A private MQTT broker for the demo and the tests: Mosquitto, or amqtt where it is missing."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from firmware_config.mosquitto import core_settings

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
    lines = []
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Started as root, Mosquitto drops to the "mosquitto" user, which cannot write our
        # private data directory: persistence would then fail silently. Stay the same user.
        lines.append("user root")
    return "\n".join(
        [
            *lines,
            "per_listener_settings false",
            f"listener {port} {host}",
            "allow_anonymous true",
            # Saved every second: tests stop and start the broker and expect queues to survive.
            *core_settings(data_dir, autosave_s=1),
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

    def reset(self) -> None:
        """Restart empty: no retained messages, no persistent sessions, same port."""
        self.stop()
        for saved in self.workdir.glob("*.db"):
            saved.unlink()
        self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None


@dataclass
class AmqttBroker:
    """A pure-Python broker (amqtt) in a child process, for machines without Mosquitto.

    A process of its own, because amqtt gives up on a PUBACK after 5 s and drops the message:
    sharing one GIL with the server and the simulator made that happen under load.
    """

    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="freeseat-amqtt-")))
    _proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> None:
        log = (self.workdir / "amqtt.log").open("ab")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "server.adapters.embedded_broker", self.host, str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(self.host, self.port, timeout=30)
        except TimeoutError:
            self.stop()
            tail = (self.workdir / "amqtt.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the embedded amqtt broker did not start:\n{tail}") from None

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


def serve_amqtt(host: str, port: int) -> None:
    """Run an amqtt broker in this process until it is terminated."""
    import signal

    from amqtt.broker import Broker as _Amqtt

    # Its "no data" error for the readiness probe's empty connection is noise.
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("amqtt.broker").setLevel(logging.CRITICAL)
    config = {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }

    async def main() -> None:
        broker = _Amqtt(config)
        # amqtt 0.12 iterates this dict across awaits while other clients subscribe
        # ("dictionary changed size during iteration" kills that client's connection
        # when many connect at once); iterating a copy makes that safe.
        broker._subscriptions = _SnapshotIterDict(broker._subscriptions)
        await broker.start()
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stopped.set)
        loop.add_signal_handler(signal.SIGINT, stopped.set)
        await stopped.wait()
        await broker.shutdown()

    asyncio.run(main())


class _SnapshotIterDict(dict[Any, Any]):
    """A dict whose iteration walks a copy of its keys, so it may change meanwhile."""

    def __iter__(self) -> Iterator[Any]:
        return iter(list(super().keys()))


class NoBrokerError(RuntimeError):
    """No embedded broker can run here; the message says what to install."""


def embedded_broker(port: int | None = None, prefer: str = "auto") -> MosquittoBroker | AmqttBroker:
    """A private broker: Mosquitto if installed (or asked for), else amqtt if installed."""
    binary = find_mosquitto()
    if prefer == "mosquitto" and binary is None:
        raise NoBrokerError(
            "mosquitto is not installed: run scripts/bootstrap (as root it installs Debian's"
            " mosquitto), or apt-get install mosquitto"
        )
    if binary is not None and prefer != "amqtt":
        return MosquittoBroker(binary, port=port or free_port())
    if importlib.util.find_spec("amqtt") is None:
        raise NoBrokerError(
            "no MQTT broker to embed: run scripts/bootstrap (as root it installs Debian's"
            " mosquitto), or install the pure-Python fallback with"
            " .venv/bin/pip install 'freeseat[amqtt]', or pass --broker mqtt://host:1883"
        )
    return AmqttBroker(port=port or free_port())


if __name__ == "__main__":
    serve_amqtt(sys.argv[1], int(sys.argv[2]))
