"""One scenario's stage: a site, a broker, servers, desk agents, their sensors and a ledger.

Everything it starts is stopped in `close()`, whatever state a fault left it in.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.bench_site import BenchSite, write_site
from benchmarks.processes import ServerProcess
from chaos.ledger import Ledger
from chaos.oracle import (
    LiveCounts,
    Verdict,
    judge,
    logged_events,
    quarantined,
    rebuild_differences,
)
from chaos.processes import (
    AgentProcess,
    ChaosBroker,
    PrivatePostgres,
    kill_server,
    new_broker,
    stop_server,
)
from chaos.sensors import SensorBoard
from server.adapters.database import upgrade
from server.settings import Settings

SETTLED_FOR_S = 3.0  # the log must stop growing this long before the oracle looks


@dataclass(frozen=True)
class Size:
    """How big a scenario's stream is: `--quick` for CI, the full run for the table."""

    agents: int
    desks_per_agent: int
    flip_every_s: float  # each desk changes this often
    settle_s: float = 120.0  # how long the system may take to catch up afterwards

    @property
    def desks(self) -> int:
        return self.agents * self.desks_per_agent


def postgres_database(cluster_url: str, name: str) -> str:
    """A fresh database named for the scenario on the run's PostgreSQL cluster."""
    database = f"chaos_{name}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(cluster_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()
    return make_url(cluster_url).set(database=database).render_as_string(hide_password=False)


