"""The desk agent: one gateway serving many desks, from raw readings to published events."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts import DeskPresenceChanged, Kind, SensorClass
from edge_agent.debouncer import DebouncedChange, Debouncer
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
from edge_agent.sensors import PresenceSource, SensorReading, faulty_desks
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

TICK_S = 0.25  # how often the agent reads its source; hold times are far longer


def default_hold_times() -> dict[SensorClass, HoldTimes]:
    """The site model's default hold times per sensor class."""
    default: dict[SensorClass, HoldTimes] = Site.model_fields["hold_times"].get_default(
        call_default_factory=True
    )
    return default


class ServedDesk(BaseModel):
    """A desk this gateway reports, and how it senses presence.

    `source` overrides the agent's top-level `source` for this desk; `sensor` picks the hold
    times (an ld2410 source implies mmwave; a gpio source must say pir, pressure, ...).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: DeviceId
    sensor: SensorClass = SensorClass.SIMULATED
    source: SourceSpec | None = None


class DeskAgentConfig(AgentConfig):
    """One desk agent's YAML config (read with `DeskAgentConfig.load`)."""

    source_tags: ClassVar[frozenset[str]] = SOURCE_TAGS

    source: SourceSpec = Field(
        default="simulated", description="the default source of desks without their own"
    )
    seed: int = 1
    timezone: TimeZoneName = "Asia/Tokyo"
    desks: Annotated[list[ServedDesk], Field(min_length=1)]
    hold_times: dict[SensorClass, HoldTimes] = Field(default_factory=dict)

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


class DeskGateway:
    """One desk-kind device: debounces raw readings per desk and publishes the changes.

    Used by the desk agent (real time) and the simulator (compressed time) alike: the caller
    owns the clock and calls `tick(now, readings)`.
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
        clock: WallClock,
        heartbeat_s: float = 30.0,
        version: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        missing = set(desks.values()) - set(hold_times)
        if missing:
            raise ValueError(f"no hold times for sensor class(es) {sorted(missing)}")
        self.device = device
        self._sensors = dict(desks)
        self._debouncers = {desk: Debouncer(hold_times[s]) for desk, s in desks.items()}
        self._pending: set[str] = set()
        self.presence_events = 0
        self._unknown_desks: set[str] = set()
        self._faulty: frozenset[str] = frozenset()
        self.publisher = DevicePublisher(
            site=site,
            device=device,
            kind=Kind.DESK,
            outbox=outbox,
            settings=settings,
            clock=clock,
            heartbeat_s=heartbeat_s,
            version=version,
            monotonic=monotonic,
        )

    def start(self, now: datetime) -> None:
        """Connect and emit `device.booted` for the new epoch."""
        self.publisher.start(now)

    def stop(self, *, drain_s: float = 2.0) -> None:
        """Publish `offline` and disconnect; unacknowledged events stay in the outbox."""
        self.publisher.stop(drain_s=drain_s)

    def presence(self) -> dict[str, bool]:
        """Each desk's debounced presence, for desks decided so far."""
        return {d: db.state for d, db in self._debouncers.items() if db.state is not None}

    def tick(
        self,
        now: datetime,
        readings: Iterable[SensorReading],
        faulty: frozenset[str] = frozenset(),
    ) -> int:
        """Debounce readings up to `now`, emit the changes in time order; returns how many.

        Desks in `faulty` (a sensor sending only garbage) are left out of the heartbeat's
        presence and listed as faulty, so the server shows them unknown; a change of that set
        sends the heartbeat at once.
        """
        changes: list[tuple[DebouncedChange, str]] = []
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
        for change, desk in changes:
            self.publisher.emit(
                DeskPresenceChanged,
                change.at,
                desk=desk,
                present=change.present,
                sensor=self._sensors[desk],
            )
        self.presence_events += len(changes)
        if faulty != self._faulty:
            self._faulty = faulty
            self.publisher.heartbeat.request()
        presence = {d: p for d, p in self.presence().items() if d not in faulty}
        self.publisher.heartbeat_if_due(now, presence, faulty=sorted(faulty))
        return len(changes)


def run_desk_agent(
    config_path: Path,
    *,
    stop: threading.Event | None = None,
    clock: WallClock | None = None,
    source: PresenceSource | None = None,
    settings: ConnectionSettings | None = None,
) -> None:
    """Run a desk agent until `stop` is set or Ctrl-C: booted, presence events, heartbeats.

    `source` replaces the configured ones (tests); otherwise each desk's source is opened from
    the file, and a device that cannot be opened raises SourceOpenError before the outbox
    starts a new epoch. `settings` replaces the connection settings derived from the file
    (e.g. faster reconnects in tests).
    """
    config = DeskAgentConfig.load(config_path)
    run = AgentRun.reach(config, stop=stop, clock=clock, settings=settings)
    if run is None:
        return  # stopped before any server answered: nothing was started
    with run:
        hold_times = config.effective_hold_times()
        presence = run.hold(
            source
            or open_presence_source(
                [(d.id, config.source_of(d)) for d in config.desks],
                seed=config.seed,
                timezone=config.timezone,
                ttl_s={d.id: hold_times[d.sensor].ttl_s for d in config.desks},
            )
        )
        outbox = run.open_outbox()
        gateway = DeskGateway(
            site=config.site,
            device=config.device,
            desks={d.id: d.sensor for d in config.desks},
            hold_times=hold_times,
            outbox=outbox,
            settings=run.settings,
            clock=run.clock,
            heartbeat_s=config.heartbeat_s,
        )
        run.callback(gateway.stop)
        log.info(
            "%s: starting epoch %d with %d desk(s), %d event(s) waiting in the outbox",
            config.device,
            outbox.epoch,
            len(config.desks),
            len(outbox),
        )
        gateway.start(run.clock.now())
        run.tick_until_stopped(
            lambda now: gateway.tick(now, presence.read(now), faulty_desks(presence)), TICK_S
        )
