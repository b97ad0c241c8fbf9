"""GPIO presence: libgpiod's edge events, active-low logic, a requested line drained through our
line port, the line settings asked of libgpiod, sysfs against a fake tree, errors for missing or
wrong chips; and how the agent config wires per-desk sources into one CompositeSource.

libgpiod's own simulator needs the gpio-sim kernel module, which cannot be loaded here, so the
line source is driven through our `EdgeLine` port; everything in front of it is libgpiod's."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gpiod
import pytest
from gpiod.line import Bias, Direction
from gpiod.line import Edge as LineEdge

from contracts import SensorClass
from edge_agent.desk_agent import DeskAgentConfig
from edge_agent.gpio import (
    Edge,
    GpioLineSource,
    GpioSysfsSource,
    LineEvent,
    LineState,
    line_events,
    line_settings,
    open_gpio_line,
)
from edge_agent.runtime import AgentConfigError
from edge_agent.sensors import (
    CompositeSource,
    QueuedSource,
    SensorReading,
    SimulatedSource,
    SourceOpenError,
)
from edge_agent.source_config import (
    GpioSourceConfig,
    SimulatedSourceConfig,
    open_presence_source,
)

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
MONO_NOW = 5_000_000_000_000  # ns on the fake monotonic clock at NOW
RISING, FALLING = 1, 2


def edge(
    timestamp_ns: int, event_id: int, *, offset: int = 17, seqno: int = 1, line_seqno: int = 1
) -> LineEvent:
    """An edge event as libgpiod hands it over, converted as the line source does."""
    [event] = line_events([gpiod.EdgeEvent(event_id, timestamp_ns, offset, seqno, line_seqno)])
    return event


def seconds_ago(seconds: float) -> int:
    return MONO_NOW - int(seconds * 1e9)


# --- decoding and state ----------------------------------------------------------------------


def test_libgpiod_edge_events_become_line_events() -> None:
    events = line_events(
        [gpiod.EdgeEvent(RISING, 111, 17, 4, 2), gpiod.EdgeEvent(FALLING, 222, 17, 5, 3)]
    )
    assert events == [
        LineEvent(111, Edge.RISING, 17, 4, 2),
        LineEvent(222, Edge.FALLING, 17, 5, 3),
    ]
    assert [e.level for e in events] == [True, False]


def test_an_unknown_event_id_never_reaches_the_line_state() -> None:
    with pytest.raises(ValueError):
        gpiod.EdgeEvent(7, 1, 17, 1, 1)  # libgpiod refuses it while reading the record


@pytest.mark.parametrize(
    ("active_low", "present_after_rising"),
    [(False, True), (True, False)],  # a PIR drives high; a mat to ground reads low when sat on
)
def test_edges_become_presence_through_active_low(
    active_low: bool, present_after_rising: bool
) -> None:
    state = LineState("desk-1", active_low=active_low)
    events = [
        edge(seconds_ago(3), RISING, line_seqno=1),
        edge(seconds_ago(1), FALLING, line_seqno=2),
    ]
    readings = state.events(events, now=NOW, mono_now_ns=MONO_NOW)
    assert readings == [
        SensorReading("desk-1", present_after_rising, NOW - timedelta(seconds=3)),
        SensorReading("desk-1", not present_after_rising, NOW - timedelta(seconds=1)),
    ]
    assert state.level is False


def test_samples_report_the_first_level_and_then_only_changes() -> None:
    state = LineState("desk-1", active_low=True)
    assert state.sample(True, NOW) == [SensorReading("desk-1", False, NOW)]
    assert state.sample(True, NOW + timedelta(seconds=1)) == []
    assert state.sample(False, NOW + timedelta(seconds=2)) == [
        SensorReading("desk-1", True, NOW + timedelta(seconds=2))
    ]


def test_an_edge_with_an_unchanged_sample_reports_the_pulse_in_between() -> None:
    state = LineState("desk-1")
    state.sample(False, NOW)
    later = NOW + timedelta(seconds=1)
    assert state.sample(False, later, edged=True) == [
        SensorReading("desk-1", True, later),
        SensorReading("desk-1", False, later),
    ]


def test_readings_never_go_back_in_time_and_dropped_edges_are_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = LineState("desk-1")
    state.sample(False, NOW)
    events = [
        edge(seconds_ago(5), RISING, line_seqno=1),
        edge(seconds_ago(4), FALLING, line_seqno=4),
    ]
    with caplog.at_level(logging.WARNING):
        readings = state.events(events, now=NOW + timedelta(seconds=1), mono_now_ns=MONO_NOW)
    assert [r.at for r in readings] == [NOW, NOW], "not before the sample already reported"
    assert state.missed_events == 2
    assert "dropped 2 edge event(s)" in caplog.text


# --- a requested line, through our port ---------------------------------------------------------


class FakeMonotonicNs:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


class FakeLine:
    """Our EdgeLine port: edges the test queues, handed over once each."""

    def __init__(self, level: bool) -> None:
        self.current = level
        self.queued: list[LineEvent] = []
        self.closed = False

    def level(self) -> bool:
        return self.current

    def edges(self) -> list[LineEvent]:
        queued, self.queued = self.queued, []
        return queued

    def close(self) -> None:
        self.closed = True


def test_the_line_source_reports_the_initial_level_then_drains_events() -> None:
    line = FakeLine(level=False)
    mono = FakeMonotonicNs(seconds_ago(2))  # the line was requested 2 s before the first read
    source = GpioLineSource("desk-1", line, initial_level=line.level(), monotonic_ns=mono)
    mono.now = MONO_NOW
    assert source.read(NOW) == [SensorReading("desk-1", False, NOW - timedelta(seconds=2))]
    assert source.read(NOW) == [], "an idle line returns at once"

    line.queued.append(edge(seconds_ago(0.5), RISING, line_seqno=1))
    assert source.read(NOW) == [SensorReading("desk-1", True, NOW - timedelta(seconds=0.5))]
    line.queued.append(edge(MONO_NOW, FALLING, line_seqno=2))
    assert source.read(NOW) == [SensorReading("desk-1", False, NOW)]
    source.close()
    assert line.closed
    assert source.read(NOW) == []


def test_the_line_request_asks_for_an_input_with_both_edges_bias_and_debounce() -> None:
    settings = line_settings(bias="pull-down", debounce_ms=5)
    assert settings.direction is Direction.INPUT
    assert settings.edge_detection is LineEdge.BOTH
    assert settings.bias is Bias.PULL_DOWN
    assert settings.debounce_period == timedelta(milliseconds=5)
    assert settings.active_low is False, "active_low is ours, so edges stay physical"
    plain = line_settings()
    assert (plain.edge_detection, plain.bias) == (LineEdge.BOTH, Bias.AS_IS)
    assert plain.debounce_period == timedelta(0)


def test_a_missing_chip_names_the_path_and_what_to_check(tmp_path: Path) -> None:
    chip = tmp_path / "gpiochip7"
    with pytest.raises(SourceOpenError) as caught:
        open_gpio_line("desk-1", chip, 17)
    message = str(caught.value)
    assert str(chip) in message
    assert "no such GPIO chip" in message and "/dev/gpiochip" in message


@pytest.mark.parametrize("kind", ["regular file", "/dev/null"])
def test_a_device_that_is_not_a_gpio_chip_is_named(tmp_path: Path, kind: str) -> None:
    if kind == "regular file":
        chip = tmp_path / "gpiochip0"
        chip.write_bytes(b"\0" * 68)
    else:
        chip = Path("/dev/null")
    with pytest.raises(SourceOpenError) as caught:
        open_gpio_line("desk-1", chip, 17)
    message = str(caught.value)
    assert str(chip) in message and "not a GPIO chip" in message
    assert "/dev/gpiochipN" in message


# --- sysfs, against a fake tree ----------------------------------------------------------------


def fake_sysfs(root: Path, number: int, value: str = "0") -> Path:
    pin = root / f"gpio{number}"
    pin.mkdir(parents=True)
    (pin / "value").write_text(value + "\n")
    (pin / "direction").write_text("out\n")
    (pin / "edge").write_text("none\n")
    return pin


def test_sysfs_reports_the_level_and_every_change(tmp_path: Path) -> None:
    pin = fake_sysfs(tmp_path, 17)
    source = GpioSysfsSource("desk-1", 17, root=tmp_path)
    try:
        assert (pin / "direction").read_text() == "in"
        assert (pin / "edge").read_text() == "both", "so real sysfs raises POLLPRI on edges"
        assert source.read(NOW) == [SensorReading("desk-1", False, NOW)]
        assert source.read(NOW + timedelta(seconds=1)) == []
        (pin / "value").write_text("1\n")
        assert source.read(NOW + timedelta(seconds=2)) == [
            SensorReading("desk-1", True, NOW + timedelta(seconds=2))
        ]
        (pin / "value").write_text("")  # caught between truncate and write
        assert source.read(NOW + timedelta(seconds=3)) == []
        (pin / "value").write_text("0\n")
        assert source.read(NOW + timedelta(seconds=4)) == [
            SensorReading("desk-1", False, NOW + timedelta(seconds=4))
        ]
    finally:
        source.close()
    assert source.read(NOW) == []


def test_sysfs_active_low_inverts_and_odd_values_are_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pin = fake_sysfs(tmp_path, 4, value="0")
    source = GpioSysfsSource("desk-1", 4, root=tmp_path, active_low=True)
    try:
        assert source.read(NOW) == [SensorReading("desk-1", True, NOW)]
        (pin / "value").write_text("banana\n")
        with caplog.at_level(logging.WARNING):
            assert source.read(NOW) == []
        assert "unexpected GPIO value" in caplog.text
        (pin / "value").write_text("1\n")
        assert source.read(NOW) == [SensorReading("desk-1", False, NOW)]
    finally:
        source.close()


def test_a_missing_sysfs_pin_names_the_file_and_how_to_export(tmp_path: Path) -> None:
    with pytest.raises(SourceOpenError) as caught:
        GpioSysfsSource("desk-1", 23, root=tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "gpio23" / "value") in message
    assert f"echo 23 > {tmp_path / 'export'}" in message


# --- composite sources and agent config ------------------------------------------------------


class Broken:
    def __init__(self) -> None:
        self.closed = False

    def read(self, now: datetime) -> list[SensorReading]:
        raise OSError("the adapter fell out")

    def close(self) -> None:
        self.closed = True


def test_a_composite_merges_oldest_first_and_survives_a_failing_source(
    caplog: pytest.LogCaptureFixture,
) -> None:
    first, second, broken = QueuedSource(), QueuedSource(), Broken()
    first.push("desk-1", True, NOW + timedelta(seconds=2))
    second.push("desk-2", True, NOW + timedelta(seconds=1))
    second.push("desk-2", False, NOW + timedelta(seconds=3))
    composite = CompositeSource([first, broken, second])
    with caplog.at_level(logging.ERROR):
        readings = composite.read(NOW + timedelta(seconds=5))
        assert composite.read(NOW + timedelta(seconds=6)) == []
    assert [(r.desk, r.present) for r in readings] == [
        ("desk-2", True),
        ("desk-1", True),
        ("desk-2", False),
    ]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1, "logged once, not every tick"
    assert "the adapter fell out" in caplog.text
    composite.close()
    assert broken.closed


AGENT = """\
device: gw-f3-a
site: cityhall
broker: mqtt://broker.local:1883
outbox: outbox.sqlite
desks:
  - id: desk-01
  - id: desk-02
    sensor: pir
    source: {{type: gpio, interface: sysfs, sysfs_root: {root}, line: 17}}
  - id: desk-03
    sensor: pressure
    source: {{type: gpio, interface: sysfs, sysfs_root: {root}, line: 18, active_low: true}}
