"""The faults, one scenario each: start the stage, break something mid-stream, judge.

Each scenario streams readings before, during and after its fault; durations shrink under
`--quick` (CI) but a fault keeps the length that makes it what it is where the issue says so
(a backlog of at least 10 s queued for a stopped server).
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.processes import ServerProcess
from chaos.harness import Stage
from chaos.live import ReadingClient, SlowClient, StuckClient, counts
from chaos.oracle import LiveCounts, Verdict
from chaos.processes import signal_server


@dataclass(frozen=True)
class Scenario:
    """A fault, the words of its row in the table, and the database it needs (None: any)."""

    name: str
    fault: str
    run: Callable[[Stage, bool], Verdict]
    database: str | None = None


def _ws(server: ServerProcess) -> str:
    return f"{server.ws_url}/ws/live?floor=f01"


def _phase(stage: Stage, quick: bool, full_s: float, quick_s: float) -> None:
    stage.stream(quick_s if quick else full_s)


def server_kill(stage: Stage, quick: bool) -> Verdict:
    # With the ingest worker (the advice on two cores): a crash must take the worker with it.
    server = stage.add_server(stage.server_settings(ingest_worker=True))
    stage.start()
    for _ in range(2):
        _phase(stage, quick, 30, 6)
        stage.kill_server(server)
        stage.stream(1)
        stage.restart_server(server)
    _phase(stage, quick, 30, 6)
    return stage.verdict(SCENARIOS["server_kill"].fault)


def broker_restart(stage: Stage, quick: bool) -> Verdict:
    stage.add_server()
    stage.start()
    _phase(stage, quick, 30, 5)
    stage.broker.terminate()
    _phase(stage, quick, 10, 3)
    stage.broker.start()
    _phase(stage, quick, 30, 5)
    stage.broker.kill()
    _phase(stage, quick, 10, 3)
    stage.broker.start()
    _phase(stage, quick, 30, 5)
    return stage.verdict(SCENARIOS["broker_restart"].fault)


def broker_backlog(stage: Stage, quick: bool) -> Verdict:
    # A receive maximum of 20 keeps the backlog in the broker's queue; with thousands in
    # flight, a small backlog would sit in the stopped server's socket buffer instead, where a
    # broker crash cannot reach it (a site's larger backlog does not fit there).
    server = stage.add_server(stage.server_settings(mqtt_receive_maximum=20))
    stage.start()
    _phase(stage, quick, 20, 4)
    signal_server(server, signal.SIGSTOP)
    try:
        stage.stream(12)  # what the stopped server has not taken queues in the broker
        stage.broker.kill()
        _phase(stage, quick, 10, 3)
        stage.broker.start()
    finally:
        signal_server(server, signal.SIGCONT)
    _phase(stage, quick, 40, 8)
    return stage.verdict(SCENARIOS["broker_backlog"].fault)


def agent_kill(stage: Stage, quick: bool) -> Verdict:
    stage.add_server()
    stage.start()
    first, second = list(stage.agents)[:2]
    _phase(stage, quick, 20, 4)
    stage.end_agent(first, kill=True)
    stage.stream(1)
    stage.start_agent(first)
    _phase(stage, quick, 20, 4)
    stage.broker.terminate()
    stage.stream(2)
    stage.end_agent(second, kill=True)  # its outbox holds what the broker never took
    stage.stream(1)
    stage.start_agent(second)
    _phase(stage, quick, 10, 3)
    stage.broker.start()
    _phase(stage, quick, 30, 6)
    return stage.verdict(SCENARIOS["agent_kill"].fault)


def server_stop(stage: Stage, quick: bool) -> Verdict:
    server = stage.add_server()
    stage.start()
    readers = [ReadingClient(_ws(server)) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        _phase(stage, quick, 20, 4)
        signal_server(server, signal.SIGSTOP)
        try:
            _phase(stage, quick, 5, 2)
            stage.broker.terminate()
            _phase(stage, quick, 20, 6)
            stage.broker.start()
            _phase(stage, quick, 5, 2)
        finally:
            signal_server(server, signal.SIGCONT)
        _phase(stage, quick, 40, 8)
        return stage.verdict(
            SCENARIOS["server_stop"].fault,
            live=lambda: counts(readers, [], [], 0, stage.expected_states()),
        )
    finally:
        for reader in readers:
            reader.stop()


@contextlib.contextmanager
def small_disk(where: Path, megabytes: int) -> Iterator[bool]:
    """A tmpfs of `megabytes` at `where` (True), or nothing if mounting is not permitted."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(where)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def fill(directory: Path) -> Path:
    """Write a filler file until the file system is full; returns it (delete to free)."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for chunk in (1 << 20, 1 << 12, 1 << 9, 1):
            block = b"\0" * chunk
            with contextlib.suppress(OSError):
                for _ in range(1 << 16):  # bounded: 64 GiB at the largest chunk
                    os.write(fd, block)
    finally:
        os.close(fd)
    return filler


def disk_full(stage: Stage, quick: bool) -> Verdict:
    server = stage.add_server()
    stage.start()
    _phase(stage, quick, 20, 4)
    disk = Path(stage.database_url.removeprefix("sqlite:///")).parent
    if (disk / ".tmpfs").exists():
        filler = fill(disk)
        try:
            _phase(stage, quick, 30, 10)
        finally:
            filler.unlink()
    else:
        # No mount allowed: the server may not grow any file past what it has (EFBIG).
        unlimited = resource.getrlimit(resource.RLIMIT_FSIZE)
        size = max(f.stat().st_size for f in disk.glob("*.db*"))
        resource.prlimit(server.pid, resource.RLIMIT_FSIZE, (size, unlimited[1]))
        try:
            _phase(stage, quick, 30, 10)
        finally:
            resource.prlimit(server.pid, resource.RLIMIT_FSIZE, unlimited)
    _phase(stage, quick, 40, 8)
    return stage.verdict(SCENARIOS["disk_full"].fault)


def postgres_restart(stage: Stage, quick: bool) -> Verdict:
    assert stage.postgres is not None, "the scenario runs on the run's own PostgreSQL"
    stage.add_server()
    stage.start()
    _phase(stage, quick, 30, 5)
    # Down longer than the pump retries one message (~6 s): a restart for an upgrade is.
    stage.postgres.restart(down_s=12 if not quick else 8)
    _phase(stage, quick, 40, 10)
    return stage.verdict(SCENARIOS["postgres_restart"].fault)


def _is_ticker(server: ServerProcess) -> bool:
    with contextlib.suppress(httpx.HTTPError, ValueError):
        return bool(httpx.get(f"{server.url}/api/replica", timeout=5).json()["ticker"])
    return False


def replicas(stage: Stage, quick: bool) -> Verdict:
    servers = stage.add_servers(
        [stage.server_settings(name, scale_out=True, leader_retry_s=0.2) for name in "abc"]
    )
    stage.start()
    stage.wait_for(lambda: any(_is_ticker(s) for s in servers), 30, "a replica holds the ticker")
    _phase(stage, quick, 20, 4)
    plain = next(s for s in servers if not _is_ticker(s))
    ticker = next(s for s in servers if _is_ticker(s))
    for victim in (plain, ticker):
        stage.kill_server(victim)
        _phase(stage, quick, 10, 3)
        stage.restart_server(victim)  # as systemd's Restart= would
        _phase(stage, quick, 20, 4)
    stage.wait_for(lambda: sum(map(_is_ticker, servers)) == 1, 30, "one ticker again")
    return stage.verdict(SCENARIOS["replicas"].fault)


def wiped_outbox(stage: Stage, quick: bool) -> Verdict:
    stage.add_server()
    stage.start()
    gateway = next(iter(stage.agents))
    _phase(stage, quick, 20, 5)
    stage.end_agent(gateway, kill=False)
    stage.agents[gateway].wipe_outbox()
    stage.ledger.wiped(gateway)
    stage.start_agent(gateway)
    _phase(stage, quick, 30, 8)
    return stage.verdict(SCENARIOS["wiped_outbox"].fault)


def slow_clients(stage: Stage, quick: bool) -> Verdict:
    server = stage.add_server()
    stage.start()
    reference = ReadingClient(_ws(server))
    reference.start()
    stuck = [StuckClient(_ws(server)) for _ in range(40)]
    opened = sum(client.open() for client in stuck)
    slow = [SlowClient(_ws(server), reference) for _ in range(3)]
    for client in slow:
        client.start()
    try:
        _phase(stage, quick, 60, 30)

        def live() -> LiveCounts:
            with ThreadPoolExecutor(max_workers=len(slow)) as pool:
                list(pool.map(lambda client: client.stop(), slow))  # each drains its socket
            return counts([reference], stuck, slow, stage.queue_bound, stage.expected_states())

        verdict = stage.verdict(SCENARIOS["slow_clients"].fault, live=live)
        if opened < len(stuck):
            verdict.notes.append(f"only {opened} of {len(stuck)} stuck clients connected")
        return verdict
    finally:
        reference.stop()
        for client in slow:
            client.stop()


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("server_kill", "server SIGKILL twice mid-stream", server_kill),
        Scenario(
            "broker_restart", "broker SIGTERM / kill -9 while the server keeps up", broker_restart
        ),
        Scenario(
            "broker_backlog",
            "broker kill -9 with 12 s of events queued for a stopped server",
            broker_backlog,
        ),
        Scenario("agent_kill", "agent SIGKILL; agent SIGKILL while the broker is down", agent_kill),
        Scenario(
            "server_stop",
            "server SIGSTOP 30 s, broker stopped 20 s, 3 websocket clients",
            server_stop,
        ),
        Scenario("disk_full", "SQLite disk full for 30 s", disk_full, database="sqlite"),
        Scenario(
            "postgres_restart",
            "PostgreSQL restarted mid-stream",
            postgres_restart,
            database="postgresql",
        ),
        Scenario(
            "replicas",
            "3 replicas on PostgreSQL, one killed, then the ticker holder",
            replicas,
            database="postgresql",
        ),
        Scenario("wiped_outbox", "agent restarted with its outbox deleted", wiped_outbox),
        Scenario("slow_clients", "40 never-reading + 3 slow websocket clients", slow_clients),
    )
}
