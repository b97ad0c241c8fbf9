"""The desk agent: one gateway serving many desks, from raw readings to published events."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from contracts import ID_PATTERN, DeviceCommand, Kind, SensorClass
from edge_agent import agent_version
from edge_agent.clock import Clock, SystemClock
from edge_agent.debouncer import Debouncer, Transition
from edge_agent.discovery import DiscoverableBroker, reach_broker
from edge_agent.outbox import DEFAULT_MAX_ROWS, Outbox
from edge_agent.publisher import ConnectionSettings, DevicePublisher
from edge_agent.sensors import PresenceSource, Reading
from edge_agent.source_config import (
    SOURCE_TAGS,
    GpioSourceConfig,
    Ld2410SourceConfig,
    SourceModel,
    SourceSpec,
    as_model,
    open_presence_source,
)
from firmware_config.site import HoldTimes, Site

log = logging.getLogger(__name__)

Id = Annotated[str, Field(pattern=ID_PATTERN)]

TICK_S = 0.25  # how often the agent reads its source; hold times are far longer


def default_hold_times() -> dict[SensorClass, HoldTimes]:
    """The site model's default hold times per sensor class."""
    default: dict[SensorClass, HoldTimes] = Site.model_fields["hold_times"].get_default(
        call_default_factory=True
    )
    return default


class AgentConfigError(ValueError):
    """An agent config file is unusable; the message names the file, the field and the fix."""


class ServedDesk(BaseModel):
    """A desk this gateway reports, and how it senses presence.

    `source` overrides the agent's top-level `source` for this desk; `sensor` picks the hold
    times (an ld2410 source implies mmwave; a gpio source must say pir, pressure, ...).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Id
    sensor: SensorClass = SensorClass.SIMULATED
    source: SourceSpec | None = None


class DeskAgentConfig(DiscoverableBroker):
    """One desk agent's YAML config (see `load_agent_config`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device: Id
    site: Id
    outbox: Path = Field(description="SQLite outbox file; relative paths are from the config file")
    max_outbox_rows: Annotated[int, Field(ge=1, le=10_000_000)] = DEFAULT_MAX_ROWS
    heartbeat_s: Annotated[float, Field(gt=0, le=86_400)] = 30.0
    source: SourceSpec = Field(
        default="simulated", description="the default source of desks without their own"
    )
    seed: int = 1
    timezone: str = "Asia/Tokyo"
    desks: Annotated[list[ServedDesk], Field(min_length=1)]
    hold_times: dict[SensorClass, HoldTimes] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}, e.g. Asia/Tokyo or UTC") from None
        return value

    @model_validator(mode="before")
    @classmethod
    def _ld2410_desks_are_mmwave(cls, data: Any) -> Any:
        # An LD2410 can only be an mmWave sensor; saying so again in the file is optional.
        if not isinstance(data, dict) or not isinstance(data.get("desks"), list):
            return data
        default = data.get("source")
        desks = []
        for desk in data["desks"]:
            if isinstance(desk, dict) and "sensor" not in desk:
                source = desk.get("source", default)
                if isinstance(source, dict) and source.get("type") == "ld2410":
                    desk = {**desk, "sensor": SensorClass.MMWAVE.value}
            desks.append(desk)
        return {**data, "desks": desks}

    @model_validator(mode="after")
    def _desks_and_sources(self) -> DeskAgentConfig:
        seen: dict[str, int] = {}
        claimed: dict[str, str] = {}
        for index, desk in enumerate(self.desks):
            if desk.id in seen:
                raise ValueError(f"desks.{index}.id: desk {desk.id!r} is listed twice")
            seen[desk.id] = index
            source = self.source_of(desk)
            where = f"desks.{index}.source" if desk.source is not None else "source"
            if isinstance(source, Ld2410SourceConfig) and desk.sensor is not SensorClass.MMWAVE:
                raise ValueError(
                    f"desks.{index}.sensor: an ld2410 source is an mmwave sensor, "
                    f"not {desk.sensor.value}; write sensor: mmwave or leave it out"
                )
            if isinstance(source, GpioSourceConfig) and (
                "sensor" not in desk.model_fields_set or desk.sensor is SensorClass.SIMULATED
            ):
                raise ValueError(
                    f"desks.{index}.sensor: a gpio source needs the sensor class that drives "
                    "the pin (pir, pressure, mmwave or thermal) for its hold times"
                )
            if isinstance(source, GpioSourceConfig | Ld2410SourceConfig):
                device = source.device()
                if device in claimed:
                    raise ValueError(
                        f"{where}: {device} is already the source of desk {claimed[device]}; "
                        "each desk needs a sensor of its own (give desks their own source)"
                    )
                claimed[device] = desk.id
        return self

    def source_of(self, desk: ServedDesk) -> SourceModel:
        """Where `desk` gets its raw presence: its own source, else the agent's."""
        return as_model(desk.source if desk.source is not None else self.source)

    def effective_hold_times(self) -> dict[SensorClass, HoldTimes]:
        """The site defaults with this file's overrides on top."""
        return default_hold_times() | dict(self.hold_times)


