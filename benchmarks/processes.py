"""The processes a scenario starts (Mosquitto, the server) and what /proc says about them."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import SecretStr

from server.adapters.embedded_broker import MosquittoBroker, find_mosquitto, free_port
from server.settings import Settings

T = TypeVar("T")

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REPO_ROOT = Path(__file__).resolve().parent.parent


def wait_for(predicate: Callable[[], T], timeout: float, what: str, poll_s: float = 0.05) -> T:
    """Poll `predicate` until it returns something truthy; TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll_s)


@dataclass
class BenchBroker(MosquittoBroker):
    """A private Mosquitto (DESIGN §5.6 settings) whose process id the bench can measure."""

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None


def start_broker(workdir: Path) -> BenchBroker:
    """A fresh private Mosquitto on a free loopback port; the caller stops it."""
    binary = find_mosquitto()
    if binary is None:
        raise RuntimeError(
            "mosquitto is not installed; the bench measures against a real Mosquitto "
            "(apt-get install mosquitto)"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    broker = BenchBroker(binary, workdir=workdir)
    broker.start()
    return broker


@contextlib.contextmanager
def running_broker(workdir: Path) -> Iterator[BenchBroker]:
    broker = start_broker(workdir)
    try:
        yield broker
    finally:
        broker.stop()


def server_env(settings: Settings) -> dict[str, str]:
    """The FREESEAT_* variables that give `python -m server serve` these settings."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json", exclude_defaults=True).items():
        secret = getattr(settings, name)
        if isinstance(secret, SecretStr):
            value = secret.get_secret_value()  # model_dump masks secrets
        if value is None:
            continue
        env[f"FREESEAT_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


@dataclass
class ServerProcess:
    """`python -m server serve` on a free loopback port, its log in `log_path`."""

    settings: Settings
    log_path: Path
    port: int = field(default_factory=free_port)
    _proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise RuntimeError("the server is not running")
        return self._proc.pid

    def start(self, timeout: float = 60.0, *, wait_connected: bool = True) -> None:
        """Start and wait until /api/health answers (and the broker link is up).

        A free port can be taken by another process before the server binds it: then the
        server is started again on another."""
        for attempt in range(3):
            try:
                self._start(timeout, wait_connected=wait_connected)
                return
            except RuntimeError as exc:
                if "address already in use" not in str(exc) or attempt == 2:
                    raise
                self.port = free_port()

    def _start(self, timeout: float, *, wait_connected: bool) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("FREESEAT_")}
        env.update(server_env(self.settings))
        env["PYTHONUNBUFFERED"] = "1"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "server",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=REPO_ROOT,
            )
        try:
            wait_for(self._ready if wait_connected else self._answers, timeout, "server start")
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        self._check_alive()
        return self.try_health() is not None

    def _ready(self) -> bool:
        self._check_alive()
        health = self.try_health()
        return health is not None and bool(health.get("broker_connected"))

    def _check_alive(self) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(
                f"the server exited with code {self._proc.returncode}:\n{self.log_tail()}"
            )

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/api/health", timeout=10) as response:
            data: dict[str, Any] = json.loads(response.read())
            return data

    def try_health(self) -> dict[str, Any] | None:
        try:
            return self.health()
        except (OSError, urllib.error.URLError, ValueError):
            return None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 20.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def running_server(
    settings: Settings, log_path: Path, timeout: float = 60.0
) -> Iterator[ServerProcess]:
    server = ServerProcess(settings, log_path)
    try:
        server.start(timeout)
        yield server
    finally:
        server.stop()


def child_pids(pid: int) -> list[int]:
    """The processes `pid` started (e.g. the server's ingest worker), from /proc."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            children += [int(c) for c in (task / "children").read_text().split()]
    return children


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (all its threads)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(rest.split()[0])
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies over all CPUs since boot, from /proc/stat."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in first]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = float(sum(values[:8]))
    return total - idle, total


class CpuMeter:
    """CPU used by named processes (and the whole machine) between `start` and `stop`."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self._pids = {name: pid for name, pid in pids.items() if pid is not None}
        self._started: dict[str, float] = {}
        self._machine: tuple[float, float] = (0.0, 0.0)
        self._wall = 0.0
        self.result: dict[str, float] = {}

    def start(self) -> None:
        self._wall = time.monotonic()
        self._machine = machine_busy()
        self._started = {name: self._cpu(name, pid) for name, pid in self._pids.items()}

    def stop(self) -> dict[str, float]:
        """Each process's CPU use as a fraction of one core, plus `machine` over all cores."""
        wall = max(time.monotonic() - self._wall, 1e-9)
        busy, total = machine_busy()
        result = {
            f"{name}_cpu": round((self._cpu(name, pid) - self._started[name]) / wall, 3)
            for name, pid in self._pids.items()
        }
        spent = total - self._machine[1]
        result["machine_busy"] = round((busy - self._machine[0]) / spent, 3) if spent else 0.0
        self.result = result
        return result

    @staticmethod
    def _cpu(name: str, pid: int) -> float:
        if name == "bench":
            times = os.times()
            return times.user + times.system
        try:
            return cpu_seconds(pid)
        except OSError:
            return 0.0


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's open-file limit (inherited by the server) towards `wanted`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def py_spy() -> str | None:
    """The py-spy binary (the venv's first), if installed."""
    beside = Path(sys.executable).parent / "py-spy"
    if beside.exists():
        return str(beside)
    return shutil.which("py-spy")
