"""Desk presence from an HLK-LD2410 24 GHz mmWave module on a serial port.

Frame layout (all multi-byte fields little-endian), as implemented here:

  report frame:  F4 F3 F2 F1 | length u16 | data | F8 F7 F6 F5
    data:  type (0x02 basic, 0x01 engineering) | 0xAA | target state (0 none, 1 moving,
           2 stationary, 3 both) | moving distance u16 cm | moving energy u8 |
           stationary distance u16 cm | stationary energy u8 | detection distance u16 cm |
           [engineering: max moving gate N u8 | max stationary gate M u8 |
            N+1 moving gate energies | M+1 stationary gate energies |
            light level u8 | OUT pin u8] | 0x55 | 0x00
    A basic report carries 13 data bytes; an engineering report with 8 gates carries 35.
    Reports are checked against what the module can say: gates 0-8 (N, M <= 8), energies
    0-100, distances within 9 gates of 75 cm; anything else is a corrupt frame, counted.
  command ACK:   FD FC FB FA | length u16 | command word u16 | status u16 | ... | 04 03 02 01
    (recognised and skipped: this agent sends no commands).

Sources used to confirm it (read, not copied):
  - ESPHome, esphome/components/ld2410 (ld2410.cpp/.h): data offsets DATA_TYPES=6,
    TARGET_STATES=8, MOVING_TARGET_LOW=9 .. DETECT_DISTANCE_HIGH=16, MOVING_SENSOR_START=19,
    STILL_SENSOR_START=28, LIGHT_SENSOR=37, OUT_PIN_SENSOR=38; head 0xAA, end 0x55, check 0x00;
    command header FD FC FB FA / end 04 03 02 01.
  - morian/aio-ld2410, aio_ld2410/protocol/report.py (field structs) and
    tests/protocol/test_reports.py (a basic and an engineering trace, reused in our tests).
  - mgiesen/LD2410 README (frame headers/footers, target state values, 256000 8N1 default).
  All of them follow Hi-Link's "HLK-LD2410 Serial Communication Protocol" V1.02 (2022-07-01);
  only that document's outline was available to check here, not its tables.

The serial port is opened with pyserial: raw 8N1, reads that never wait, and 256000 baud
(pyserial sets rates termios has no constant for through termios2 on Linux).
"""

from __future__ import annotations

import errno
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import IntFlag
from pathlib import Path
from typing import TYPE_CHECKING

from edge_agent.sensors import SensorReading, SourceOpenError

if TYPE_CHECKING:
    import serial

log = logging.getLogger(__name__)

DATA_HEADER = bytes.fromhex("f4f3f2f1")
DATA_FOOTER = bytes.fromhex("f8f7f6f5")
ACK_HEADER = bytes.fromhex("fdfcfbfa")
ACK_FOOTER = bytes.fromhex("04030201")
REPORT_HEAD, REPORT_TAIL, REPORT_CHECK = 0xAA, 0x55, 0x00
REPORT_BASIC, REPORT_ENGINEERING = 0x02, 0x01
BASIC_LENGTH = 13
# Ranges the module can report (Hi-Link protocol V1.02; ESPHome ld2410.h TOTAL_GATES = 9): gates
# 0-8 of 0.75 m each, energies 0-100. A value outside them is a corrupt frame whose length and
# footer happened to match, never a reading: 255 energy or 65,535 cm is not a person.
MAX_GATE = 8
GATE_CM = 75
MAX_DISTANCE_CM = (MAX_GATE + 1) * GATE_CM
MAX_ENERGY = 100
ENGINEERING_TAIL = 2  # light level and OUT pin, after the gate energies
# The longest frame the module sends is an engineering report (35 data bytes); a larger length
# field is corruption, and refusing it early keeps one bad byte from stalling the stream.
MAX_DATA_LENGTH = 64

DEFAULT_BAUD = 256_000
SUPPORTED_BAUDS = (9600, 19200, 38400, 57600, 115200, 230400, 256000, 460800)


class TargetState(IntFlag):
    """What the module sees: bit 0 a moving target, bit 1 a stationary one."""

    NONE = 0
    MOVING = 1
    STATIONARY = 2
    BOTH = 3


@dataclass(frozen=True, slots=True)
class Report:
    """One decoded target report."""

    engineering: bool
    target: TargetState
    moving_distance_cm: int
    moving_energy: int
    stationary_distance_cm: int
    stationary_energy: int
    detection_distance_cm: int
    moving_gate_energy: tuple[int, ...] = ()
    stationary_gate_energy: tuple[int, ...] = ()
    light: int | None = None
    out_pin: bool | None = None


