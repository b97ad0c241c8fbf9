"""The LD2410 driver: frames byte by byte (good, split, corrupt), the presence rule, and the
serial source end to end over a pseudo-terminal."""

from __future__ import annotations

import fcntl
import logging
import os
import random
import struct
import termios
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge_agent.desk_agent import DeskAgentConfig
from edge_agent.ld2410 import (
    MAX_DATA_LENGTH,
    FrameParser,
    Ld2410Source,
    PresenceRule,
    Report,
    TargetState,
)
from edge_agent.runtime import AgentConfigError
from edge_agent.sensors import SensorReading, SourceOpenError
from edge_agent.source_config import Ld2410SourceConfig

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

# Traces published with morian/aio-ld2410 (tests/protocol/test_reports.py).
BASIC_TRACE = bytes.fromhex("f4f3f2f1 0d00 02aa 02 5100 00 0000 3b 0000 5500 f8f7f6f5")
ENGINEERING_TRACE = bytes.fromhex(
    "f4f3f2f1 2300 01aa 03 1e00 3c 0000 39 0000 0808"
    "3c22050303040306 05 000039101306060804 6001 5500 f8f7f6f5"
)


def frame(payload: bytes, *, ack: bool = False) -> bytes:
    """A frame around `payload` with the right length field."""
    header, footer = (
        (b"\xfd\xfc\xfb\xfa", b"\x04\x03\x02\x01")
        if ack
        else (
            b"\xf4\xf3\xf2\xf1",
            b"\xf8\xf7\xf6\xf5",
        )
    )
    return header + struct.pack("<H", len(payload)) + payload + footer


def report(
    state: int = 2,
    *,
    moving: tuple[int, int] = (0, 0),
    still: tuple[int, int] = (80, 60),
    detect: int = 80,
    engineering: bool = False,
) -> bytes:
    """A report frame: state, (distance cm, energy) per target kind, detection distance."""
    payload = bytes([0x01 if engineering else 0x02, 0xAA, state])
    payload += struct.pack("<HBHBH", moving[0], moving[1], still[0], still[1], detect)
    if engineering:
        payload += bytes([8, 8]) + bytes(range(10, 19)) + bytes(range(20, 29)) + b"\x40\x01"
    return frame(payload + b"\x55\x00")


SEATED = report(2, still=(70, 55))
WALKING_PAST = report(1, moving=(400, 80), still=(0, 0))
EMPTY = report(0, still=(0, 0), detect=0)


# --- decoding ------------------------------------------------------------------------------


def test_the_published_basic_trace_decodes() -> None:
    parser = FrameParser()
    [decoded] = parser.feed(BASIC_TRACE)
    assert decoded == Report(
        engineering=False,
        target=TargetState.STATIONARY,
        moving_distance_cm=0x51,
        moving_energy=0,
        stationary_distance_cm=0,
        stationary_energy=0x3B,
        detection_distance_cm=0,
    )
    assert (parser.reports, parser.corrupt_frames, parser.skipped_bytes) == (1, 0, 0)


def test_the_published_engineering_trace_decodes_with_gates_light_and_out_pin() -> None:
    [decoded] = FrameParser().feed(ENGINEERING_TRACE)
    assert decoded.engineering
    assert decoded.target is TargetState.BOTH
    assert (decoded.moving_distance_cm, decoded.moving_energy) == (30, 60)
    assert (decoded.stationary_distance_cm, decoded.stationary_energy) == (0, 57)
    assert decoded.moving_gate_energy == (0x3C, 0x22, 5, 3, 3, 4, 3, 6, 5)
    assert decoded.stationary_gate_energy == (0, 0, 0x39, 0x10, 0x13, 6, 6, 8, 4)
    assert (decoded.light, decoded.out_pin) == (0x60, True)


def test_a_stream_split_at_every_byte_boundary_gives_the_same_reports() -> None:
    stream = SEATED + ENGINEERING_TRACE + EMPTY
    expected = FrameParser().feed(stream)
    assert len(expected) == 3
    for cut in range(1, len(stream)):
        parser = FrameParser()
        got = parser.feed(stream[:cut]) + parser.feed(stream[cut:])
        assert got == expected, f"split at byte {cut}"
        assert parser.corrupt_frames == 0