def load_agent_config(path: Path | str) -> DeskAgentConfig:
    """Read and validate an agent YAML file; raises AgentConfigError naming file and field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AgentConfigError(f"{path}: cannot read the agent config: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise AgentConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise AgentConfigError(f"{path}: expected a mapping of settings at the top level")
    try:
        config = DeskAgentConfig.model_validate(data)
    except ValidationError as exc:
        raise AgentConfigError(
            f"{path}: " + "; ".join(describe_problem(err) for err in exc.errors())
        ) from None
    if not config.outbox.is_absolute():
        config = config.model_copy(update={"outbox": (path.parent / config.outbox).resolve()})
    return config


def describe_problem(error: Any) -> str:
    """One validation error as `field.path: what is wrong`."""
    loc = [str(part) for part in error["loc"]]
    # Drop the union tags pydantic adds after a `source` key; users never wrote them.
    loc = [p for i, p in enumerate(loc) if not (i and loc[i - 1] == "source" and p in SOURCE_TAGS)]
    message = str(error["msg"])
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        message = str(error["ctx"]["error"])
        if not loc:
            return message  # model-level checks name their own field path
    return f"{'.'.join(loc) or '(top level)'}: {message}"


class DeskGateway:
    """One desk-kind device: debounces raw readings per desk and publishes the changes.

    Used by the desk agent (real time) and the simulator (compressed time) alike: the caller
    owns the clock and calls `tick(now, readings)`; heartbeats run on real (monotonic) time
    because the broker expires them in real time.
    """

    def __init__(
        self,
        *,
        site: str,
        device: str,
        desks: Mapping[str, SensorClass],
        hold_times: Mapping[SensorClass, HoldTimes],
        outbox: Outbox,
        settings: ConnectionSettings,
        clock: Clock,
        heartbeat_s: float = 30.0,
        version: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        missing = set(desks.values()) - set(hold_times)
        if missing:
            raise ValueError(f"no hold times for sensor class(es) {sorted(missing)}")
        self.device = device
        self.heartbeat_s = heartbeat_s
        self.version = version or agent_version()
        self._sensors = dict(desks)
        self._debouncers = {desk: Debouncer(hold_times[s]) for desk, s in desks.items()}
        self._pending: set[str] = set()
        self.presence_events = 0
        self._unknown_desks: set[str] = set()
        self._monotonic = monotonic
        self._started_mono = monotonic()
        self._next_heartbeat = self._started_mono + heartbeat_s
        self._heartbeat_requested = threading.Event()
        self.publisher = DevicePublisher(
            site=site,
            device=device,
            kind=Kind.DESK,
            outbox=outbox,
            settings=settings,
            clock=clock,
            on_online=self._heartbeat_requested.set,
            on_command=self._command,
        )

    def start(self, now: datetime) -> None:
        """Connect and emit `device.booted` for the new epoch."""
        self.publisher.start()
        self.publisher.booted(now, self.version)

    def stop(self, *, drain_s: float = 2.0) -> None:
        """Publish `offline` and disconnect; unacknowledged events stay in the outbox."""
        self.publisher.stop(drain_s=drain_s)

    def presence(self) -> dict[str, bool]:
        """Each desk's debounced presence, for desks decided so far."""
        return {d: db.state for d, db in self._debouncers.items() if db.state is not None}

    def tick(self, now: datetime, readings: Iterable[Reading]) -> int:
        """Debounce readings up to `now`, emit the changes in time order; returns how many."""
        changes: list[tuple[Transition, str]] = []
        for reading in readings:
            debouncer = self._debouncers.get(reading.desk)
            if debouncer is None:
                if reading.desk not in self._unknown_desks:
                    self._unknown_desks.add(reading.desk)
                    log.warning(
                        "%s: reading for desk %r it does not serve", self.device, reading.desk
                    )
                continue
            changes += [(t, reading.desk) for t in debouncer.observe(reading.present, reading.at)]
            if debouncer.deadline is not None:
                self._pending.add(reading.desk)
        for desk in list(self._pending):
            debouncer = self._debouncers[desk]
            changes += [(t, desk) for t in debouncer.poll(now)]
            if debouncer.deadline is None:
                self._pending.discard(desk)
        # Several desks change within one tick; their seqs must follow their times.
        changes.sort(key=lambda change: change[0].at)
        for transition, desk in changes:
            self.publisher.presence_changed(
                desk, transition.present, self._sensors[desk], transition.at
            )
        self.presence_events += len(changes)
        self.heartbeat_if_due(now)
        return len(changes)

    def heartbeat_if_due(self, now: datetime) -> bool:
        """Publish the retained state if the interval passed or someone asked; True if sent."""
        mono = self._monotonic()
        if mono < self._next_heartbeat and not self._heartbeat_requested.is_set():
            return False
        self._heartbeat_requested.clear()
        sent = self.publisher.publish_state(
            at=now,
            interval_s=self.heartbeat_s,
            version=self.version,
            uptime_s=max(0.0, mono - self._started_mono),
            desks=self.presence(),
        )
        self._next_heartbeat = mono + self.heartbeat_s
        return sent

    def _command(self, command: DeviceCommand) -> None:
        # paho's thread: only flag the work; the agent's own thread does it on its next tick.
        if command.command == "resync":
            self._heartbeat_requested.set()
        elif command.command == "identify":
            log.warning("%s: identify requested by the server", self.device)


