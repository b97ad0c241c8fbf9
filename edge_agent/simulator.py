"""The site simulator: every desk of a site through a plausible working day, time-compressed.

Each desk-kind device of the site file becomes a `DeskGateway` with its own outbox and MQTT
client, exactly as a real desk agent, fed by a `SimulatedSource` on a compressed clock.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from contracts import BrokerAddress, SensorClass
from edge_agent.ap_simulator import ApSimulation
from edge_agent.desk_agent import DeskGateway
from edge_agent.room_simulation import RoomSimulation
from edge_agent.runtime import ConnectionSettings, Outbox
from edge_agent.sensors import SimulatedSource
from firmware_config.site import Site

log = logging.getLogger(__name__)

DAY_START = time_of_day(7, 45)
# Everybody has left by 19:30 and the slowest hold time (PIR, 10 min) has passed by then.
DAY_END = time_of_day(20, 30)


@dataclass(frozen=True, slots=True)
class DemoDay:
    """How `freeseat demo` shows a day: the busy hours only, over and over (a new day each
    time, with other people in), so the office never empties while someone looks; and a few
    sensors that go silent, as on any real day, so unknown desks and devices needing attention
    show too."""

    start: time_of_day = time_of_day(9, 30)
    end: time_of_day = time_of_day(16, 30)
    offline_devices: int = 2
    offline_after_s: float = 20.0


@dataclass(frozen=True, slots=True)
class SimulationReport:
    """What a simulation published, and how far its clock got."""

    devices: int
    desks: int
    online: int
    events: int  # every event committed to an outbox (booted + presence)
    presence_events: int
    acked: int
    pending: int
    dropped: int
    heartbeats: int
    speed: float
    sim_start: datetime
    sim_now: datetime
    real_s: float

    def __str__(self) -> str:
        rate = self.events / self.real_s if self.real_s > 0 else 0.0
        return (
            f"{self.devices} devices ({self.online} online), {self.desks} desks: "
            f"{self.events} events ({self.presence_events} presence, {rate:.1f}/s), "
            f"{self.acked} acked, {self.pending} pending, {self.dropped} dropped, "
            f"{self.heartbeats} heartbeats; simulated {self.sim_start:%Y-%m-%d %H:%M} -> "
            f"{self.sim_now:%Y-%m-%d %H:%M} at {self.speed:g}x in {self.real_s:.1f} s"
        )


class SimulatedClock:
    """Simulated time: `start` plus `speed` times the real time elapsed, plus skipped nights."""

    def __init__(self, start: datetime, speed: float) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulation start must be an aware datetime")
        self.start = start
        self.speed = speed
        self._mono0 = time.monotonic()
        self._skipped = timedelta(0)

    def restart(self) -> None:
        """Start counting real time from now."""
        self._mono0 = time.monotonic()
        self._skipped = timedelta(0)

    def now(self) -> datetime:
        elapsed = time.monotonic() - self._mono0
        return self.start + timedelta(seconds=elapsed * self.speed) + self._skipped

    def skip_to(self, when: datetime) -> None:
        """Jump forward to `when` (never backward)."""
        gap = when - self.now()
        if gap > timedelta(0):
            self._skipped += gap


@dataclass(slots=True)
class _Member:
    gateway: DeskGateway
    source: SimulatedSource
    outbox: Outbox


class Simulation:
    """A running simulation of a whole site; `start()` runs it on a background thread."""

    def __init__(
        self,
        site: Site,
        broker_url: str,
        *,
        speed: float = 60.0,
        duration: float | None = None,
        seed: int = 1,
        start: datetime | None = None,
        heartbeat_s: float = 30.0,
        tick_s: float = 0.1,
        skip_nights: bool = True,
        workdir: Path | None = None,
        username: str | None = None,
        password: str | None = None,
        mqtt_protocol: Literal["5", "3.1.1"] = "5",
        server_url: str | None = None,
        demo_day: DemoDay | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        BrokerAddress.parse(broker_url)
        self.site = site
        self.speed = speed
        self.duration = duration
        self.seed = seed
        self.tick_s = tick_s
        self.skip_nights = skip_nights
        self._tz = ZoneInfo(site.site.timezone)
        self._demo_day = demo_day
        self._day_start = demo_day.start if demo_day else DAY_START
        self._day_end = demo_day.end if demo_day else DAY_END
        self._start = start or datetime.combine(
            datetime.now(self._tz).date(), self._day_start, self._tz
        )
        self._settings = ConnectionSettings(
            broker_url=broker_url,
            protocol=mqtt_protocol,
            username=username,
            password=password,
            reconnect_max_s=5,
        )
        self._heartbeat_s = heartbeat_s
        self._own_workdir = workdir is None
        self._workdir = workdir
        self._devices = [d for d in site.devices if d.kind == "desk" and d.desks]
        # Spread over the floors: every len/n-th gateway goes silent in the demo.
        silent = demo_day.offline_devices if demo_day else 0
        step = max(1, len(self._devices) // silent) if silent else 0
        self._silent = (
            {d.id for d in self._devices[step // 2 :: step][:silent]} if silent else set()
        )
        if not self._devices:
            raise ValueError(
                f"site {site.site.id!r} has no desk devices with desks to simulate; "
                "add devices of kind 'desk' listing their desks to the site file"
            )
        self._members: list[_Member] = []
        self._stopped: list[_Member] = []  # the demo's silent gateways, closed at the end
        self._aps = ApSimulation(site, seed=seed)  # the site's AP agents, if it has any
        # Room monitors; with the server's URL also hosts who book, pair and share materials.
        self.rooms = RoomSimulation(site, server_url=server_url, seed=seed)
        self._clock = SimulatedClock(self._start, speed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._real0 = 0.0
        self._real_end: float | None = None
        self._sim_end = self._start
        self._closed = False
        self._close_lock = threading.Lock()

    # -- the class API (freeseat demo) -------------------------------------------------------

    def start(self) -> None:
        """Connect every gateway and run the day on a background thread."""
        if self._thread is not None:
            raise RuntimeError("the simulation has already been started")
        self._open()
        self._thread = threading.Thread(target=self._run_guarded, name="freeseat-sim", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> SimulationReport:
        """Stop promptly: gateways publish `offline` and disconnect; returns the final report."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._close()
        return self.report()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the simulation ends by itself (duration) or is stopped; True if it ended."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def run(self, stop: threading.Event | None = None) -> SimulationReport:
        """Run in the calling thread until `stop` is set, `duration` passes or Ctrl-C."""
        self._open()
        try:
            self._loop(stop)
        except KeyboardInterrupt:
            log.info("interrupted; stopping the simulation")
        finally:
            self._close()
        return self.report()

    def report(self) -> SimulationReport:
        """A snapshot of the counters; safe to call while running."""
        stats = [m.gateway.publisher.stats() for m in self._members + self._stopped]
        end = self._real_end if self._real_end is not None else time.monotonic()
        return SimulationReport(
            devices=len(self._devices),
            desks=sum(len(d.desks) for d in self._devices),
            online=sum(s.online for s in stats),
            events=sum(s.events for s in stats),
            presence_events=sum(m.gateway.presence_events for m in self._members + self._stopped),
            acked=sum(s.acked for s in stats),
            pending=sum(s.pending for s in stats),
            dropped=sum(s.dropped for s in stats),
            heartbeats=sum(s.states for s in stats),
            speed=self.speed,
            sim_start=self._start,
            sim_now=self._clock.now() if self._real_end is None else self._sim_end,
            real_s=max(0.0, end - self._real0) if self._real0 else 0.0,
        )

    # -- inside ------------------------------------------------------------------------------

    def _open(self) -> None:
        hold_times = self.site.hold_times
        # Wall-clock epochs: the outboxes are fresh each run, yet the server must see every
        # run as newer than the last one for the same device.
        epoch_floor = int(time.time())
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="freeseat-sim-"))
        for device in self._devices:
            sensor = device.sensor or SensorClass.SIMULATED
            outbox = Outbox(
                self._workdir / f"{device.id}.sqlite", durable=False, epoch_floor=epoch_floor
            )
            gateway = DeskGateway(
                site=self.site.site.id,
                device=device.id,
                desks=dict.fromkeys(device.desks, sensor),
                hold_times=hold_times,
                outbox=outbox,
                settings=self._settings,
                clock=self._clock,
                heartbeat_s=self._heartbeat_s,
            )
            source = SimulatedSource(device.desks, seed=self.seed, tz=self._tz)
            self._members.append(_Member(gateway, source, outbox))
        # Opening ~100 outboxes takes a moment; the simulated day starts after that.
        self._clock.restart()
        for member in self._members:
            member.gateway.start(self._clock.now())
        self._aps.open(
            self._workdir,
            self._settings,
            self._clock,
            epoch_floor=epoch_floor,
            heartbeat_s=self._heartbeat_s,
        )
        self.rooms.open(
            self._workdir, self._settings, epoch_floor=epoch_floor, heartbeat_s=self._heartbeat_s
        )
        self._real0 = time.monotonic()
        log.info(
            "simulating %d desks on %d devices at %gx from %s",
            sum(len(m.source.desks) for m in self._members),
            len(self._members),
            self.speed,
            self._start.isoformat(),
        )

    def _run_guarded(self) -> None:
        try:
            self._loop(None)
        except Exception:
            log.exception("the simulation failed")
            raise
        finally:
            # Ending by duration disconnects too; a later stop() only reads the report.
            self._close()

    def _loop(self, stop: threading.Event | None) -> None:
        def stopped() -> bool:
            return self._stop.is_set() or (stop is not None and stop.is_set())

        next_tick = time.monotonic()
        while not stopped():
            if self.duration is not None and time.monotonic() - self._real0 >= self.duration:
                break
            now = self._clock.now()
            if self.skip_nights and now.astimezone(self._tz).time() >= self._day_end:
                local = now.astimezone(self._tz)
                self._clock.skip_to(
                    datetime.combine(local.date() + timedelta(days=1), self._day_start, self._tz)
                )
                now = self._clock.now()
            self._silence_if_due()
            for member in self._members:
                member.gateway.tick(now, member.source.read(now))
            self._aps.tick(now)
            self.rooms.tick()
            next_tick += self.tick_s
            delay = next_tick - time.monotonic()
            if delay < 0:
                # Behind schedule (a slow machine): do not try to catch up with a burst.
                next_tick = time.monotonic()
                delay = 0.0
            if stop is not None:
                if stop.wait(delay):
                    break
            else:
                self._stop.wait(delay)
        self._mark_end()

    def _silence_if_due(self) -> None:
        """The demo's silent sensors say offline and stop, like a gateway losing power."""
        day = self._demo_day
        if not self._silent or day is None or time.monotonic() - self._real0 < day.offline_after_s:
            return
        for member in [m for m in self._members if m.gateway.device in self._silent]:
            member.gateway.stop(drain_s=1.0)
            self._members.remove(member)
            self._stopped.append(member)
        self._silent = set()

    def _mark_end(self) -> None:
        if self._real_end is None:
            self._sim_end = self._clock.now()
            self._real_end = time.monotonic()

    def _close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            self._mark_end()
            self._shut_down()

    def _shut_down(self) -> None:
        # In parallel: each stop waits (briefly) for its `offline` to be acknowledged.
        with ThreadPoolExecutor(max_workers=min(32, max(1, len(self._members)))) as pool:
            list(pool.map(lambda m: m.gateway.stop(drain_s=1.0), self._members))
        self._aps.stop()
        self.rooms.stop()
        for member in self._members + self._stopped:
            member.source.close()
            member.outbox.close()
        if self._own_workdir and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)


def run_simulation(
    site: Site,
    broker_url: str,
    *,
    speed: float = 60.0,
    duration: float | None = None,
    seed: int = 1,
    start: datetime | None = None,
    stop: threading.Event | None = None,
) -> SimulationReport:
    """Simulate `site` against the broker until `stop` is set or `duration` real seconds pass."""
    simulation = Simulation(
        site, broker_url, speed=speed, duration=duration, seed=seed, start=start
    )
    return simulation.run(stop)