def test_byte_by_byte_and_random_chunks_with_garbage_recover_every_report() -> None:
    frames = [SEATED, WALKING_PAST, ENGINEERING_TRACE, EMPTY, BASIC_TRACE] * 20
    rng = random.Random(7)
    # Garbage below 0xF0 can never start a header, so every frame must come out.
    garbage = [bytes(rng.randrange(0xF0) for _ in range(rng.randrange(4))) for _ in frames]
    stream = b"".join(g + f for g, f in zip(garbage, frames, strict=True))
    expected = [FrameParser().feed(f)[0] for f in frames]

    one_by_one = FrameParser()
    assert [r for b in stream for r in one_by_one.feed(bytes([b]))] == expected
    chunked, got, at = FrameParser(), [], 0
    while at < len(stream):
        size = rng.randrange(1, 60)
        got += chunked.feed(stream[at : at + size])
        at += size
    assert got == expected
    assert chunked.corrupt_frames == 0 and chunked.skipped_bytes > 0


def test_several_frames_in_one_chunk_come_out_in_order() -> None:
    got = FrameParser().feed(SEATED + WALKING_PAST + EMPTY)
    assert [r.target for r in got] == [
        TargetState.STATIONARY,
        TargetState.MOVING,
        TargetState.NONE,
    ]


def test_garbage_and_half_headers_before_and_between_frames_are_skipped_and_counted() -> None:
    parser = FrameParser()
    junk = b"\x00\xff\xf4\xf3\x12" + b"\xfd\xfc\xfb" + b"\xf4\xf3\xf2"
    got = parser.feed(junk + SEATED + b"hello" + EMPTY + b"\xf4")
    assert [r.target for r in got] == [TargetState.STATIONARY, TargetState.NONE]
    assert parser.skipped_bytes == len(junk) + len(b"hello")
    assert parser.corrupt_frames == 0


def test_command_acks_are_recognised_and_skipped() -> None:
    enable_config_ack = frame(bytes.fromhex("ff01 0000 0100 4000"), ack=True)
    parser = FrameParser()
    got = parser.feed(SEATED + enable_config_ack + EMPTY)
    assert len(got) == 2
    assert parser.acks == 1 and parser.corrupt_frames == 0
    assert parser.last_ack is not None
    assert (parser.last_ack.command, parser.last_ack.status) == (0x01FF, 0)


def _edit(data: bytes, at: int, value: int) -> bytes:
    return data[:at] + bytes([value]) + data[at + 1 :]


CORRUPT = {
    "truncated": SEATED[:15],
    "length too short": SEATED[:4] + b"\x0c\x00" + SEATED[6:],
    "length too long": SEATED[:4] + b"\x0e\x00" + SEATED[6:],
    "length beyond any frame": SEATED[:4] + struct.pack("<H", MAX_DATA_LENGTH + 1) + SEATED[6:],
    "wrong head": _edit(SEATED, 7, 0xAB),
    "wrong tail": _edit(SEATED, 17, 0x56),
    "wrong check byte": _edit(SEATED, 18, 0x01),
    "wrong footer": SEATED[:-1] + b"\x00",
    "unknown report type": _edit(SEATED, 6, 0x03),
    "target state 4": _edit(SEATED, 8, 0x04),
    "basic report with extra bytes": frame(bytes.fromhex("02aa02 5000 10 5000 20 5000 ff 5500")),
    "engineering report short of gates": frame(
        bytes.fromhex("01aa02 5000 10 5000 20 5000 0808 0102030405 5500")
    ),
    "ack with a report footer": frame(b"\xff\x01\x00\x00", ack=True)[:-4] + b"\xf8\xf7\xf6\xf5",
    # Values the module cannot report (energies 0-100, 9 gates of 75 cm): never a reading.
    "moving energy 255": report(1, moving=(120, 255), still=(0, 0)),
    "stationary distance 65535 cm": report(2, still=(65535, 60)),
    "detection distance beyond 9 gates": report(2, detect=676),
    "engineering report declaring 9 gates": frame(
        bytes.fromhex("01aa02 5000 10 5000 20 5000 0908")
        + bytes(range(10, 20))  # ten moving energies: every value after them shifted by one
        + bytes(range(20, 29))
        + b"\x40\x01\x55\x00"
    ),
    "gate energy 101": frame(
        bytes.fromhex("01aa02 5000 10 5000 20 5000 0808")
        + bytes([10, 11, 12, 101, 14, 15, 16, 17, 18])
        + bytes(range(20, 29))
        + b"\x40\x01\x55\x00"
    ),
    "engineering report without light and OUT pin": frame(
        bytes.fromhex("01aa02 5000 10 5000 20 5000 0808")
        + bytes(range(10, 19))
        + bytes(range(20, 29))
        + b"\x55\x00"
    ),
}


@pytest.mark.parametrize("corrupt", CORRUPT.values(), ids=CORRUPT.keys())
def test_a_corrupt_frame_is_counted_and_the_parser_resyncs_on_the_next(corrupt: bytes) -> None:
    parser = FrameParser()
    got = parser.feed(EMPTY + corrupt + SEATED + WALKING_PAST)
    assert [r.target for r in got] == [
        TargetState.NONE,
        TargetState.STATIONARY,
        TargetState.MOVING,
    ]
    assert parser.corrupt_frames >= 1
    assert parser.last_error