"""


def test_a_gateway_opens_one_source_per_hardware_desk_and_one_simulation(tmp_path: Path) -> None:
    root = tmp_path / "gpio"
    fake_sysfs(root, 17, "1")
    fake_sysfs(root, 18, "1")
    path = tmp_path / "agent.yaml"
    path.write_text(AGENT.format(root=root))
    config = DeskAgentConfig.load(path)
    assert [d.sensor for d in config.desks] == [
        SensorClass.SIMULATED,
        SensorClass.PIR,
        SensorClass.PRESSURE,
    ]
    specs = [(d.id, config.source_of(d)) for d in config.desks]
    assert isinstance(specs[0][1], SimulatedSourceConfig)
    assert isinstance(specs[2][1], GpioSourceConfig) and specs[2][1].active_low
    source = open_presence_source(specs, seed=config.seed, timezone=config.timezone)
    try:
        assert isinstance(source, CompositeSource)
        assert [type(s) for s in source.sources] == [
            SimulatedSource,
            GpioSysfsSource,
            GpioSysfsSource,
        ]
        readings = {r.desk: r.present for r in source.read(NOW)}
        assert readings["desk-02"] is True and readings["desk-03"] is False
        assert "desk-01" in readings
    finally:
        source.close()


def test_an_all_simulated_agent_still_gets_the_plain_simulation(tmp_path: Path) -> None:
    source = open_presence_source(
        [("desk-01", SimulatedSourceConfig()), ("desk-02", SimulatedSourceConfig())],
        seed=3,
        timezone="Asia/Tokyo",
    )
    assert isinstance(source, SimulatedSource) and source.desks == ["desk-01", "desk-02"]


def test_a_source_that_cannot_open_closes_the_ones_already_open(tmp_path: Path) -> None:
    root = tmp_path / "gpio"
    pin = fake_sysfs(root, 17)
    specs = [
        ("desk-02", GpioSourceConfig(type="gpio", interface="sysfs", sysfs_root=root, line=17)),
        ("desk-03", GpioSourceConfig(type="gpio", interface="sysfs", sysfs_root=root, line=99)),
    ]
    before = len(os.listdir("/proc/self/fd"))
    with pytest.raises(SourceOpenError, match="gpio99"):
        open_presence_source(specs, seed=1, timezone="UTC")
    assert len(os.listdir("/proc/self/fd")) == before, "the gpio17 value file was closed"
    assert pin.exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("line: 17}", "line: -1}"), "desks.1.source.line"),
        (("line: 17}", "line: 17, bias: pull-up}"), "bias and debounce_ms need interface: cdev"),
        (("    sensor: pir\n", ""), "desks.1.sensor: a gpio source needs the sensor class"),
        (("line: 18,", "line: 17,"), "desks.2.source: GPIO 17 under"),
        (
            ("interface: sysfs, sysfs_root", "interface: spi, sysfs_root"),
            "desks.1.source.interface",
        ),
    ],
)
def test_a_broken_gpio_source_names_the_file_and_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(AGENT.format(root=tmp_path).replace(*change, 1))
    with pytest.raises(AgentConfigError) as caught:
        DeskAgentConfig.load(path)
    assert str(path) in str(caught.value) and expected in str(caught.value)


def test_the_cdev_interface_is_the_default_with_gpiochip0(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(
        AGENT.format(root=tmp_path).replace(
            "{type: gpio, interface: sysfs, sysfs_root: " + str(tmp_path) + ", line: 17}",
            "{type: gpio, line: 17, bias: pull-down, debounce_ms: 20}",
        )
    )
    config = DeskAgentConfig.load(path)
    spec = config.source_of(config.desks[1])
    assert isinstance(spec, GpioSourceConfig)
    assert (spec.interface, spec.chip, spec.line, spec.bias, spec.debounce_ms) == (
        "cdev",
        Path("/dev/gpiochip0"),
        17,
        "pull-down",
        20,
    )