@dataclass(frozen=True, slots=True)
class Ack:
    """A command acknowledgement: the command word answered, its status (0 = success)."""

    command: int
    status: int | None
    payload: bytes


class FrameError(ValueError):
    """A frame whose boundaries matched but whose content does not follow the protocol."""


def decode_report(data: bytes) -> Report:
    """The report in a data frame's payload (between length and footer); FrameError if bad."""
    if len(data) < BASIC_LENGTH:
        raise FrameError(f"report of {len(data)} bytes is shorter than {BASIC_LENGTH}")
    kind, head, state = data[0], data[1], data[2]
    if kind not in (REPORT_BASIC, REPORT_ENGINEERING):
        raise FrameError(f"unknown report type 0x{kind:02x}")
    if head != REPORT_HEAD:
        raise FrameError(f"report head 0x{head:02x}, expected 0xaa")
    if data[-2] != REPORT_TAIL:
        raise FrameError(f"report tail 0x{data[-2]:02x}, expected 0x55")
    if data[-1] != REPORT_CHECK:
        raise FrameError(f"report check byte 0x{data[-1]:02x}, expected 0x00")
    if state > TargetState.BOTH:
        raise FrameError(f"target state 0x{state:02x} is not 0..3")
    moving_cm, moving_energy, still_cm, still_energy, detect_cm = struct.unpack_from(
        "<HBHBH", data, 3
    )
    _in_range("moving energy", moving_energy, MAX_ENERGY)
    _in_range("stationary energy", still_energy, MAX_ENERGY)
    for what, value in (
        ("moving distance", moving_cm),
        ("stationary distance", still_cm),
        ("detection distance", detect_cm),
    ):
        _in_range(what, value, MAX_DISTANCE_CM, "cm")
    extra = data[11:-2]
    moving_gates: tuple[int, ...] = ()
    still_gates: tuple[int, ...] = ()
    light: int | None = None
    out_pin: bool | None = None
    if kind == REPORT_BASIC and extra:
        raise FrameError(f"basic report has {len(extra)} unexpected byte(s)")
    if kind == REPORT_ENGINEERING:
        if len(extra) < 2:
            raise FrameError("engineering report lacks its gate counts")
        _in_range("last moving gate", extra[0], MAX_GATE)
        _in_range("last stationary gate", extra[1], MAX_GATE)
        moving_count, still_count = extra[0] + 1, extra[1] + 1
        gates_end = 2 + moving_count + still_count
        if len(extra) != gates_end + ENGINEERING_TAIL:
            raise FrameError(
                f"engineering report announces {moving_count}+{still_count} gates, which with "
                f"light and OUT pin make {gates_end + ENGINEERING_TAIL} bytes, but carries "
                f"{len(extra)}"
            )
        moving_gates = tuple(extra[2 : 2 + moving_count])
        still_gates = tuple(extra[2 + moving_count : gates_end])
        for target, energies in (("moving", moving_gates), ("stationary", still_gates)):
            for gate, energy in enumerate(energies):
                _in_range(f"{target} energy of gate {gate}", energy, MAX_ENERGY)
        light = extra[gates_end]
        out_pin = bool(extra[gates_end + 1])
    return Report(
        engineering=kind == REPORT_ENGINEERING,
        target=TargetState(state),
        moving_distance_cm=moving_cm,
        moving_energy=moving_energy,
        stationary_distance_cm=still_cm,
        stationary_energy=still_energy,
        detection_distance_cm=detect_cm,
        moving_gate_energy=moving_gates,
        stationary_gate_energy=still_gates,
        light=light,
        out_pin=out_pin,
    )


def _in_range(what: str, value: int, high: int, unit: str = "") -> None:
    if value > high:
        raise FrameError(f"{what} {value}{unit} is beyond the module's {high}{unit}")


def decode_ack(data: bytes) -> Ack:
    """The acknowledgement in a command frame's payload."""
    if len(data) < 2:
        raise FrameError(f"ACK of {len(data)} bytes lacks its command word")
    command = int.from_bytes(data[0:2], "little")
    status = int.from_bytes(data[2:4], "little") if len(data) >= 4 else None
    return Ack(command, status, bytes(data[4:]))