# --- presence rule ---------------------------------------------------------------------------


def decoded(frame_bytes: bytes) -> Report:
    [one] = FrameParser().feed(frame_bytes)
    return one


@pytest.mark.parametrize(
    ("frame_bytes", "rule", "present"),
    [
        (EMPTY, PresenceRule(), False),
        (SEATED, PresenceRule(), True),
        (SEATED, PresenceRule(min_energy=50, max_distance_cm=150), True),
        (SEATED, PresenceRule(min_energy=60), False),  # energy 55: too weak
        (WALKING_PAST, PresenceRule(), True),  # no range limit: anyone in the room counts
        (WALKING_PAST, PresenceRule(max_distance_cm=150), False),  # 4 m away: not at this desk
        (report(3, moving=(400, 90), still=(90, 40)), PresenceRule(max_distance_cm=150), True),
        (report(3, moving=(400, 90), still=(90, 40)), PresenceRule(40, 100), True),
        (report(3, moving=(400, 90), still=(90, 40)), PresenceRule(41, 100), False),
    ],
)
def test_presence_needs_a_target_close_and_strong_enough(
    frame_bytes: bytes, rule: PresenceRule, present: bool
) -> None:
    assert rule.present(decoded(frame_bytes)) is present


# --- the serial source over a pseudo-terminal ------------------------------------------------


def output_baud(fd: int) -> int:
    """The output speed the kernel holds for a tty: TCGETS2 (asm-generic), struct termios2 of
    44 bytes with c_ospeed at 40; termios.tcgetattr cannot report a rate like 256000."""
    buffer = bytearray(44)
    fcntl.ioctl(fd, 0x802C542A, buffer, True)
    speed: int = struct.unpack_from("=I", buffer, 40)[0]
    return speed


@pytest.fixture
def pty() -> Iterator[tuple[int, str]]:
    """The master fd (the 'module' side) and the slave's path (the 'port')."""
    master, slave = os.openpty()
    path = os.ttyname(slave)
    try:
        yield master, path
    finally:
        os.close(master)
        os.close(slave)


