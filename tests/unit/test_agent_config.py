"""Agent config files and broker URLs: valid ones load, broken ones say where and why."""

from pathlib import Path

import pytest

from contracts import BrokerAddress, SensorClass
from edge_agent.desk_agent import DeskAgentConfig
from edge_agent.runtime import AgentConfigError

EXAMPLE = """\
device: gw-f3-a
site: cityhall
broker: mqtt://broker.local:1883
username: gw-f3-a
password: s3cret
outbox: state/gw-f3-a.sqlite
heartbeat_s: 30
desks:
  - id: desk-f3-a-01-01
    sensor: pir
  - id: desk-f3-a-01-02
    sensor: mmwave
hold_times:
  pir: {free_after_s: 300, ttl_s: 1800}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    return path


def test_the_documented_example_loads(tmp_path: Path) -> None:
    config = DeskAgentConfig.load(write(tmp_path, EXAMPLE))
    assert config.device == "gw-f3-a"
    assert config.site == "cityhall"
    assert (config.username, config.password) == ("gw-f3-a", "s3cret")
    assert [(d.id, d.sensor) for d in config.desks] == [
        ("desk-f3-a-01-01", SensorClass.PIR),
        ("desk-f3-a-01-02", SensorClass.MMWAVE),
    ]
    assert config.source == "simulated"


def test_a_relative_outbox_is_next_to_the_config_file(tmp_path: Path) -> None:
    config = DeskAgentConfig.load(write(tmp_path, EXAMPLE))
    assert config.outbox == (tmp_path / "state" / "gw-f3-a.sqlite").resolve()


def test_hold_time_overrides_sit_on_top_of_the_site_defaults(tmp_path: Path) -> None:
    hold = DeskAgentConfig.load(write(tmp_path, EXAMPLE)).effective_hold_times()
    assert hold[SensorClass.PIR].free_after_s == 300
    assert hold[SensorClass.MMWAVE].free_after_s == 60  # the site model's default


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("broker: mqtt://broker.local:1883", "broker: http://broker.local"), "broker"),
        (("device: gw-f3-a", "device: GW_F3"), "device"),
        (("    sensor: pir", "    sensor: sonar"), "desks.0.sensor"),
        (("heartbeat_s: 30", "heartbeat_s: 0"), "heartbeat_s"),
        (("heartbeat_s: 30", "heartbeat_s: 30\ncolour: blue"), "colour"),
        (("  - id: desk-f3-a-01-02", "  - id: desk-f3-a-01-01"), "listed twice"),
    ],
)
def test_a_broken_file_names_the_file_and_the_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    path = write(tmp_path, EXAMPLE.replace(*change))
    with pytest.raises(AgentConfigError) as caught:
        DeskAgentConfig.load(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_a_missing_file_and_bad_yaml_are_explained(tmp_path: Path) -> None:
    with pytest.raises(AgentConfigError, match="cannot read"):
        DeskAgentConfig.load(tmp_path / "absent.yaml")
    with pytest.raises(AgentConfigError, match="not valid YAML"):
        DeskAgentConfig.load(write(tmp_path, "device: [unclosed"))
    with pytest.raises(AgentConfigError, match="mapping"):
        DeskAgentConfig.load(write(tmp_path, "- a list"))


def test_broker_urls() -> None:
    plain = BrokerAddress.parse("mqtt://127.0.0.1:18830")
    assert (plain.host, plain.port, plain.tls) == ("127.0.0.1", 18830, False)
    assert BrokerAddress.parse("mqtt://broker.local").port == 1883
    secure = BrokerAddress.parse("mqtts://dev%40x:p%3Ass@broker.local")
    assert (secure.port, secure.tls, secure.username, secure.password) == (
        8883,
        True,
        "dev@x",
        "p:ss",
    )
    for bad in ("tcp://host:1883", "mqtt://", "mqtt://host:99999", "mqtt://host/path"):
        with pytest.raises(ValueError, match="broker URL"):
            BrokerAddress.parse(bad)
