"""The AP agent: association events in, per-AP station counts out; no address leaves it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator

from contracts import ApStationsCounted, DeviceCommand, Kind
from edge_agent.ap_sources.association import Association, Observation, Reset
from edge_agent.ap_sources.attribution import ApIdentity, Attribution, Scope
from edge_agent.ap_sources.settings import ApSourceConfig, ObservationSource, open_reader
from edge_agent.runtime import (
    AgentConfig,
    AgentRun,
    ConnectionSettings,
    DeviceId,
    DevicePublisher,
    Outbox,
    TimeZoneName,
    WallClock,
)
from edge_agent.runtime.metrics import MetricsServer, exposition
from edge_agent.station_hash import StationHasher, StationId, normalise_mac

log = logging.getLogger(__name__)

TICK_S = 0.25


class ApAgentConfig(AgentConfig):
    """One AP agent's YAML config (read with `ApAgentConfig.load`)."""

    access_point: DeviceId
    # How this AP is named in the lines it reads (see ap_sources/attribution.py): its radio or
    # AP addresses, its names at a controller or as a syslog host, its radio interfaces.
    bssids: list[str] = Field(default_factory=list)
    ap_names: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list
    )
    interfaces: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=list
    )
    sources: Annotated[list[ApSourceConfig], Field(min_length=1)]
    metrics: str | None = Field(
        default=None, description="host:port to serve /metrics on, e.g. 127.0.0.1:9310"
    )
    timezone: TimeZoneName = "Asia/Tokyo"
    report_s: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    min_report_s: Annotated[float, Field(ge=0, le=3_600)] = 30.0
    station_idle_s: Annotated[float, Field(gt=0, le=7 * 86_400)] = 8 * 3600.0
    heartbeat_s: Annotated[float, Field(gt=0, le=86_400)] = 60.0

    @field_validator("bssids")
    @classmethod
    def _bssids(cls, values: list[str]) -> list[str]:
        out = []
        for index, value in enumerate(values):
            mac = normalise_mac(value)
            if mac is None:
                raise ValueError(
                    f"item {index} is not a MAC address; write six hex pairs joined by ':'"
                )
            out.append(mac)
        return out

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, value: str | None) -> str | None:
        if value is not None:
            host, sep, port = value.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
                raise ValueError(f"metrics {value!r} must be host:port, e.g. 127.0.0.1:9310")
        return value

    def identity(self) -> ApIdentity:
        """How this agent's AP is named."""
        return ApIdentity.of(self.bssids, self.ap_names, self.interfaces)

    def paths_under(self, folder: Path) -> dict[str, Any]:
        sources = [source.under(folder) for source in self.sources]
        return super().paths_under(folder) | {"sources": sources}


@dataclass(slots=True)
class _Station:
    randomised: bool
    day: date
    last_seen: datetime
    interface: str | None = None  # the radio it joined, when the line said


class StationTable:
    """Who is associated now, by keyed hash; forgets stations idle past `idle`."""

    def __init__(self, hasher: StationHasher, idle: timedelta) -> None:
        self._hasher = hasher
        self._idle = idle
        self._stations: dict[str, _Station] = {}

    def observe(self, association: Association, now: datetime) -> bool:
        """Apply a join or leave; True if the set of stations changed."""
        rotated = self._hasher.rotate_if_due(now)
        if rotated:
            self._drop_older_than(self._hasher.day)
        current = self._hasher.station(association.station, now)
        known = self._find(association.station, current)
        if association.joined:
            self._stations[current.token] = _Station(
                current.randomised, self._day(), now, association.interface
            )
            return known is None
        return known is not None

    def _find(self, mac: str, current: StationId) -> _Station | None:
        found = self._stations.pop(current.token, None)
        if found is not None:
            return found
        previous = self._hasher.previous(mac)
        if previous is not None:
            return self._stations.pop(previous.token, None)
        return None

    def reset(self, interface: str | None = None) -> bool:
        """The AP (or only its radio `interface`) forgot everyone; True if anyone was there."""
        before = len(self._stations)
        if interface is None:
            self._stations.clear()
        else:
            self._stations = {t: s for t, s in self._stations.items() if s.interface != interface}
        return len(self._stations) != before

    def expire(self, now: datetime) -> bool:
        """Forget stations idle too long, and keys' leftovers; True if any went."""
        before = len(self._stations)
        if self._hasher.rotate_if_due(now):
            self._drop_older_than(self._hasher.day)
        cutoff = now - self._idle
        self._stations = {t: s for t, s in self._stations.items() if s.last_seen >= cutoff}
        return len(self._stations) != before

    def _drop_older_than(self, today: date | None) -> None:
        # Stations from before yesterday hash under a key that no longer exists.
        keep = {today, (today - timedelta(days=1)) if today else None}
        self._stations = {t: s for t, s in self._stations.items() if s.day in keep}
        if not any(s.day != today for s in self._stations.values()):
            self._hasher.forget_previous()

    def _day(self) -> date:
        day = self._hasher.day
        assert day is not None
        return day

    def counts(self) -> tuple[int, int]:
        """(stations, of which randomised)."""
        return len(self._stations), sum(s.randomised for s in self._stations.values())