@dataclass
class Stage:
    """The processes of one scenario and what is known of them."""

    name: str
    size: Size
    workdir: Path
    database_url: str
    site: BenchSite = field(init=False)
    broker: ChaosBroker = field(init=False)
    servers: list[ServerProcess] = field(default_factory=list)
    agents: dict[str, AgentProcess] = field(default_factory=dict)
    board: SensorBoard = field(init=False)
    ledger: Ledger = field(default_factory=Ledger)
    postgres: PrivatePostgres | None = None  # the cluster a scenario may restart
    silent: set[str] = field(default_factory=set)  # devices left dead: their desks are unknown
    orphans: int = 0  # processes a killed server left running
    _started: bool = False

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.site = write_site(self.workdir, "site", 1, self.size.desks, self.size.desks_per_agent)
        desks = [desk for gateway in self.site.gateways.values() for desk in gateway]
        self.board = SensorBoard(self.workdir / "gpio", desks, self.size.flip_every_s)
        self.broker = new_broker(self.workdir / "broker")
        upgrade(self.database_url)
        for gateway, served in self.site.gateways.items():
            self.agents[gateway] = self._agent(gateway, served)

    # -- the parts ---------------------------------------------------------------------------

    @property
    def queue_bound(self) -> int:
        """Frames a server queues per websocket client before it must close it with 1013."""
        bound: int = Settings.model_fields["live_client_queue"].default
        return bound

    def server_settings(self, replica: str = "a", **extra: Any) -> Settings:
        return Settings(
            database_url=self.database_url,
            broker_url=self.broker.url,
            site_file=self.site.path,
            mqtt_client_id=f"chaos-{self.name}-{replica}",
            **extra,
        )

    def add_server(self, settings: Settings | None = None) -> ServerProcess:
        """Start a `freeseat serve` process and wait until it is subscribed."""
        settings = settings or self.server_settings()
        server = ServerProcess(settings, self.workdir / "logs" / f"{settings.mqtt_client_id}.log")
        self.servers.append(server)
        server.start(timeout=90)
        return server

    def add_servers(self, settings: list[Settings]) -> list[ServerProcess]:
        """Start several servers at once (replicas), each waited for as `add_server` does."""
        with ThreadPoolExecutor(max_workers=len(settings)) as pool:
            return list(pool.map(self.add_server, settings))

    def restart_server(self, server: ServerProcess) -> None:
        server.start(timeout=90)

    def kill_server(self, server: ServerProcess) -> None:
        """SIGKILL a server; a process of it that outlives it is noted against the scenario."""
        self.orphans += len(kill_server(server))

    def _agent(self, gateway: str, desks: list[str]) -> AgentProcess:
        folder = self.workdir / "agents"
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / f"{gateway}.yaml"
        outbox = folder / f"{gateway}.outbox.sqlite"
        config.write_text(
            yaml.safe_dump(
                {
                    "device": gateway,
                    "site": self.site.site_id,
                    "broker": self.broker.url,
                    "outbox": str(outbox),
                    "heartbeat_s": 5.0,
                    # Every flip of a line is an event: the suite counts events, not holds.
                    "hold_times": {
                        "mmwave": {"occupied_after_s": 0, "free_after_s": 0, "ttl_s": 600}
                    },
                    "desks": [
                        {
                            "id": desk,
                            "sensor": "mmwave",
                            "source": {
                                "type": "gpio",
                                "interface": "sysfs",
                                "sysfs_root": str(self.board.root),
                                "line": self.board.line(desk),
                            },
                        }
                        for desk in desks
                    ],
                }
            )
        )
        return AgentProcess(gateway, config, outbox, self.workdir / "logs" / f"{gateway}.log")

    def start_agent(self, gateway: str) -> None:
        self.agents[gateway].start()
        self.silent.discard(gateway)

    def end_agent(self, gateway: str, *, kill: bool) -> None:
        """Stop (SIGTERM) or kill (SIGKILL) an agent, then read its outbox into the ledger."""
        agent = self.agents[gateway]
        if kill:
            agent.kill()
        else:
            agent.stop()
        self.ledger.record(gateway, agent.outbox)

    # -- the stream --------------------------------------------------------------------------

    def start(self) -> None:
        """Agents up, sensors flipping, and the first readings on the map."""
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        self._started = True
        for gateway in self.agents:
            self.start_agent(gateway)
        self.wait_for(self._all_desks_known, 90, "every desk known on the map")
        self.board.start()

    def stream(self, seconds: float) -> None:
        """Let readings flow for `seconds` (an agent or server keeps running meanwhile)."""
        time.sleep(max(0.0, seconds))

    def wait_for(self, predicate: Callable[[], object], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: timed out after {timeout:.0f} s: {what}")
            time.sleep(0.25)

    def desk_states(self) -> dict[str, str]:
        """Each desk's state as the map shows it, from any server that answers."""
        for server in self.servers:
            if server._proc is None:
                continue
            with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                floor = httpx.get(f"{server.url}/api/floors/f01", timeout=10).json()
                return {desk["id"]: desk["state"] for desk in floor["desks"]}
        return {}

    def expected_states(self) -> dict[str, str]:
        """The last reading fed to every desk; `unknown` where its device is silent."""
        expected = {}
        for gateway, desks in self.site.gateways.items():
            for desk in desks:
                if gateway in self.silent:
                    expected[desk] = "unknown"
                else:
                    expected[desk] = "occupied" if self.board.last[desk] else "free"
        return expected

    def _all_desks_known(self) -> bool:
        states = self.desk_states()
        return bool(states) and all(state != "unknown" for state in states.values())

    def _log_size(self) -> int:
        return sum(logged_events(self.database_url, set(self.agents)).values())

    def settle(self) -> bool:
        """Stop the sensors and wait until the map shows the last readings and the log holds
        still; False if it did not within `settle_s` (the oracle then says what is missing)."""
        self.board.stop()
        deadline = time.monotonic() + self.size.settle_s
        last, since = -1, time.monotonic()
        expected = self.expected_states()
        while time.monotonic() < deadline:
            size = self._log_size()
            if size != last:
                last, since = size, time.monotonic()
            elif time.monotonic() - since >= SETTLED_FOR_S and self.desk_states() == expected:
                return True
            time.sleep(0.5)
        return False

    def verdict(self, fault: str, live: Callable[[], LiveCounts] | None = None) -> Verdict:
        """Settle, then hold the server's log and map (and the browsers, `live`) against the
        ledger; the agents are stopped last, since their offline status makes desks unknown."""
        verdict = Verdict(fault)
        if self.orphans:
            verdict.notes.append(f"{self.orphans} process(es) outlived their killed server")
        if not self.settle():
            verdict.notes.append(f"did not settle within {self.size.settle_s:.0f} s")
        states = self.desk_states()
        verdict.rebuild_differences = rebuild_differences(self.database_url, self.site.path)
        if live is not None:
            verdict.live = live()
        # All at once: each agent takes up to its drain time to stop.
        with ThreadPoolExecutor(max_workers=len(self.agents)) as pool:
            list(pool.map(lambda agent: agent.stop(), self.agents.values()))
        for gateway, agent in self.agents.items():
            self.ledger.record(gateway, agent.outbox)
        devices = set(self.agents)
        verdict.quarantined = quarantined(self.database_url, devices)
        return judge(
            verdict,
            self.ledger,
            logged_events(self.database_url, devices),
            states,
            self.expected_states(),
        )

    def close(self) -> None:
        """Stop everything this stage started, whatever state it is in."""
        with contextlib.suppress(Exception):
            self.board.close()
        for agent in self.agents.values():
            with contextlib.suppress(Exception):
                if agent.running:
                    agent.kill()
        for server in self.servers:
            with contextlib.suppress(Exception):
                stop_server(server)
        with contextlib.suppress(Exception):
            self.broker.stop()
