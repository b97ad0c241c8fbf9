"""Generated ESPHome node files pass ESPHome's own validation and use the topics we ingest."""

import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from firmware_config.loader import load_site
from firmware_config.provision import ProvisionOptions, provision
from server.services.site_index import SiteIndex
from tests.provision_support import ESP_MMWAVE, ESP_PIR, provisioning_site, write_site

ROOT = Path(__file__).resolve().parents[2]
ESPHOME = ROOT / ".venv-esphome" / "bin" / "esphome"
PINNED = re.search(
    r"^esphome==(\S+)", (ROOT / "scripts" / "esphome-requirements.txt").read_text(), re.M
)
CA = """-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUQ2FuYWRhIGZyZWVzZWF0IHRlc3QgQ0EwCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----
"""


@pytest.fixture(scope="module")
def esphome() -> Path:
    if not ESPHOME.exists():
        pytest.fail(
            f"{ESPHOME} is missing; `scripts/bootstrap test` (run by scripts/test) installs "
            "the pinned ESPHome there",
            pytrace=False,
        )
    version = subprocess.run([ESPHOME, "version"], capture_output=True, text=True, check=True)
    assert PINNED is not None and PINNED.group(1) in version.stdout
    return ESPHOME


def _secret_tags_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return f"!secret {node.value}"


class _EsphomeLoader(yaml.SafeLoader):
    pass


_EsphomeLoader.add_constructor("!secret", _secret_tags_as_text)


def test_every_node_file_passes_esphome_config(esphome: Path, tmp_path: Path) -> None:
    site_file = write_site(provisioning_site(), tmp_path / "site.yaml")
    ca = tmp_path / "ca.crt"
    ca.write_text(CA)
    out = tmp_path / "out"
    report = provision(site_file, out, ProvisionOptions(broker_host="mqtt.example.org", ca_file=ca))
    assert sorted(report.esphome) == [ESP_MMWAVE, ESP_PIR]

    timings = {}
    for device in report.esphome:
        node = out / "esphome" / f"{device}.yaml"
        started = time.monotonic()
        result = subprocess.run(
            [esphome, "config", str(node)], capture_output=True, text=True, timeout=120
        )
        timings[device] = time.monotonic() - started
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Configuration is valid!" in result.stdout + result.stderr
    print(f"esphome config seconds per file: {timings}")

    # Every presence topic the server routes for a node is a state_topic in its file.
    index = SiteIndex.from_site(load_site(site_file))
    passwords = yaml.safe_load((out / "credentials.yaml").read_text())["passwords"]
    for device in report.esphome:
        text = (out / "esphome" / f"{device}.yaml").read_text()
        node = yaml.load(text, Loader=_EsphomeLoader)
        assert node["mqtt"]["port"] == 8883
        assert node["mqtt"]["certificate_authority"] == "!secret mqtt_ca_certificate"
        assert node["mqtt"]["password"].startswith("!secret ")
        assert passwords[device] not in text  # secrets are referenced, never inlined
        prefix = node["mqtt"]["topic_prefix"]
        assert node["mqtt"]["will_message"]["topic"] == f"{prefix}/status"
        assert index.foreign_route(f"{prefix}/status").role == "status"  # type: ignore[union-attr]
        topics = [_state_topic(entry) for entry in node["binary_sensor"]]
        routed = {
            topic: route.desk
            for topic, route in index.foreign_topics.items()
            if route.device == device and route.role == "presence"
        }
        assert sorted(topics) == sorted(routed)
    secrets = yaml.safe_load((out / "esphome" / "secrets.yaml").read_text())
    assert secrets["mqtt_ca_certificate"] == CA
    assert secrets["mqtt_password_esp_f1_b1"] == passwords[ESP_MMWAVE]


def _state_topic(entry: dict[str, object]) -> str:
    inner = entry.get("has_target", entry)
    assert isinstance(inner, dict)
    topic = inner["state_topic"]
    assert isinstance(topic, str)
    return topic
