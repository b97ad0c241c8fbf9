"""The processes a chaos scenario breaks: Mosquitto, desk agents, PostgreSQL, and signals."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.processes import REPO_ROOT, BenchBroker, ServerProcess, child_pids
from firmware_config.mosquitto import BrokerFiles, production_config
from server.adapters.embedded_broker import find_mosquitto, mosquitto_config, wait_for_port


def shipped_autosave_s() -> int:
    """The autosave interval of the Mosquitto config `freeseat provision` ships.

    The chaos broker saves as seldom as a site's broker does, so a kill -9 loses what a real
    one would; the embedded broker's every-second save would hide it."""
    found = re.search(r"^autosave_interval (\d+)$", production_config(BrokerFiles()), re.M)
    if found is None:
        raise RuntimeError("the shipped Mosquitto config sets no autosave_interval")
    return int(found.group(1))


@dataclass
class ChaosBroker(BenchBroker):
    """Mosquitto with persistence and the shipped autosave, which scenarios stop and kill."""

    autosave_s: int = field(default_factory=shipped_autosave_s)

    def start(self) -> None:
        config = mosquitto_config(self.port, self.workdir, self.host)
        config = re.sub(
            r"^autosave_interval \d+$", f"autosave_interval {self.autosave_s}", config, flags=re.M
        )
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(config)
        with (self.workdir / "mosquitto.log").open("ab") as log:
            self._proc = subprocess.Popen(
                [self.binary, "-c", str(conf)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port(self.host, self.port, timeout=20)

    def signal(self, sig: signal.Signals) -> None:
        if self._proc is not None:
            self._proc.send_signal(sig)

    def terminate(self) -> None:
        """SIGTERM: Mosquitto writes its persistence file on the way out."""
        self.stop()

    def stop(self) -> None:
        self.signal(signal.SIGCONT)  # a stopped broker cannot act on SIGTERM
        super().stop()


def new_broker(workdir: Path) -> ChaosBroker:
    binary = find_mosquitto()
    if binary is None:
        raise RuntimeError("mosquitto is not installed (apt-get install mosquitto)")
    workdir.mkdir(parents=True, exist_ok=True)
    broker = ChaosBroker(binary, workdir=workdir)
    broker.start()
    return broker


def signal_server(server: ServerProcess, sig: signal.Signals) -> None:
    """Send `sig` to the server and the processes it started (its ingest worker)."""
    for pid in [server.pid, *_children(server.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def kill_server(server: ServerProcess, grace_s: float = 5.0) -> list[int]:
    """SIGKILL the server as a crash would, and reap it. Returns the processes it had started
    (its ingest worker) that were still alive `grace_s` later; those are killed then."""
    children = _children(server.pid)
    proc = server._proc
    if proc is None:
        return []
    proc.kill()
    proc.wait(timeout=10)
    server._proc = None
    deadline = time.monotonic() + grace_s
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    orphans = [pid for pid in children if _alive(pid)]
    for pid in orphans:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return orphans


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing


def stop_server(server: ServerProcess) -> None:
    """Stop the server even if it is SIGSTOPped, and anything it left running."""
    if server._proc is None:
        return
    children = _children(server.pid)
    signal_server(server, signal.SIGCONT)
    server.stop()
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    try:
        return child_pids(pid)
    except OSError:
        return []


@dataclass
class AgentProcess:
    """A desk agent (`python -m edge_agent CONFIG`) in a process group of its own."""

    device: str
    config: Path
    outbox: Path
    log: Path
    _proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "edge_agent", str(self.config)],
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no DISCONNECT, no offline status; the outbox stays as the crash left it."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM and wait; a hung agent is killed after 20 s."""
        self._end(signal.SIGTERM)

    def _end(self, sig: signal.Signals) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def wipe_outbox(self) -> None:
        """Delete the outbox as a new SD card would (the agent must not be running)."""
        assert not self.running, "wipe the outbox of a stopped agent only"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.outbox}{suffix}").unlink(missing_ok=True)


def outbox_counters(path: Path) -> tuple[int, int, int] | None:
    """(epoch, last seq, dropped) persisted in a stopped agent's outbox; None if it has none."""
    if not path.exists():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.OperationalError:
        return None  # killed before the schema was committed: no epoch was used
    finally:
        db.close()
    if "epoch" not in meta:
        return None
    return int(meta["epoch"]), int(meta.get("next_seq", 1)) - 1, int(meta.get("dropped", 0))


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of the run's own (scripts/private-postgres), so it can restart."""

    directory: Path
    url: str = ""

    def start(self) -> str:
        script = REPO_ROOT / "scripts" / "private-postgres"
        done = subprocess.run(
            [str(script), "start", str(self.directory)],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.url = done.stdout.strip().splitlines()[-1]
        return self.url

    def restart(self, down_s: float) -> None:
        """Stop fast (connections are cut), stay down `down_s`, start again."""
        self._pg_ctl("-m", "fast", "-w", "stop")
        time.sleep(down_s)
        port = self.url.rsplit(":", 1)[1].split("/")[0]
        self._pg_ctl(
            "-w",
            "-t",
            "60",
            "-l",
            str(self.directory / "server.log"),
            "-o",
            f"-p {port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=300",
            "start",
        )

    def stop(self) -> None:
        script = REPO_ROOT / "scripts" / "private-postgres"
        subprocess.run([str(script), "stop", str(self.directory)], check=False, timeout=120)

    def _pg_ctl(self, *args: str) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
        command = [str(bins[-1] / "pg_ctl"), "-D", str(self.directory / "data"), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
