"""Desk presence from a Linux GPIO input (PIR or pressure mat): character device or sysfs.

Two ways in, one pure core:

- `open_gpio_line` requests the line from the GPIO character device with the kernel's uAPI v2
  ioctls (`GPIO_V2_GET_LINE_IOCTL`, edge events on both edges, optional bias and debounce) and
  returns a `GpioLineSource` that drains `struct gpio_v2_line_event` records from the line fd.
- `GpioSysfsSource` samples `/sys/class/gpio/gpioN/value` on every read; where the file is real
  sysfs with `edge` set, POLLPRI also reveals pulses shorter than the agent's tick.

Both hand physical levels to `LineState`, which applies `active_low` and timestamps readings.
`active_low` is applied here rather than by the kernel (GPIO_V2_LINE_FLAG_ACTIVE_LOW) so the
same tested logic serves both interfaces and edge ids always mean physical rising/falling.

Struct layouts and ioctl numbers are those of include/uapi/linux/gpio.h (Linux 5.10+), checked
against the header with a C compiler: gpio_v2_line_request is 592 bytes (config at 288,
num_lines at 560, fd at 588), gpio_v2_line_event 48, gpiochip_info 68.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import os
import select
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from pathlib import Path
from typing import Literal

from edge_agent.sensors import SensorReading, SourceOpenError

log = logging.getLogger(__name__)

Bias = Literal["as-is", "pull-up", "pull-down", "disabled"]

# --- kernel uAPI v2 (include/uapi/linux/gpio.h) --------------------------------------------

GPIO_MAX_NAME_SIZE = 32
GPIO_V2_LINES_MAX = 64
GPIO_V2_LINE_NUM_ATTRS_MAX = 10

GPIO_V2_LINE_FLAG_INPUT = 1 << 2
GPIO_V2_LINE_FLAG_EDGE_RISING = 1 << 4
GPIO_V2_LINE_FLAG_EDGE_FALLING = 1 << 5
GPIO_V2_LINE_FLAG_BIAS_PULL_UP = 1 << 8
GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN = 1 << 9
GPIO_V2_LINE_FLAG_BIAS_DISABLED = 1 << 10
GPIO_V2_LINE_ATTR_ID_DEBOUNCE = 3

BIAS_FLAGS: dict[Bias, int] = {
    "as-is": 0,
    "pull-up": GPIO_V2_LINE_FLAG_BIAS_PULL_UP,
    "pull-down": GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN,
    "disabled": GPIO_V2_LINE_FLAG_BIAS_DISABLED,
}


class GpiochipInfo(ctypes.Structure):
    """struct gpiochip_info."""

    _fields_ = (
        ("name", ctypes.c_char * GPIO_MAX_NAME_SIZE),
        ("label", ctypes.c_char * GPIO_MAX_NAME_SIZE),
        ("lines", ctypes.c_uint32),
    )


class GpioV2LineAttribute(ctypes.Structure):
    """struct gpio_v2_line_attribute; the union is kept as one u64 (debounce is its low u32)."""

    _fields_ = (
        ("id", ctypes.c_uint32),
        ("padding", ctypes.c_uint32),
        ("value", ctypes.c_uint64),
    )


class GpioV2LineConfigAttribute(ctypes.Structure):
    """struct gpio_v2_line_config_attribute."""

    _fields_ = (("attr", GpioV2LineAttribute), ("mask", ctypes.c_uint64))


class GpioV2LineConfig(ctypes.Structure):
    """struct gpio_v2_line_config."""

    _fields_ = (
        ("flags", ctypes.c_uint64),
        ("num_attrs", ctypes.c_uint32),
        ("padding", ctypes.c_uint32 * 5),
        ("attrs", GpioV2LineConfigAttribute * GPIO_V2_LINE_NUM_ATTRS_MAX),
    )


class GpioV2LineRequest(ctypes.Structure):
    """struct gpio_v2_line_request."""

    _fields_ = (
        ("offsets", ctypes.c_uint32 * GPIO_V2_LINES_MAX),
        ("consumer", ctypes.c_char * GPIO_MAX_NAME_SIZE),
        ("config", GpioV2LineConfig),
        ("num_lines", ctypes.c_uint32),
        ("event_buffer_size", ctypes.c_uint32),
        ("padding", ctypes.c_uint32 * 5),
        ("fd", ctypes.c_int32),
    )


class GpioV2LineValues(ctypes.Structure):
    """struct gpio_v2_line_values."""

    _fields_ = (("bits", ctypes.c_uint64), ("mask", ctypes.c_uint64))


# A mismatch here would make the kernel read garbage; fail at import, not on a desk.
assert ctypes.sizeof(GpiochipInfo) == 68
assert ctypes.sizeof(GpioV2LineRequest) == 592
assert GpioV2LineRequest.config.offset == 288 and GpioV2LineRequest.fd.offset == 588
assert ctypes.sizeof(GpioV2LineValues) == 16


def _ioc(direction: int, number: int, size: int) -> int:
    # asm-generic/ioctl.h: dir << 30 | size << 16 | type << 8 | nr, type 0xB4 for GPIO.
    return (direction << 30) | (size << 16) | (0xB4 << 8) | number


_IOC_WRITE, _IOC_READ = 1, 2
GPIO_GET_CHIPINFO_IOCTL = _ioc(_IOC_READ, 0x01, ctypes.sizeof(GpiochipInfo))
GPIO_V2_GET_LINE_IOCTL = _ioc(_IOC_READ | _IOC_WRITE, 0x07, ctypes.sizeof(GpioV2LineRequest))
GPIO_V2_LINE_GET_VALUES_IOCTL = _ioc(_IOC_READ | _IOC_WRITE, 0x0E, ctypes.sizeof(GpioV2LineValues))
assert GPIO_GET_CHIPINFO_IOCTL == 0x8044B401
assert GPIO_V2_GET_LINE_IOCTL == 0xC250B407
assert GPIO_V2_LINE_GET_VALUES_IOCTL == 0xC010B40E

# struct gpio_v2_line_event: timestamp_ns u64, id u32, offset u32, seqno u32, line_seqno u32,
# padding 6 x u32. Native byte order: the kernel writes it in the CPU's order.
LINE_EVENT = struct.Struct("=QIIII24x")
assert LINE_EVENT.size == 48


# --- pure decoding and state ------------------------------------------------------------------


class Edge(IntEnum):
    """enum gpio_v2_line_event_id."""

    RISING = 1
    FALLING = 2


@dataclass(frozen=True, slots=True)
class LineEvent:
    """One decoded `struct gpio_v2_line_event`."""

    timestamp_ns: int  # CLOCK_MONOTONIC unless the line asked for another clock
    edge: Edge
    offset: int
    seqno: int
    line_seqno: int

    @property
    def level(self) -> bool:
        """The physical level after the edge: high after rising."""
        return self.edge is Edge.RISING


def decode_line_events(data: bytes) -> tuple[list[LineEvent], bytes, int]:
    """Whole event records in `data`, the incomplete tail to prepend next time, and how many
    records carried an unknown event id (skipped)."""
    whole = len(data) - len(data) % LINE_EVENT.size
    events: list[LineEvent] = []
    unknown = 0
    for timestamp_ns, event_id, offset, seqno, line_seqno in LINE_EVENT.iter_unpack(data[:whole]):
        try:
            edge = Edge(event_id)
        except ValueError:
            unknown += 1
            continue
        events.append(LineEvent(timestamp_ns, edge, offset, seqno, line_seqno))
    return events, bytes(data[whole:]), unknown


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


def build_line_request(
    line: int, *, consumer: str, bias: Bias = "as-is", debounce_us: int = 0
) -> bytearray:
    """The bytes of a `struct gpio_v2_line_request` for one input line with edge events."""
    buffer = bytearray(ctypes.sizeof(GpioV2LineRequest))
    request = GpioV2LineRequest.from_buffer(buffer)
    request.offsets[0] = line
    request.num_lines = 1
    request.consumer = consumer.encode()[: GPIO_MAX_NAME_SIZE - 1]
    request.config.flags = (
        GPIO_V2_LINE_FLAG_INPUT
        | GPIO_V2_LINE_FLAG_EDGE_RISING
        | GPIO_V2_LINE_FLAG_EDGE_FALLING
        | BIAS_FLAGS[bias]
    )
    if debounce_us:
        attribute = request.config.attrs[0]
        attribute.attr.id = GPIO_V2_LINE_ATTR_ID_DEBOUNCE
        attribute.attr.value = debounce_us
        attribute.mask = 1  # bit 0: the first (only) requested line
        request.config.num_attrs = 1
    return buffer


def read_chip_info(fd: int) -> GpiochipInfo:
    """GPIO_GET_CHIPINFO_IOCTL on an open chip fd (OSError if it is no GPIO chip)."""
    buffer = bytearray(ctypes.sizeof(GpiochipInfo))
    fcntl.ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, buffer, True)
    return GpiochipInfo.from_buffer(buffer)


def read_line_level(line_fd: int) -> bool:
    """The physical level of the single line a request fd holds."""
    buffer = bytearray(ctypes.sizeof(GpioV2LineValues))
    values = GpioV2LineValues.from_buffer(buffer)
    values.mask = 1
    fcntl.ioctl(line_fd, GPIO_V2_LINE_GET_VALUES_IOCTL, buffer, True)
    return bool(GpioV2LineValues.from_buffer(buffer).bits & 1)


class GpioLineSource:
    """Presence from one requested GPIO line: drains edge events from the line fd on each read.

    The first read also reports the level sampled when the line was requested, so a desk
    nobody sits at becomes known free without waiting for an edge.
    """

    def __init__(
        self,
        desk: str,
        line_fd: int,
        *,
        initial_level: bool | None,
        active_low: bool = False,
        name: str = "gpio",
        monotonic_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.name = name
        self.state = LineState(desk, active_low=active_low)
        self._fd: int | None = line_fd
        self._monotonic_ns = monotonic_ns
        self._initial = (initial_level, monotonic_ns()) if initial_level is not None else None
        self._partial = b""
        os.set_blocking(line_fd, False)

    def __repr__(self) -> str:
        return f"GpioLineSource({self.state.desk!r}, {self.name})"

    def read(self, now: datetime) -> list[SensorReading]:
        if self._fd is None:
            return []
        mono_now = self._monotonic_ns()
        readings: list[SensorReading] = []
        if self._initial is not None:
            level, sampled_ns = self._initial
            self._initial = None
            age = timedelta(microseconds=max(0, mono_now - sampled_ns) / 1000)
            readings += self.state.sample(level, now - age)
        data = self._partial + self._drain(self._fd)
        events, self._partial, unknown = decode_line_events(data)
        if unknown:
            log.warning("%s: skipped %d event record(s) with an unknown id", self.name, unknown)
        readings += self.state.events(events, now=now, mono_now_ns=mono_now)
        return readings

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    @staticmethod
    def _drain(fd: int) -> bytes:
        chunks = []
        while True:
            try:
                chunk = os.read(fd, LINE_EVENT.size * 64)
            except BlockingIOError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


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
    chip = Path(chip)
    where = f"{chip} line {line}"
    try:
        chip_fd = os.open(chip, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise SourceOpenError(
            f"{chip}: no such GPIO chip (desk {desk}); check the path (ls /dev/gpiochip*; "
            "gpiodetect lists chips and their labels) and that the kernel has GPIO_CDEV"
        ) from None
    except PermissionError:
        raise SourceOpenError(
            f"{chip}: permission denied (desk {desk}); run the agent as a user in the group "
            "that owns the chip (often 'gpio'), or add a udev rule for it"
        ) from None
    except OSError as exc:
        raise SourceOpenError(f"{chip}: cannot open the GPIO chip: {exc.strerror}") from None
    try:
        try:
            info = read_chip_info(chip_fd)
        except OSError as exc:
            raise SourceOpenError(
                f"{chip}: not a GPIO chip character device ({exc.strerror}) (desk {desk}); "
                "check the path names a /dev/gpiochipN, not a sysfs file or another device"
            ) from None
        label = info.label.decode(errors="replace") or info.name.decode(errors="replace")
        if line >= info.lines:
            raise SourceOpenError(
                f"{where}: the chip {label!r} has lines 0..{info.lines - 1}; check the line "
                "offset (gpioinfo lists them; it is the offset on this chip, not a BCM/sysfs "
                "number unless they coincide)"
            )
        debounce_us = round(debounce_ms * 1000)
        try:
            line_fd = _request(chip_fd, line, consumer, bias, debounce_us)
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.EOPNOTSUPP, 524) or (
                bias == "as-is" and not debounce_us
            ):
                raise
            # Older kernels and some chips refuse bias or debounce; the debouncer's hold
            # times still protect against chatter, so run without rather than not at all.
            log.warning(
                "%s: the kernel refused bias=%s debounce=%dus (%s); continuing without them",
                where,
                bias,
                debounce_us,
                exc.strerror,
            )
            line_fd = _request(chip_fd, line, consumer, "as-is", 0)
        try:
            initial = read_line_level(line_fd)
        except OSError:
            os.close(line_fd)
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
    finally:
        # The line fd lives on its own; the chip fd was only needed to ask for it.
        os.close(chip_fd)
    return GpioLineSource(
        desk, line_fd, initial_level=initial, active_low=active_low, name=f"{where} ({label})"
    )


def _request(chip_fd: int, line: int, consumer: str, bias: Bias, debounce_us: int) -> int:
    buffer = build_line_request(line, consumer=consumer, bias=bias, debounce_us=debounce_us)
    fcntl.ioctl(chip_fd, GPIO_V2_GET_LINE_IOCTL, buffer, True)
    line_fd: int = GpioV2LineRequest.from_buffer(buffer).fd
    return line_fd


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