def run_desk_agent(
    config_path: Path,
    *,
    stop: threading.Event | None = None,
    clock: Clock | None = None,
    source: PresenceSource | None = None,
    settings: ConnectionSettings | None = None,
) -> None:
    """Run a desk agent until `stop` is set or Ctrl-C: booted, presence events, heartbeats.

    `source` replaces the configured ones (tests); otherwise each desk's source is opened from
    the file, and a device that cannot be opened raises SourceOpenError before the outbox
    starts a new epoch. `settings` replaces the connection settings derived from the file
    (e.g. faster reconnects in tests).
    """
    config = load_agent_config(config_path)
    clock = clock or SystemClock()
    stop = stop or threading.Event()
    reach = reach_broker(config, config.site, stop, settings=settings)
    if reach is None:
        return  # stopped before any server answered: nothing was started
    if source is None:
        source = open_presence_source(
            [(d.id, config.source_of(d)) for d in config.desks],
            seed=config.seed,
            timezone=config.timezone,
        )
    try:
        outbox = Outbox(config.outbox, max_rows=config.max_outbox_rows)
    except BaseException:
        source.close()
        raise
    gateway = DeskGateway(
        site=config.site,
        device=config.device,
        desks={d.id: d.sensor for d in config.desks},
        hold_times=config.effective_hold_times(),
        outbox=outbox,
        settings=reach.settings,
        clock=clock,
        heartbeat_s=config.heartbeat_s,
    )
    log.info(
        "%s: starting epoch %d with %d desk(s), %d event(s) waiting in the outbox",
        config.device,
        outbox.epoch,
        len(config.desks),
        len(outbox),
    )
    try:
        gateway.start(clock.now())
        while not stop.is_set():
            now = clock.now()
            gateway.tick(now, source.read(now))
            stop.wait(TICK_S)
    except KeyboardInterrupt:
        log.info("%s: interrupted; stopping", config.device)
    finally:
        try:
            source.close()
            gateway.stop()
        finally:
            outbox.close()
