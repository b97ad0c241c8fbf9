"""Desk presence from a Linux GPIO input (PIR or pressure mat): character device or sysfs.

Two ways in, one pure core:

- `open_gpio_line` requests the line from the GPIO character device through libgpiod (the
  `gpiod` v2 bindings): an input with edge events on both edges, optional bias and debounce.
  It returns a `GpioLineSource` that drains the line's edge events on each read.
- `GpioSysfsSource` samples `/sys/class/gpio/gpioN/value` on every read; where the file is real
  sysfs with `edge` set, POLLPRI also reveals pulses shorter than the agent's tick. libgpiod
  speaks only the character device, so this path for older kernels stays our own.

Both hand physical levels to `LineState`, which applies `active_low` and timestamps readings.
`active_low` is applied here rather than by the kernel so the same tested logic serves both
interfaces and edges always mean physical rising/falling.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from edge_agent.sensors import SensorReading, SourceOpenError

if TYPE_CHECKING:
    import gpiod

log = logging.getLogger(__name__)

Bias = Literal["as-is", "pull-up", "pull-down", "disabled"]


# --- line events and state --------------------------------------------------------------------


class Edge(IntEnum):
    """Which way a line moved (the kernel's gpio_v2_line_event_id)."""

    RISING = 1
    FALLING = 2


@dataclass(frozen=True, slots=True)
class LineEvent:
    """One edge on a requested line, as the kernel timestamped and numbered it."""

    timestamp_ns: int  # CLOCK_MONOTONIC, the line's default event clock
    edge: Edge
    offset: int
    seqno: int
    line_seqno: int

    @property
    def level(self) -> bool:
        """The physical level after the edge: high after rising."""
        return self.edge is Edge.RISING


def line_events(events: Iterable[gpiod.EdgeEvent]) -> list[LineEvent]:
    """libgpiod's edge events as ours (libgpiod refuses records with an unknown event id)."""
    import gpiod

    rising = gpiod.EdgeEvent.Type.RISING_EDGE
    return [
        LineEvent(
            e.timestamp_ns,
            Edge.RISING if e.event_type is rising else Edge.FALLING,
            e.line_offset,
            e.global_seqno,
            e.line_seqno,
        )
        for e in events
    ]


class LineState:
    """One desk's input line: physical levels and edges in, presence readings out (pure).

    Present means the line is at its active level: high, or low when `active_low`.
    """

    def __init__(self, desk: str, *, active_low: bool = False) -> None:
        self.desk = desk
        self.active_low = active_low
        self.level: bool | None = None
        self.missed_events = 0  # edges the kernel dropped because its buffer overflowed
        self._last_at: datetime | None = None
        self._line_seqno: int | None = None

    def present(self, level: bool) -> bool:
        """Whether a physical level means someone is there."""
        return level != self.active_low

    def sample(self, level: bool, at: datetime, *, edged: bool = False) -> list[SensorReading]:
        """A sampled level. Reports the first sample and every change; `edged` says an edge
        happened since the last sample, so an unchanged level hides a pulse that came and went.
        """
        at = self._ordered(at)
        if self.level is not None and level == self.level and not edged:
            return []
        readings = []
        if self.level is not None and level == self.level:
            # A pulse shorter than the sampling interval: a PIR that saw motion, say.
            readings.append(SensorReading(self.desk, self.present(not level), at))
        self.level = level
        readings.append(SensorReading(self.desk, self.present(level), at))
        return readings

    def events(
        self, events: list[LineEvent], *, now: datetime, mono_now_ns: int
    ) -> list[SensorReading]:
        """Readings for kernel edge events; each is dated `now` minus its age on the monotonic
        clock, so readings follow the agent's clock (which tests may fake)."""
        readings = []
        for event in events:
            if self._line_seqno is not None and event.line_seqno > self._line_seqno + 1:
                self.missed_events += event.line_seqno - self._line_seqno - 1
                log.warning(
                    "%s: the kernel dropped %d edge event(s) (its buffer was full)",
                    self.desk,
                    event.line_seqno - self._line_seqno - 1,
                )
            self._line_seqno = event.line_seqno
            age = timedelta(microseconds=max(0, mono_now_ns - event.timestamp_ns) / 1000)
            self.level = event.level
            readings.append(
                SensorReading(self.desk, self.present(event.level), self._ordered(now - age))
            )
        return readings

    def _ordered(self, at: datetime) -> datetime:
        # Readings leave oldest first; clock granularity must not reorder them.
        if self._last_at is not None and at < self._last_at:
            at = self._last_at
        self._last_at = at
        return at


# --- character device -------------------------------------------------------------------------


class EdgeLine(Protocol):
    """One requested input line: our port over libgpiod (tests drive a fake of it)."""

    def level(self) -> bool:
        """The line's physical level now."""
        ...

    def edges(self) -> list[LineEvent]:
        """The edges since the last call, oldest first; never blocks."""
        ...

    def close(self) -> None:
        """Release the line."""
        ...


class GpiodLine:
    """A line held by a libgpiod request."""

    def __init__(self, request: gpiod.LineRequest, offset: int) -> None:
        self._request = request
        self._offset = offset

    def level(self) -> bool:
        import gpiod

        return self._request.get_value(self._offset) is gpiod.line.Value.ACTIVE

    def edges(self) -> list[LineEvent]:
        events: list[LineEvent] = []
        while self._request.wait_edge_events(0):
            events += line_events(self._request.read_edge_events())
        return events

    def close(self) -> None:
        self._request.release()


class GpioLineSource:
    """Presence from one requested GPIO line: drains its edge events on each read.

    The first read also reports the level sampled when the line was requested, so a desk
    nobody sits at becomes known free without waiting for an edge.
    """

    def __init__(
        self,
        desk: str,
        line: EdgeLine,
        *,
        initial_level: bool | None,
        active_low: bool = False,
        name: str = "gpio",
        monotonic_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.name = name
        self.state = LineState(desk, active_low=active_low)
        self._line: EdgeLine | None = line
        self._monotonic_ns = monotonic_ns
        self._initial = (initial_level, monotonic_ns()) if initial_level is not None else None

    def __repr__(self) -> str:
        return f"GpioLineSource({self.state.desk!r}, {self.name})"

    def read(self, now: datetime) -> list[SensorReading]:
        if self._line is None:
            return []
        mono_now = self._monotonic_ns()
        readings: list[SensorReading] = []
        if self._initial is not None:
            level, sampled_ns = self._initial
            self._initial = None
            age = timedelta(microseconds=max(0, mono_now - sampled_ns) / 1000)
            readings += self.state.sample(level, now - age)
        readings += self.state.events(self._line.edges(), now=now, mono_now_ns=mono_now)
        return readings

    def close(self) -> None:
        if self._line is not None:
            self._line.close()
            self._line = None


def line_settings(*, bias: Bias = "as-is", debounce_ms: float = 0) -> gpiod.LineSettings:
    """An input with edge events on both edges, `bias`, and the kernel's debounce."""
    import gpiod
    from gpiod.line import Bias as LineBias
    from gpiod.line import Direction
    from gpiod.line import Edge as LineEdge

    biases = {
        "as-is": LineBias.AS_IS,
        "pull-up": LineBias.PULL_UP,
        "pull-down": LineBias.PULL_DOWN,
        "disabled": LineBias.DISABLED,
    }
    return gpiod.LineSettings(
        direction=Direction.INPUT,
        edge_detection=LineEdge.BOTH,
        bias=biases[bias],
        debounce_period=timedelta(milliseconds=debounce_ms),
    )


def open_gpio_line(
    desk: str,
    chip: Path | str,
    line: int,
    *,
    active_low: bool = False,
    bias: Bias = "as-is",
    debounce_ms: float = 0,
    consumer: str = "freeseat",
) -> GpioLineSource:
    """Request `line` of `chip` as an input with edge events; SourceOpenError explains failures."""
    import gpiod

    chip = Path(chip)
    where = f"{chip} line {line}"
    if not chip.exists():
        raise SourceOpenError(
            f"{chip}: no such GPIO chip (desk {desk}); check the path (ls /dev/gpiochip*; "
            "gpiodetect lists chips and their labels) and that the kernel has GPIO_CDEV"
        )
    if not gpiod.is_gpiochip_device(str(chip)):
        raise SourceOpenError(
            f"{chip}: not a GPIO chip character device (desk {desk}); check the path names "
            "a /dev/gpiochipN, not a sysfs file or another device"
        )
    try:
        opened = gpiod.Chip(str(chip))
    except PermissionError:
        raise SourceOpenError(
            f"{chip}: permission denied (desk {desk}); run the agent as a user in the group "
            "that owns the chip (often 'gpio'), or add a udev rule for it"
        ) from None
    except OSError as exc:
        raise SourceOpenError(f"{chip}: cannot open the GPIO chip: {exc.strerror}") from None
    # The request lives on its own; the chip was only needed to ask for it.
    with opened:
        info = opened.get_info()
        label = info.label or info.name
        if line >= info.num_lines:
            raise SourceOpenError(
                f"{where}: the chip {label!r} has lines 0..{info.num_lines - 1}; check the line "
                "offset (gpioinfo lists them; it is the offset on this chip, not a BCM/sysfs "
                "number unless they coincide)"
            )
        try:
            request = _request(opened, line, consumer, bias, debounce_ms, where)
            try:
                held = GpiodLine(request, line)
                initial = held.level()
            except OSError:
                request.release()
                raise
        except OSError as exc:
            if exc.errno == errno.EBUSY:
                message = "the line is in use by another consumer (gpioinfo shows which)"
            elif exc.errno in (errno.ENOTTY, errno.EINVAL):
                message = (
                    f"the kernel refused it ({exc.strerror}); GPIO uAPI v2 needs Linux 5.10+, "
                    "older kernels can use interface: sysfs"
                )
            else:
                message = exc.strerror or str(exc)
            raise SourceOpenError(f"{where}: cannot request the line: {message}") from None
    return GpioLineSource(
        desk, held, initial_level=initial, active_low=active_low, name=f"{where} ({label})"
    )


def _request(
    chip: gpiod.Chip, line: int, consumer: str, bias: Bias, debounce_ms: float, where: str
) -> gpiod.LineRequest:
    try:
        return chip.request_lines(
            {line: line_settings(bias=bias, debounce_ms=debounce_ms)}, consumer=consumer
        )
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EOPNOTSUPP, 524) or (
            bias == "as-is" and not debounce_ms
        ):
            raise
        # Older kernels and some chips refuse bias or debounce; the debouncer's hold
        # times still protect against chatter, so run without rather than not at all.
        log.warning(
            "%s: the kernel refused bias=%s debounce=%gms (%s); continuing without them",
            where,
            bias,
            debounce_ms,
            exc.strerror,
        )
        return chip.request_lines({line: line_settings()}, consumer=consumer)


# --- sysfs ------------------------------------------------------------------------------------


class GpioSysfsSource:
    """Presence from `/sys/class/gpio/gpioN/value`, sampled on every read (the agent's tick).

    With real sysfs and `edge` set to `both`, the value file also raises POLLPRI on each edge,
    which reveals a pulse that began and ended between two samples. A plain file (a test's
    fake tree) never raises POLLPRI; sampling alone still sees every change that lasts a tick.
    """

    def __init__(
        self,
        desk: str,
        line: int,
        *,
        root: Path | str = "/sys/class/gpio",
        active_low: bool = False,
    ) -> None:
        self.root = Path(root)
        self.directory = self.root / f"gpio{line}"
        self.state = LineState(desk, active_low=active_low)
        value = self.directory / "value"
        if not value.exists() and (self.root / "export").exists():
            self._export(line)
        try:
            self._fd: int | None = os.open(value, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            raise SourceOpenError(
                f"{value}: no such GPIO value file (desk {desk}); export the pin first "
                f"(echo {line} > {self.root / 'export'}) or check the number, which in sysfs "
                "is the global GPIO number, not the chip offset"
            ) from None
        except PermissionError:
            raise SourceOpenError(
                f"{value}: permission denied (desk {desk}); run the agent as a user in the "
                "'gpio' group or fix the udev rule for exported pins"
            ) from None
        self._configure("direction", "in")
        self._configure("edge", "both")
        self._poller = select.poll()
        self._poller.register(self._fd, select.POLLPRI | select.POLLERR)
        self._bad_value_logged = False

    def __repr__(self) -> str:
        return f"GpioSysfsSource({self.state.desk!r}, {str(self.directory)!r})"

    def read(self, now: datetime) -> list[SensorReading]:
        if self._fd is None:
            return []
        edged = any(mask & select.POLLPRI for _, mask in self._poller.poll(0))
        raw = os.pread(self._fd, 16, 0).strip()
        if raw not in (b"0", b"1"):
            if raw and not self._bad_value_logged:  # empty: caught mid-rewrite, try next tick
                self._bad_value_logged = True
                log.warning("%s: unexpected GPIO value %r; ignoring it", self.directory, raw)
            return []
        self._bad_value_logged = False
        return self.state.sample(raw == b"1", now, edged=edged)

    def close(self) -> None:
        if self._fd is not None:
            self._poller.unregister(self._fd)
            os.close(self._fd)
            self._fd = None

    def _export(self, line: int) -> None:
        try:
            (self.root / "export").write_text(str(line))
        except OSError as exc:
            log.warning("%s: cannot export GPIO %d: %s", self.root, line, exc.strerror)
            return
        # udev applies permissions to the new directory a moment after the kernel creates it.
        deadline = time.monotonic() + 2.0
        while not (self.directory / "value").exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def _configure(self, name: str, wanted: str) -> None:
        path = self.directory / name
        try:
            if not path.exists() or path.read_text().strip() == wanted:
                return
            path.write_text(wanted)
        except OSError as exc:
            # Without `edge`, POLLPRI never fires; sampling still works, so only warn.
            log.warning("%s: cannot set %s to %s: %s", self.directory, name, wanted, exc.strerror)