class ApGateway:
    """One AP-kind device: station table, rate-limited counts, heartbeats, outbox and MQTT."""

    def __init__(
        self,
        *,
        site: str,
        device: str,
        access_point: str,
        outbox: Outbox,
        settings: ConnectionSettings,
        clock: WallClock,
        identity: ApIdentity | None = None,
        timezone: str = "Asia/Tokyo",
        report_s: float = 300.0,
        min_report_s: float = 30.0,
        station_idle_s: float = 8 * 3600.0,
        heartbeat_s: float = 60.0,
        version: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.device = device
        self.access_point = access_point
        self.identity = identity or ApIdentity()
        self._table = StationTable(StationHasher(timezone), timedelta(seconds=station_idle_s))
        self._report = timedelta(seconds=report_s)
        self._min_report = timedelta(seconds=min_report_s)
        self._last_report: datetime | None = None
        self._dirty = True
        self.reports = 0
        self.metrics_port: int | None = None  # where /metrics is served, once it is
        self.publisher = DevicePublisher(
            site=site,
            device=device,
            kind=Kind.AP,
            outbox=outbox,
            settings=settings,
            clock=clock,
            heartbeat_s=heartbeat_s,
            version=version,
            monotonic=monotonic,
            on_command=self._command,
        )

    def start(self, now: datetime) -> None:
        self.publisher.start(now)

    def stop(self, *, drain_s: float = 2.0) -> None:
        self.publisher.stop(drain_s=drain_s)

    def counts(self) -> tuple[int, int]:
        """(stations, randomised) associated now."""
        return self._table.counts()

    def observe(
        self, observation: Observation, now: datetime, scope: Scope = "this_ap"
    ) -> Attribution:
        """Apply one parsed observation if it is this AP's; says whose it was."""
        attribution = self.identity.attribute(observation, scope)
        if attribution != "this_ap":
            return attribution
        if isinstance(observation, Reset):
            changed = self._table.reset(observation.interface)
        else:
            changed = self._table.observe(observation, now)
        self._dirty = self._dirty or changed
        return attribution

    def tick(self, now: datetime) -> bool:
        """Expire idle stations, publish counts if due; True if a count was emitted."""
        if self._table.expire(now):
            self._dirty = True
        due = self._last_report is None or now - self._last_report >= self._report
        allowed = self._last_report is None or now - self._last_report >= self._min_report
        sent = False
        if due or (self._dirty and allowed):
            self._emit(now)
            sent = True
        self.publisher.heartbeat_if_due(now)
        return sent

    def _emit(self, now: datetime) -> None:
        stations, randomised = self._table.counts()
        self.publisher.emit(
            ApStationsCounted,
            now,
            access_point=self.access_point,
            stations=stations,
            randomised=randomised,
        )
        self._last_report = now
        self._dirty = False
        self.reports += 1

    def _command(self, command: DeviceCommand) -> None:
        # The publisher already asked for a heartbeat; a resync wants fresh counts too.
        if command.command == "resync":
            self._dirty = True


def open_sources(
    config: ApAgentConfig, run: AgentRun, monotonic: Callable[[], float] = time.monotonic
) -> list[ObservationSource]:
    """A reader per configured source, closed when the run ends."""
    return [
        run.hold(ObservationSource(source, open_reader(source), monotonic=monotonic))
        for source in config.sources
    ]


def metrics_text(gateway: ApGateway, sources: list[ObservationSource]) -> str:
    """The AP agent's counters as Prometheus text."""
    stations, randomised = gateway.counts()
    lines = exposition(
        "freeseat_ap_lines_total",
        "counter",
        "Lines read per source: parsed (an association or reset), ignored (a known Wi-Fi "
        "program's line with nothing to count) or unparsed (no format the agent reads).",
        [
            ({"source": s.counts.name, "outcome": outcome}, s.counts.lines[outcome])
            for s in sources
            for outcome in ("parsed", "ignored", "unparsed")
        ],
    )
    lines += exposition(
        "freeseat_ap_observations_total",
        "counter",
        "Associations and resets per source, by whose they were: this AP's (counted), another "
        "AP's, or unattributed (naming no AP this agent is mapped to; never counted).",
        [
            ({"source": s.counts.name, "attribution": who}, s.counts.observations[who])
            for s in sources
            for who in ("this_ap", "other_ap", "unattributed")
        ],
    )
    lines += exposition(
        "freeseat_ap_stations", "gauge", "Stations associated with this AP now.", [({}, stations)]
    )
    lines += exposition(
        "freeseat_ap_stations_randomised",
        "gauge",
        "Of them, stations using a randomised address.",
        [({}, randomised)],
    )
    lines += exposition(
        "freeseat_ap_reports_total", "counter", "Counts published.", [({}, gateway.reports)]
    )
    return "\n".join(lines) + "\n"


def run_ap_agent(
    config_path: Path,
    *,
    stop: threading.Event | None = None,
    clock: WallClock | None = None,
    settings: ConnectionSettings | None = None,
    on_started: Callable[[ApGateway, list[ObservationSource]], None] | None = None,
) -> ApGateway | None:
    """Run an AP agent until `stop` is set or Ctrl-C; returns the gateway (for its counters),
    or None when stopped while still looking for the server (no `broker:` in the config)."""
    config = ApAgentConfig.load(config_path)
    run = AgentRun.reach(config, stop=stop, clock=clock, settings=settings)
    if run is None:
        return None  # stopped before any server answered: nothing was started
    with run:
        sources = open_sources(config, run)
        outbox = run.open_outbox()
        gateway = ApGateway(
            site=config.site,
            device=config.device,
            access_point=config.access_point,
            outbox=outbox,
            settings=run.settings,
            clock=run.clock,
            identity=config.identity(),
            timezone=config.timezone,
            report_s=config.report_s,
            min_report_s=config.min_report_s,
            station_idle_s=config.station_idle_s,
            heartbeat_s=config.heartbeat_s,
        )
        run.callback(_log_stopped, config.device, sources, gateway)
        run.callback(gateway.stop)
        if config.metrics is not None:
            host, _, port = config.metrics.rpartition(":")
            server = MetricsServer(
                host.strip("[]"), int(port), lambda: metrics_text(gateway, sources)
            )
            run.callback(server.close)
            gateway.metrics_port = server.port
        log.info(
            "%s: starting epoch %d for %s with %d source(s)",
            config.device,
            outbox.epoch,
            config.access_point,
            len(sources),
        )
        gateway.start(run.clock.now())
        if on_started is not None:
            on_started(gateway, sources)

        def tick(now: datetime) -> None:
            for source in sources:
                for observation in source.read():
                    source.counts.observed(gateway.observe(observation, now, source.scope))
            gateway.tick(now)

        run.tick_until_stopped(tick, TICK_S)
    return gateway


def _log_stopped(device: str, sources: list[ObservationSource], gateway: ApGateway) -> None:
    for source in sources:
        counts = source.counts
        log.info(
            "%s: %s: %d line(s) parsed, %d ignored, %d unparsed; %d observation(s) this AP's, "
            "%d another AP's, %d unattributed",
            device,
            counts.name,
            counts.lines["parsed"],
            counts.lines["ignored"],
            counts.lines["unparsed"],
            counts.observations["this_ap"],
            counts.observations["other_ap"],
            counts.observations["unattributed"],
        )
