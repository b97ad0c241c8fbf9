"""The AP agent: association events in, per-AP station counts out; no address leaves it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts import ApStationsCounted, DeviceCommand, Kind
from edge_agent.ap_sources.association import Association, Observation, Reset
from edge_agent.ap_sources.hostapd import parse_hostapd
from edge_agent.ap_sources.radius import RadiusDetailParser
from edge_agent.ap_sources.readers import FollowedFile, HostapdControl, LineReader, SyslogListener
from edge_agent.ap_sources.vendor_syslog import parse_vendor_syslog
from edge_agent.runtime import (
    AgentConfig,
    AgentConfigError,
    AgentRun,
    ConnectionSettings,
    DeviceId,
    DevicePublisher,
    Outbox,
    TimeZoneName,
    WallClock,
)
from edge_agent.runtime.config import under
from edge_agent.station_hash import StationHasher, StationId, normalise_mac

log = logging.getLogger(__name__)

TICK_S = 0.25


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HostapdSource(_Source):
    """hostapd's control socket of one radio (`ctrl_interface`/<ifname>)."""

    type: Literal["hostapd"]
    ctrl: Path


class RadiusSource(_Source):
    """A FreeRADIUS `detail` accounting file, followed like `tail -F`."""

    type: Literal["radius"]
    file: Path
    from_start: bool = False


class SyslogSource(_Source):
    """Vendor syslog: a file followed like `tail -F`, or a UDP port to listen on."""

    type: Literal["syslog"]
    file: Path | None = None
    listen: str | None = Field(default=None, description="host:port, e.g. 127.0.0.1:5514")
    from_start: bool = False

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is not None:
            host, sep, port = value.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"listen {value!r} must be host:port, e.g. 127.0.0.1:5514")
        return value

    @model_validator(mode="after")
    def _one_of(self) -> SyslogSource:
        if (self.file is None) == (self.listen is None):
            raise ValueError("a syslog source needs exactly one of file or listen")
        return self


ApSource = Annotated[HostapdSource | RadiusSource | SyslogSource, Field(discriminator="type")]


class ApAgentConfig(AgentConfig):
    """One AP agent's YAML config (read with `ApAgentConfig.load`)."""

    access_point: DeviceId
    # The AP's own radio addresses, as RADIUS and controller syslog name it; lines naming
    # another AP are not ours. Lines that name no AP (hostapd on the AP itself) always are.
    bssids: list[str] = Field(default_factory=list)
    sources: Annotated[list[ApSource], Field(min_length=1)]
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

    def paths_under(self, folder: Path) -> dict[str, Any]:
        sources = [_source_under(folder, source) for source in self.sources]
        return super().paths_under(folder) | {"sources": sources}


def _source_under(folder: Path, source: HostapdSource | RadiusSource | SyslogSource) -> Any:
    if isinstance(source, HostapdSource):
        return source.model_copy(update={"ctrl": under(folder, source.ctrl)})
    if source.file is not None:
        return source.model_copy(update={"file": under(folder, source.file)})
    return source


@dataclass(slots=True)
class _Station:
    randomised: bool
    day: date
    last_seen: datetime


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
            self._stations[current.token] = _Station(current.randomised, self._day(), now)
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

    def reset(self) -> bool:
        """The AP forgot everyone; True if anyone was associated."""
        had = bool(self._stations)
        self._stations.clear()
        return had

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
        bssids: Iterable[str] = (),
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
        self._bssids = frozenset(bssids)
        self._table = StationTable(StationHasher(timezone), timedelta(seconds=station_idle_s))
        self._report = timedelta(seconds=report_s)
        self._min_report = timedelta(seconds=min_report_s)
        self._last_report: datetime | None = None
        self._dirty = True
        self.ignored = 0  # lines for other APs
        self.reports = 0
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

    def observe(self, observation: Observation, now: datetime) -> None:
        """Apply one parsed observation (others' APs are ignored)."""
        if observation.bssid is not None and observation.bssid not in self._bssids:
            self.ignored += 1
            return
        if isinstance(observation, Reset):
            changed = self._table.reset()
        else:
            changed = self._table.observe(observation, now)
        self._dirty = self._dirty or changed

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


class ObservationSource:
    """One configured reader with the parser its lines need."""

    def __init__(self, reader: LineReader, kind: Literal["hostapd", "radius", "syslog"]) -> None:
        self.reader = reader
        self.kind = kind
        self._radius = RadiusDetailParser() if kind == "radius" else None
        self.lines = 0
        self.unparsed = 0

    def read(self) -> list[Observation]:
        """Whatever the new lines report; lines that report nothing are counted, not logged."""
        out: list[Observation] = []
        for line in self.reader.poll():
            self.lines += 1
            observation = self.parse(line)
            if observation is not None:
                out.append(observation)
            elif self.kind != "radius":
                self.unparsed += 1
        return out

    def parse(self, line: str) -> Observation | None:
        if self._radius is not None:
            return self._radius.feed(line)
        if self.kind == "hostapd":
            return parse_hostapd(line)
        return parse_vendor_syslog(line)

    def close(self) -> None:
        self.reader.close()


def open_sources(config: ApAgentConfig, run: AgentRun) -> list[ObservationSource]:
    """A reader per configured source, closed when the run ends (UDP ports are bound now, so
    a clash fails early)."""
    out = []
    for source in config.sources:
        if isinstance(source, HostapdSource):
            reader: LineReader = HostapdControl(source.ctrl)
        elif source.file is not None:
            reader = FollowedFile(source.file, from_start=source.from_start)
        else:
            assert source.listen is not None
            host, _, port = source.listen.rpartition(":")
            try:
                reader = SyslogListener(host.strip("[]"), int(port))
            except OSError as exc:
                raise AgentConfigError(
                    f"sources: cannot listen for syslog on {source.listen}: {exc.strerror}"
                ) from None
        out.append(run.hold(ObservationSource(reader, source.type)))
    return out


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
            bssids=config.bssids,
            timezone=config.timezone,
            report_s=config.report_s,
            min_report_s=config.min_report_s,
            station_idle_s=config.station_idle_s,
            heartbeat_s=config.heartbeat_s,
        )
        run.callback(_log_stopped, config.device, sources, gateway)
        run.callback(gateway.stop)
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
                    gateway.observe(observation, now)
            gateway.tick(now)

        run.tick_until_stopped(tick, TICK_S)
    return gateway


def _log_stopped(device: str, sources: list[ObservationSource], gateway: ApGateway) -> None:
    log.info(
        "%s: stopped; %d line(s) read, %d not an association, %d for other APs",
        device,
        sum(s.lines for s in sources),
        sum(s.unparsed for s in sources),
        gateway.ignored,
    )