def read_until(
    source: Ld2410Source, check: Callable[[list[SensorReading]], bool], timeout: float = 5.0
) -> list[SensorReading]:
    """Read the source until the readings so far satisfy `check`; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    readings: list[SensorReading] = []
    while not check(readings):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out; readings so far: {readings}")
        readings += source.read(NOW)
        time.sleep(0.005)
    return readings


def test_the_port_is_raw_at_256000_baud(pty: tuple[int, str]) -> None:
    _, path = pty
    source = Ld2410Source("desk-1", path)
    try:
        assert source.fd is not None
        assert output_baud(source.fd) == 256_000
        iflag, oflag, cflag, lflag, _, _, cc = termios.tcgetattr(source.fd)
        assert not lflag & (termios.ICANON | termios.ECHO | termios.ISIG)
        assert not iflag & (termios.ICRNL | termios.IXON)
        assert not oflag & termios.OPOST
        assert cflag & termios.CSIZE == termios.CS8
        assert (cc[termios.VMIN], cc[termios.VTIME]) == (0, 0)
        assert source.read(NOW) == [], "reading an idle port must not block"
    finally:
        source.close()


def test_frames_written_to_the_module_side_become_readings(pty: tuple[int, str]) -> None:
    master, path = pty
    source = Ld2410Source("desk-1", path, rule=PresenceRule(max_distance_cm=150))
    try:
        os.write(master, b"\x00\x13" + SEATED[:9])  # garbage, then half a frame
        assert source.read(NOW) == []
        os.write(master, SEATED[9:] + SEATED)  # the rest, and the same report again
        assert read_until(source, bool) == [SensorReading("desk-1", True, NOW)]

        os.write(master, frame(b"\xff\x01\x00\x00", ack=True) + SEATED[:-2])
        later = NOW + timedelta(seconds=1)
        assert source.read(later) == [], "a frame cut short waits for its end"
        os.write(master, SEATED[-2:] + WALKING_PAST)
        deadline = time.monotonic() + 5
        readings: list[SensorReading] = []
        while not readings and time.monotonic() < deadline:
            readings = source.read(later)
        assert readings == [SensorReading("desk-1", False, later)], "walking past at 4 m is absence"
        assert source.parser.acks == 1
    finally:
        source.close()


def test_a_missing_port_and_a_plain_file_are_explained(tmp_path: Path) -> None:
    with pytest.raises(SourceOpenError) as missing:
        Ld2410Source("desk-1", tmp_path / "ttyUSB9")
    assert str(tmp_path / "ttyUSB9") in str(missing.value)
    assert "no such serial port" in str(missing.value)
    plain = tmp_path / "not-a-tty"
    plain.write_bytes(SEATED)
    with pytest.raises(SourceOpenError) as not_tty:
        Ld2410Source("desk-1", plain)
    assert str(plain) in str(not_tty.value) and "not a serial port" in str(not_tty.value)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_silent_port_is_logged_and_a_vanished_one_is_reopened(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first_master, first_slave = os.openpty()
    link = tmp_path / "ttyLD2410"  # like /dev/serial/by-id/..., which udev removes on unplug
    link.symlink_to(os.ttyname(first_slave))
    mono = FakeMonotonic()
    source = Ld2410Source("desk-1", link, stale_after_s=5, reopen_after_s=2, monotonic=mono)
    second_master = second_slave = -1
    try:
        os.write(first_master, SEATED)
        assert read_until(source, bool) == [SensorReading("desk-1", True, NOW)]

        link.unlink()  # unplugged: the port falls silent and its name goes away
        mono.now += 6
        with caplog.at_level(logging.WARNING, logger="edge_agent.ld2410"):
            assert source.read(NOW) == []
        assert "no valid LD2410 report" in caplog.text
        assert "port lost" in caplog.text
        assert source.fd is None

        second_master, second_slave = os.openpty()
        link.symlink_to(os.ttyname(second_slave))  # plugged back in
        mono.now += 1
        assert source.read(NOW) == [] and source.fd is None, "waits reopen_after_s"
        mono.now += 2
        assert source.read(NOW) == [] and source.fd is not None
        os.write(second_master, EMPTY)
        assert read_until(source, bool) == [SensorReading("desk-1", False, NOW)]
    finally:
        source.close()
        for fd in (first_master, first_slave, second_master, second_slave):
            if fd >= 0:
                os.close(fd)


def test_a_module_sending_only_garbage_is_a_sensor_fault_until_it_reports_again(
    pty: tuple[int, str], caplog: pytest.LogCaptureFixture
) -> None:
    module, port = pty
    mono = FakeMonotonic()
    source = Ld2410Source("desk-1", port, fault_after_s=600, monotonic=mono)
    try:
        os.write(module, SEATED)
        assert read_until(source, bool) == [SensorReading("desk-1", True, NOW)]
        # Framed but impossible values, then noise: nothing valid for the desk's TTL.
        for _ in range(3):
            os.write(module, CORRUPT["moving energy 255"] + bytes(range(256)))
            mono.now += 250
            assert source.read(NOW) == []
        with caplog.at_level(logging.WARNING, logger="edge_agent.ld2410"):
            source.read(NOW)
        assert source.faulty() == {"desk-1"} and source.faults == 1
        assert "sensor fault" in caplog.text and source.parser.corrupt_frames >= 1
        # Valid again: the desk is reported afresh, even though it says what it said before.
        os.write(module, SEATED)
        assert read_until(source, bool) == [SensorReading("desk-1", True, NOW)]
        assert source.faulty() == frozenset() and source.faults == 1
    finally:
        source.close()


# --- configuration ---------------------------------------------------------------------------

AGENT = """\
device: gw-f3-a
site: cityhall
broker: mqtt://broker.local:1883
outbox: outbox.sqlite
desks:
  - id: desk-f3-a-01-01
    source: {type: ld2410, port: /dev/ttyUSB0, max_distance_cm: 150, min_energy: 20}
"""


def test_an_ld2410_desk_is_mmwave_with_its_rule(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(AGENT)
    config = DeskAgentConfig.load(path)
    [desk] = config.desks
    assert desk.sensor.value == "mmwave"
    source = config.source_of(desk)
    assert isinstance(source, Ld2410SourceConfig)
    assert (source.port, source.baud, source.max_distance_cm, source.min_energy) == (
        Path("/dev/ttyUSB0"),
        256_000,
        150,
        20,
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("max_distance_cm: 150", "max_distance_cm: -5"), "desks.0.source.max_distance_cm"),
        (("min_energy: 20", "min_energy: 20, baud: 250000"), "desks.0.source.baud"),
        (("type: ld2410, port: /dev/ttyUSB0, ", "type: ld2410, "), "desks.0.source.port"),
        (("  - id: desk-f3-a-01-01\n", "  - id: desk-f3-a-01-01\n    sensor: pir\n"), "mmwave"),
    ],
)
def test_a_broken_ld2410_source_names_the_file_and_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(AGENT.replace(*change))
    with pytest.raises(AgentConfigError) as caught:
        DeskAgentConfig.load(path)
    assert str(path) in str(caught.value) and expected in str(caught.value)