class FrameParser:
    """Turns an arbitrary byte stream into reports: frames may be split across chunks, several
    may share one, and garbage, truncated or corrupt frames are counted, skipped, and the
    parser resynchronises on the next frame header."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.reports = 0
        self.acks = 0
        self.corrupt_frames = 0
        self.skipped_bytes = 0
        self.last_ack: Ack | None = None
        self.last_error: str | None = None

    def reset(self) -> None:
        """Forget a partial frame (the port was reopened)."""
        self._buffer.clear()

    def feed(self, chunk: bytes) -> list[Report]:
        """The reports completed by `chunk`, oldest first."""
        buffer = self._buffer
        buffer += chunk
        reports: list[Report] = []
        while True:
            start = _find_header(buffer)
            if start < 0:
                # Keep what could be the start of a header split across chunks.
                drop = max(0, len(buffer) - (len(DATA_HEADER) - 1))
                self.skipped_bytes += drop
                del buffer[:drop]
                break
            if start:
                self.skipped_bytes += start
                del buffer[:start]
            if len(buffer) < 6:
                break
            is_report = buffer[:4] == DATA_HEADER
            length = int.from_bytes(buffer[4:6], "little")
            if length > MAX_DATA_LENGTH:
                self._corrupt(f"length field {length} exceeds {MAX_DATA_LENGTH}")
                del buffer[:1]  # resync: look for the next header after this one
                continue
            end = 6 + length + 4
            if len(buffer) < end:
                break
            footer = DATA_FOOTER if is_report else ACK_FOOTER
            if buffer[6 + length : end] != footer:
                # A truncated frame or a wrong length: the next header may be inside it.
                self._corrupt(f"no footer where a {length}-byte frame should end")
                del buffer[:1]
                continue
            data = bytes(buffer[6 : 6 + length])
            del buffer[:end]
            try:
                if is_report:
                    reports.append(decode_report(data))
                    self.reports += 1
                else:
                    self.last_ack = decode_ack(data)
                    self.acks += 1
            except FrameError as exc:
                self._corrupt(str(exc))
        return reports

    def _corrupt(self, reason: str) -> None:
        self.corrupt_frames += 1
        self.last_error = reason
        log.debug("LD2410: skipped a corrupt frame: %s", reason)


def _find_header(buffer: bytearray) -> int:
    found = [i for i in (buffer.find(DATA_HEADER), buffer.find(ACK_HEADER)) if i >= 0]
    return min(found) if found else -1


@dataclass(frozen=True, slots=True)
class PresenceRule:
    """When a report means someone is at the desk.

    A target counts if its energy is at least `min_energy` and its distance at most
    `max_distance_cm`, so a desk sensor ignores a colleague walking past at 4 m.
    """

    min_energy: int = 0
    max_distance_cm: int | None = None

    def present(self, report: Report) -> bool:
        """Whether any target in `report` passes the rule."""
        targets = []
        if report.target & TargetState.MOVING:
            targets.append((report.moving_distance_cm, report.moving_energy))
        if report.target & TargetState.STATIONARY:
            targets.append((report.stationary_distance_cm, report.stationary_energy))
        return any(
            energy >= self.min_energy
            and (self.max_distance_cm is None or distance <= self.max_distance_cm)
            for distance, energy in targets
        )


# --- serial port ------------------------------------------------------------------------------


def open_serial_port(port: Path | str, baud: int = DEFAULT_BAUD) -> serial.Serial:
    """Open a tty raw (8N1, no flow control) at `baud`, with reads that never wait."""
    import serial

    port = Path(port)
    try:
        opened = serial.Serial(str(port), baudrate=baud, timeout=0)
    except serial.SerialException as exc:
        if exc.errno == errno.ENOENT:
            raise SourceOpenError(
                f"{port}: no such serial port; check the USB-serial adapter is plugged in "
                "(ls /dev/serial/by-id/ gives names that survive reboots)"
            ) from None
        if exc.errno == errno.EACCES:
            raise SourceOpenError(
                f"{port}: permission denied; add the agent's user to the 'dialout' group"
            ) from None
        if exc.errno is None:  # opened, but it would not take terminal settings
            raise SourceOpenError(
                f"{port}: not a serial port (not a terminal device); check the path names "
                "the LD2410's tty, e.g. /dev/ttyUSB0 or /dev/ttyAMA0"
            ) from None
        raise SourceOpenError(f"{port}: cannot open the serial port: {exc}") from None
    except ValueError as exc:  # a rate this platform cannot set
        raise SourceOpenError(f"{port}: cannot configure the serial port: {exc}") from None
    opened.reset_input_buffer()  # reports queued before we opened are stale
    return opened


class Ld2410Source:
    """One desk's LD2410 on a serial port: drains the port on each read and reports presence
    when it changes (the module already smooths its output; the latest report wins).

    If the port fails (adapter unplugged) the source logs it, keeps the desk's last state and
    retries opening every `reopen_after_s`; silence beyond `stale_after_s` is logged too. No
    valid report for `fault_after_s` (the desk's TTL) is a sensor fault: counted, logged, and
    the desk is reported faulty (the server shows it unknown) until a valid report comes.
    """

    def __init__(
        self,
        desk: str,
        port: Path | str,
        *,
        baud: int = DEFAULT_BAUD,
        rule: PresenceRule | None = None,
        stale_after_s: float = 10.0,
        fault_after_s: float = 600.0,
        reopen_after_s: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.desk = desk
        self.port = Path(port)
        self.baud = baud
        self.rule = rule or PresenceRule()
        self.parser = FrameParser()
        self.stale_after_s = stale_after_s
        self.fault_after_s = fault_after_s
        self.reopen_after_s = reopen_after_s
        self.faults = 0  # sensor faults since start
        self._monotonic = monotonic
        self._serial: serial.Serial | None = open_serial_port(self.port, baud)
        self._present: bool | None = None
        self._last_report = monotonic()
        self._last_valid = self._last_report  # only a valid report moves it, not a reopen
        self._stale_logged = False
        self._faulty = False
        self._retry_at = 0.0

    def __repr__(self) -> str:
        return f"Ld2410Source({self.desk!r}, {str(self.port)!r})"

    @property
    def fd(self) -> int | None:
        """The open port's descriptor, None while the port is lost."""
        return self._serial.fileno() if self._serial is not None else None

    def faulty(self) -> frozenset[str]:
        """The desk, while its module has sent no valid report for `fault_after_s`."""
        return frozenset({self.desk}) if self._faulty else frozenset()

    def read(self, now: datetime) -> list[SensorReading]:
        mono = self._monotonic()
        if not self._faulty and mono - self._last_valid > self.fault_after_s:
            self._fault(mono)
        if self._serial is None and not self._reopen():
            return []
        data = self._drain()
        reports = self.parser.feed(data) if data else []
        if not reports:
            if mono - self._last_report > self.stale_after_s and not self._stale_logged:
                self._stale_logged = True
                log.warning(
                    "%s: no valid LD2410 report for %.0f s (desk %s, %d corrupt frame(s)); "
                    "check the wiring (module TX to adapter RX), power and baud (%d)",
                    self.port,
                    mono - self._last_report,
                    self.desk,
                    self.parser.corrupt_frames,
                    self.baud,
                )
                if self._serial is not None and not self.port.exists():
                    self._lost("the port disappeared")
            return []
        self._last_report = self._last_valid = mono
        if self._stale_logged or self._faulty:
            self._stale_logged = self._faulty = False
            log.info("%s: LD2410 reports again (desk %s)", self.port, self.desk)
        present = self.rule.present(reports[-1])
        if present == self._present:
            return []
        self._present = present
        return [SensorReading(self.desk, present, now)]

    def _fault(self, mono: float) -> None:
        self._faulty = True
        self.faults += 1
        self._present = None  # the next valid report is news, whatever it says
        log.warning(
            "%s: sensor fault: no valid LD2410 report for %.0f s (desk %s, %d corrupt frame(s), "
            "last: %s); the desk shows unknown until the module reports again",
            self.port,
            mono - self._last_valid,
            self.desk,
            self.parser.corrupt_frames,
            self.parser.last_error or "none",
        )

    def close(self) -> None:
        if self._serial is not None:
            self._serial.close()
            self._serial = None
        self._retry_at = float("inf")

    def _drain(self) -> bytes:
        import serial

        chunks = []
        while self._serial is not None:
            try:
                chunk = self._serial.read(4096)
            except serial.SerialException as exc:
                self._lost(str(exc))
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def _lost(self, reason: str) -> None:
        log.warning(
            "%s: LD2410 port lost (%s); desk %s keeps its last state", self.port, reason, self.desk
        )
        if self._serial is not None:
            self._serial.close()
            self._serial = None
        self._retry_at = self._monotonic() + self.reopen_after_s

    def _reopen(self) -> bool:
        # Polled from the agent's tick, which must never wait: a blocking retry helper does
        # not fit, so the next attempt is simply not made before its time.
        mono = self._monotonic()
        if mono < self._retry_at:
            return False
        try:
            self._serial = open_serial_port(self.port, self.baud)
        except SourceOpenError as exc:
            log.debug("%s", exc)
            self._retry_at = mono + self.reopen_after_s
            return False
        log.info("%s: LD2410 port reopened (desk %s)", self.port, self.desk)
        self.parser.reset()
        self._last_report = mono
        return True
